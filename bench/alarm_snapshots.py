"""`python -m bench.alarm_snapshots`: CPU of alarm state snapshots per second of live input, full vs delta.

Live, event time moves at wall speed, so the alarm state of a partition is a real window span
(5 minutes to the deadline plus the 15-minute window) of inquiries per shop. This feeds one
`AlarmPartition` the inquiry changes of `--events-per-second` chat events (a conversation is
`EVENTS_PER_CONVERSATION` events and opens one inquiry; most are answered within two
minutes, some late, some never, each answer a second change), one message per second of
event time, evaluated as it goes, first for a whole span so the windows are full. Then,
every `--interval` seconds of input, it times both ways of writing the snapshot, encoding
included (orjson, zstd, parts): the whole state (`dump`, as before deltas) and the chained
way (`take_delta`, or `take_full` when `Chain.full_due`), over `--snapshots` snapshots.
No broker: sending is the same bytes either way and costs the producer, not this.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from agents.alarms import snapshot
from agents.alarms.partition import AlarmPartition
from bench.traffic import DAY_START_MS, EVENTS_PER_CONVERSATION
from core.settings import ShopSettings
from pipeline.runtime import tune_gc
from schemas.inquiry_changes import ChangedInquiry, ChangesMessage

SHOP = ShopSettings()
SPAN_S = (5 + SHOP.window_minutes) * 60


def settings_for(_shop: str) -> ShopSettings:
    return SHOP


@dataclass
class Traffic:
    """Inquiry changes by second of event time: openings now, answers when they happen."""

    shops: int
    per_second: float
    rng: random.Random = field(default_factory=lambda: random.Random(5))
    answers: dict[int, list[ChangedInquiry]] = field(default_factory=dict)
    opened: int = 0

    def second(self, at_s: int) -> list[ChangedInquiry]:
        start = DAY_START_MS + at_s * 1000
        due = round(self.per_second * (at_s + 1)) - self.opened
        changes = self.answers.pop(at_s, [])
        for _ in range(due):
            n, self.opened = self.opened, self.opened + 1
            shop = f"s{n % self.shops}"
            opened = start + self.rng.randrange(1000)
            change = ChangedInquiry(shop, f"b{n}", f"e{n}", f"{shop}-a{n % 8}", opened, None, 0,
                                    "open", 1, False)  # fmt: skip
            changes.append(change)
            roll = self.rng.random()
            if roll < 0.05:
                continue  # never answered
            wait_ms = self.rng.randrange(10_000, 120_000 if roll < 0.85 else 600_000)
            answered = ChangedInquiry(shop, change.buyer_id, change.inquiry_id, change.agent_id,
                                      opened, opened + wait_ms, int(wait_ms <= 300_000),
                                      "answered", 2, False)  # fmt: skip
            self.answers.setdefault(at_s + 1 + wait_ms // 1000, []).append(answered)
        return changes


@dataclass
class Tally:
    seconds: float = 0.0
    bytes: int = 0
    count: int = 0
    fulls: int = 0

    def add(self, started: float, size: int, *, full: bool) -> None:
        self.seconds += time.process_time() - started
        self.bytes += size
        self.count += 1
        self.fulls += full


def encoded_bytes(data: dict[str, object]) -> int:
    return sum(len(value) for value, _ in snapshot.encode(data))


def run(args: argparse.Namespace) -> None:
    per_second = args.events_per_second / EVENTS_PER_CONVERSATION
    traffic, state = Traffic(args.shops, per_second), AlarmPartition(0, 1)
    whole, chained, chain = Tally(), Tally(), snapshot.Chain()
    apply_seconds = 0.0
    warm = SPAN_S + SHOP.eval_every_seconds
    seconds = warm + args.snapshots * args.interval
    for at_s in range(seconds):
        message = ChangesMessage(0, DAY_START_MS + (at_s + 1) * 1000, traffic.second(at_s))
        started = time.process_time()
        state.apply(message, at_s, settings_for)
        state.evaluate(settings_for, now_ms=0)
        if at_s < warm:
            continue
        apply_seconds += time.process_time() - started
        if (at_s + 1 - warm) % args.interval:
            continue
        started = time.process_time()
        whole.add(started, encoded_bytes(state.dump()), full=True)
        started = time.process_time()
        full = chain.full_due(args.full_every, args.ratio, float(at_s))
        data = state.take_full() if full else state.take_delta()
        size = encoded_bytes(data)
        chain.wrote(str(at_s).encode(), size, full=full, now=float(at_s))
        chained.add(started, size, full=full)
    rows = sum(len(shop.window) for shop in state.shops.values())
    measured = args.snapshots * args.interval
    print(f"{args.shops} shops, {args.events_per_second:,.0f} events/s ({per_second:,.0f} "
          f"inquiries/s), {SHOP.window_minutes}-minute window: {rows:,} rows held; a snapshot "
          f"every {args.interval} s of input, {args.snapshots} snapshots ({measured} s) measured")  # fmt: skip
    print(f"apply and evaluate: {apply_seconds / measured * 1000:7.1f} ms CPU per second of input")
    for name, tally in (
        ("full every time", whole),
        (f"delta, full every {args.full_every}", chained),
    ):
        print(f"{name:>22}: {tally.seconds / measured * 1000:7.1f} ms CPU per second of input, "
              f"{tally.seconds / tally.count * 1000:7.1f} ms and {tally.bytes / tally.count / 1024:8.1f} "
              f"KiB per snapshot ({tally.fulls} full)")  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.alarm_snapshots", description=__doc__)
    parser.add_argument("--shops", type=int, default=20)
    parser.add_argument("--events-per-second", type=float, default=9000.0)
    parser.add_argument("--interval", type=int, default=10, help="alarm_snapshot_seconds")
    parser.add_argument("--full-every", type=int, default=30, help="alarm_snapshot_full_every")
    parser.add_argument("--ratio", type=float, default=1.0, help="alarm_snapshot_delta_ratio")
    parser.add_argument("--snapshots", type=int, default=31, help="one whole chain by default")
    tune_gc()  # as a worker runs
    run(parser.parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
