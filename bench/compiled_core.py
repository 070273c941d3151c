"""`python -m bench.compiled_core`: PartitionState.apply compiled (core.compiled) against pure Python.

Both run in one process on the same events, as `python -m bench.checkpoints` applies them
(chat traffic of `python -m bench`, or generated business days; packed batches of 500, the
outbox drained after each, no checkpoints): the pure one is `core.compiled.pure`'s fresh
import of the .py files. Rounds alternate which goes first, so load on a shared machine
falls on both alike; reported are each side's median µs per event (wall and CPU time) and
the median of the rounds' ratios (each round's two runs are neighbours in time).

`--only pure|compiled` applies once with one side, and `--skip-apply` makes the events and
applies nothing: under `valgrind --tool=callgrind` the difference of the two is the
instructions the apply took, the same whatever else the machine runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from agents.inquiries import hours
from agents.partition import state
from bench.checkpoints import BATCH, SETTINGS, business, traffic
from core import compiled
from pipeline.runtime import tune_gc
from schemas.packed import PackedBatch


def apply_all(
    side: tuple[ModuleType, ModuleType], events: list[dict[str, Any]]
) -> tuple[float, float]:
    """Wall and CPU seconds to apply the events to a new PartitionState of one side."""
    state_module, hours_module = side
    state = state_module.PartitionState(0, hours_module.hours_from_settings(SETTINGS), 30_000)
    started, cpu = time.perf_counter(), time.process_time()
    for offset, start in enumerate(range(0, len(events), BATCH)):
        batch = events[start : start + BATCH]
        state.apply(PackedBatch(batch, watermark_ms=batch[-1]["occurred_at"]), offset, _drop, 0)
        state.take_outbox()
    return time.perf_counter() - started, time.process_time() - cpu


def _drop(table: str, row: tuple[Any, ...]) -> None:
    """Rows are the store's business."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.compiled_core")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--data", choices=["traffic", "business"], default="traffic")
    parser.add_argument("--only", choices=["pure", "compiled"])
    parser.add_argument("--skip-apply", action="store_true")
    args = parser.parse_args(argv)
    events = traffic(args.events) if args.data == "traffic" else business(args.events)
    tune_gc()
    print(f"compiled core: {compiled.status()[1]}")
    pure_state, pure_hours = compiled.pure("agents.partition.state", "agents.inquiries.hours")
    sides = {"compiled": (state, hours), "pure": (pure_state, pure_hours)}
    per_event = 1e6 / len(events)
    if args.only:
        seconds = 0.0 if args.skip_apply else apply_all(sides[args.only], events)[0]
        print(f"{args.only}: {seconds * per_event:.2f} µs per event (one run)")
        return 0
    wall: dict[str, list[float]] = {name: [] for name in sides}
    cpu: dict[str, list[float]] = {name: [] for name in sides}
    for round_ in range(args.rounds):
        for name in sorted(sides, reverse=bool(round_ % 2)):
            took = apply_all(sides[name], events)
            wall[name].append(took[0] * per_event)
            cpu[name].append(took[1] * per_event)
    print(f"{len(events):,} {args.data} events, {args.rounds} rounds, µs per event (medians):")
    print("| | pure Python | compiled | ratio | median of the rounds' ratios |")
    print("|---|--:|--:|--:|--:|")
    for clock, times in (("wall", wall), ("CPU", cpu)):
        pure, fast = statistics.median(times["pure"]), statistics.median(times["compiled"])
        paired = statistics.median(
            p / c for p, c in zip(times["pure"], times["compiled"], strict=True)
        )
        print(f"| {clock} | {pure:.2f} | {fast:.2f} | {pure / fast:.2f}× | {paired:.2f}× |")
    print(f"wall runs, pure: {_runs(wall['pure'])}; compiled: {_runs(wall['compiled'])}")
    return 0


def _runs(values: list[float]) -> str:
    return " ".join(f"{v:.1f}" for v in values)


if __name__ == "__main__":
    sys.exit(main())
