"""The inquiry engine alone at N open conversations: its memory and its cost per event.

`InquiryEngine(hours_from_settings(KefuSettings()), lateness_ms)` gets one buyer message
for each of N conversations (spread over four minutes of event time, so every inquiry is
still open), its change and state buffers drained as the stateful stage drains them
(changes every 500 events, dirty states every 5000). Then `--events` more messages, half
agent replies closing a random open conversation and half buyers opening new ones, so N
stays put, are timed per event, drains included.

`--memory tracemalloc` reports the bytes Python allocated for the engine (slower);
`--memory rss` the growth of the process's resident set and the timing. The collector is
tuned as a worker tunes it (`pipeline.runtime.running`: start-up frozen, young collections
every 100k allocations) unless `--gc default`.
"""

from __future__ import annotations

import argparse
import gc
import random
import time
import tracemalloc

from agents.inquiries.engine import InquiryEngine
from agents.inquiries.hours import hours_from_settings
from bench.measure import RunnerResult, emit, rss_bytes
from bench.traffic import DAY_START_MS
from core.settings import KefuSettings
from pipeline.runtime import tune_gc
from schemas.inquiry import Message

SHOPS = 50
BUILD_SPAN_MS = 240_000
CHANGES_EVERY = 500
DIRTY_EVERY = 5000


class Driver:
    def __init__(self, lateness_ms: int) -> None:
        self.engine = InquiryEngine(hours_from_settings(KefuSettings()), lateness_ms)
        self.added = 0
        self.rows = 0

    def add(self, msg: Message) -> None:
        self.engine.add(msg)
        self.added += 1
        if self.added % CHANGES_EVERY == 0:
            self.rows += len(self.engine.take_changes())
        if self.added % DIRTY_EVERY == 0:
            self.engine.take_dirty()


def buyer(number: int, at_ms: int) -> Message:
    shop = f"s{number % SHOPS}"
    return Message(f"e{number}", shop, f"b{number}", "buyer", f"{shop}-a{number % 8}", at_ms)


def build(driver: Driver, conversations: int) -> None:
    for number in range(conversations):
        driver.add(buyer(number, DAY_START_MS + number * BUILD_SPAN_MS // conversations))
    driver.engine.take_changes()
    driver.engine.take_dirty()


def churn(driver: Driver, conversations: int, events: int) -> float:
    """Seconds per event for replies and new buyers at a steady number of open ones."""
    rng = random.Random(5)
    open_ids = list(range(conversations))
    step_ms = max(1, BUILD_SPAN_MS // conversations)
    at = DAY_START_MS + BUILD_SPAN_MS
    started = time.perf_counter()
    for index in range(events):
        at += step_ms
        if index % 2:
            number = conversations + index
            driver.add(buyer(number, at))
            open_ids.append(number)
        else:
            slot = rng.randrange(len(open_ids))
            number = open_ids[slot]
            open_ids[slot] = open_ids[-1]
            open_ids.pop()
            shop = f"s{number % SHOPS}"
            driver.add(Message(f"r{index}", shop, f"b{number}", "agent", f"{shop}-a1", at))
    return (time.perf_counter() - started) / events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, required=True)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--lateness-ms", type=int, default=30_000)
    parser.add_argument("--memory", choices=("rss", "tracemalloc"), default="rss")
    parser.add_argument("--gc", choices=("pipeline", "default"), default="pipeline")
    args = parser.parse_args()
    driver = Driver(args.lateness_ms)
    gc.collect()
    if args.gc == "pipeline":
        tune_gc()
    traced = args.memory == "tracemalloc"
    if traced:
        tracemalloc.start()
    before = rss_bytes()
    started = time.perf_counter()
    build(driver, args.conversations)
    build_seconds = time.perf_counter() - started
    gc.collect()
    grown = tracemalloc.get_traced_memory()[0] if traced else rss_bytes() - before
    per_event = 0.0 if traced else churn(driver, args.conversations, args.events)
    emit(
        RunnerResult(
            runner=f"engine {args.conversations}",
            events=args.events,
            seconds=per_event * args.events,
            cpu_seconds=0.0,
            peak_rss_bytes=rss_bytes(),
            extra={
                "conversations": args.conversations,
                "memory": args.memory,
                "grown_bytes": grown,
                "build_seconds": build_seconds,
                "open_inquiries": driver.engine.stats.open_inquiries,
                "gc": args.gc,
            },
        )
    )


if __name__ == "__main__":
    main()
