"""`python -m bench.side_snapshots`: CPU of the side stage's snapshots, whole against deltas.

The side stage's states grow with event time up to their windows: QC keeps every event id of
the dedup window (30 minutes), the escalations every conversation of the last two days (with
its recent ids) and the clocks of their work orders (resolution clocks run for days), QC the
questions of the conversation memory and the messages held for the lateness. This feeds one
partition's escalation and QC parts, as the stage does (one decode, shared scans),
`--minutes` of chat traffic at `--events-per-second` of event time in batches of 500 with
the watermark at the batch's newest event, then snapshots them every `--interval` seconds of
input for `--snapshots` snapshots, timing two ways of writing each, encoding included
(orjson, zstd): the whole state (`dump`, as before deltas) and the chained way
(`dump_delta`, or `dump` when `Chain.full_due`). Two copies of the parts are fed alike, one
dumped whole and one on its chain: a whole dump resets what the next delta carries. No
broker: sending costs the producer, not this.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from typing import Any

from agents.alarms import snapshot
from agents.escalation.stage import EscalationPartition
from agents.inquiries.hours import hours_from_settings
from agents.qc.dictionary import reload
from agents.qc.stage import QcPartition
from agents.qc.threats import BatchScans, threat_finder
from agents.snapshot_stage import PartitionState
from bench.checkpoints import traffic
from core.settings import KefuSettings
from pipeline.runtime import tune_gc
from schemas.packed import PackedBatch

BATCH = 500
SETTINGS = KefuSettings()


def _batches(events: list[dict[str, Any]]) -> list[PackedBatch]:
    return [
        PackedBatch(events[i : i + BATCH], watermark_ms=events[i : i + BATCH][-1]["occurred_at"])
        for i in range(0, len(events), BATCH)
    ]


def _timed(take: Callable[[], dict[str, Any]]) -> tuple[float, int]:
    started = time.process_time()
    size = len(snapshot.compressed(take()))
    return time.process_time() - started, size


def _parts() -> tuple[EscalationPartition, QcPartition]:
    """One partition's escalation and QC parts, as the stage feeds them (shared scans)."""
    rules = reload()
    scans = BatchScans()
    qc = QcPartition(SETTINGS, lambda: rules, scans=scans)
    finder = threat_finder(lambda: rules, scans)
    return EscalationPartition(SETTINGS, hours_from_settings(SETTINGS), finder), qc


def run(minutes: float, rate: float, interval: float, snapshots: int) -> list[str]:
    seconds = minutes * 60 + interval * snapshots
    events = traffic(int(rate * seconds), rate)
    warm = int(rate * minutes * 60)
    whole_parts = _parts()
    escalations, qc = _parts()
    parts: tuple[PartitionState[Any], ...] = (escalations, qc)
    fed: tuple[PartitionState[Any], ...] = (*whole_parts, *parts)
    offset = 0

    def feed(chunk: list[dict[str, Any]]) -> None:
        nonlocal offset
        for batch in _batches(chunk):
            for part in fed:
                part.apply_batch(batch, offset)
            offset += 1

    feed(events[:warm])
    chains = [snapshot.Chain() for _ in parts]
    whole = [0.0, 0.0]
    chained = [0.0, 0.0]
    sizes = [[0, 0], [0, 0]]
    step = int(rate * interval)
    for n in range(snapshots):
        feed(events[warm + n * step : warm + (n + 1) * step])
        for i, part in enumerate(parts):
            spent, size = _timed(whole_parts[i].dump)
            whole[i] += spent
            sizes[i][0] = size
            full = chains[i].full_due(
                SETTINGS.alarm_snapshot_full_every, SETTINGS.alarm_snapshot_delta_ratio, n
            )
            spent, size = _timed(part.dump if full else part.dump_delta)
            chained[i] += spent
            sizes[i][1] += size
            chains[i].wrote(str(n).encode(), size, full=full, now=n)
    lines = [
        f"{minutes:g} minutes of event time at {rate:,.0f} events/s before the first snapshot; "
        f"then {snapshots} snapshots {interval:g} s of input apart (QC holds {len(qc.seen):,} "
        f"ids, {len(qc.memory):,} pending questions, {len(qc.waiting):,} held messages)",
        "",
        "| part | whole every time: CPU per second of input | bytes a snapshot | "
        "delta, full by the chain rule: CPU per second of input | bytes a snapshot |",
        "|---|--:|--:|--:|--:|",
    ]
    total = interval * snapshots
    for name, i in (("escalations", 0), ("quality inspection", 1)):
        lines.append(
            f"| {name} | {1000 * whole[i] / total:.1f} ms | {sizes[i][0]:,} | "
            f"{1000 * chained[i] / total:.1f} ms | {sizes[i][1] // snapshots:,} |"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--events-per-second", type=float, default=1_125.0)
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument("--snapshots", type=int, default=31)
    args = parser.parse_args(argv)
    tune_gc()
    for line in run(args.minutes, args.events_per_second, args.interval, args.snapshots):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
