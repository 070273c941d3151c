"""Pipeline throughput by partitions and worker processes.

A second worker is a second process running `pipeline.runtime.running` against the same
broker with the same app_id and its own store directory (chDB allows one store per
process, so each worker stores the rows of its own partitions; together they hold all).
All join their groups before the traffic is produced (bench.ours). Each combination
reads its own copy of the same traffic from a fresh topic prefix.

`python -m bench` measures 1 and 2 workers on 4 partitions of Apache Kafka (bench.cli);
`python -m bench.scale` measures any worker counts side by side on one partition count, on
Apache Kafka by default, and records them in BENCHMARKS.md between its own markers.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bench.brokers import BrokerKind, broker, broker_label
from bench.dataset import prepare
from bench.machine import Machine, machine
from bench.ours import run_workers
from bench.report import workers_table, write_section
from bench.scale_rows import (
    CPU_TARGET_PARTITIONS,
    CPU_TARGET_WORKERS,
    LostOrDoubled,
    ScaleRow,
    check_stored,
    combine,
    verdict,
)
from bench.spawn import REPO, RunnerFailed
from bench.traffic import TrafficSpec
from core.errors import ServiceUnavailable
from core.settings import KefuSettings

log = logging.getLogger(__name__)

BEGIN, END = "<!-- scale:begin -->", "<!-- scale:end -->"
EVENTS, QUICK_EVENTS = 120_000, 20_000
RAW_PARTITIONS = KefuSettings.model_fields["raw_partitions"].default


def measure(
    bootstrap: str, spec: TrafficSpec, partitions: int, workers: int, workdir: Path
) -> ScaleRow:
    data = prepare(bootstrap, spec, partitions)
    lead, followers = run_workers(data, partitions, workdir, workers)
    row = combine(partitions, lead, followers)
    log.info("%d partitions, %d workers: %.0f events/s", partitions, workers, row.events_per_second)
    return row


def worker_curve(
    bootstrap: str, events: int, partitions: int, workers: Sequence[int], workdir: Path
) -> list[ScaleRow]:
    spec = TrafficSpec(events=events)
    return [measure(bootstrap, spec, partitions, w, workdir) for w in workers]


def guard_rows(bootstrap: str, workdir: Path) -> list[ScaleRow]:
    """The target's rows at the quick size, as tests/integration/test_bench_guard.py measures
    them and `python -m bench` records them for it."""
    workers = (1, CPU_TARGET_WORKERS)
    return worker_curve(bootstrap, QUICK_EVENTS, CPU_TARGET_PARTITIONS, workers, workdir)


def worker_counts(text: str) -> tuple[int, ...]:
    """`1,2,4` as worker counts; one worker must be among them, every row is held to it."""
    try:
        counts = tuple(sorted({int(part) for part in text.split(",")}))
    except ValueError:
        msg = f"worker counts are integers separated by commas, not {text!r}"
        raise argparse.ArgumentTypeError(msg) from None
    if counts[0] < 1 or 1 not in counts:
        msg = f"worker counts must be at least 1 and include 1, not {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return counts


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    parser.add_argument("--broker", choices=("tansu", "apache"), default="apache")
    parser.add_argument("--events", type=int, help=f"events per worker count ({EVENTS:,})")
    parser.add_argument("--workers", type=worker_counts, default=(1, 2, 4), help="e.g. 1,2,4")
    parser.add_argument("--partitions", type=int, default=4, help="of the events topic")
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK_EVENTS:,} events, nothing recorded"
    )
    parser.add_argument("--write", action=argparse.BooleanOptionalAction, default=None,
                        help="record in BENCHMARKS.md (default: unless --quick)")  # fmt: skip
    parser.add_argument("--workdir", type=Path, default=REPO / "bench-out")
    args = parser.parse_args(argv)
    if max(args.workers) > min(args.partitions, RAW_PARTITIONS):
        parser.error(
            f"{max(args.workers)} workers need as many partitions, events and raw "
            f"({RAW_PARTITIONS}): a worker without one never starts its clock"
        )
    args.events = args.events or (QUICK_EVENTS if args.quick else EVENTS)
    return args


def render(rows: list[ScaleRow], host: Machine, command: str, load_end: str) -> str:
    versions = ", ".join(f"{k} {v}" for k, v in host.versions.items() if k != "quixstreams")
    stored = rows[0].stored if rows else 0
    out = [
        f"Measured {datetime.now(UTC).date().isoformat()} with `{command}`.",
        "",
        f"- Machine: {host.describe()}; at the end {load_end}.",
        f"- Versions: {versions}.",
        f"- Data: {rows[0].events if rows else 0:,} generated chat events per row, produced "
        f"onto a fresh raw topic ({RAW_PARTITIONS} partitions) for each row; ingest keys the events topic by "
        "the hash of shop and buyer. Every worker is a process of its own (same app_id, its "
        "own chDB store). Events count all that the workers read; a worker's clock starts "
        "once its first poll is routed, so ingest's work on first polls is not timed (last "
        "column), the rest of their work is.",
        "",
        *workers_table(rows),
        "",
        f"- {verdict(rows)}",
        f"- Every row stored {stored:,} chat messages, as one worker did: nothing lost or "
        "doubled (the run fails otherwise).",
        f"- {host.cores} cores hold the broker, the harness's producer, every worker's "
        "chDB insert thread and the workers: a row with more workers than cores measures "
        "their sharing of the cores, not scale-out.",
    ]
    return "\n".join(out) + "\n"


def _load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def run(args: argparse.Namespace, workdir: Path) -> tuple[list[ScaleRow], Machine, str]:
    kind: BrokerKind = args.broker
    with broker(kind, workdir) as bootstrap:
        host = machine(None, broker_label(kind, None))
        rows = worker_curve(bootstrap, args.events, args.partitions, args.workers, workdir)
    return rows, host, _load()


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    log.setLevel(logging.INFO)
    args = parse_args(argv)
    workdir = args.workdir / datetime.now(UTC).strftime("scale-%Y%m%dT%H%M%S")
    workdir.mkdir(parents=True)
    try:
        rows, host, load_end = run(args, workdir)
        text = render(rows, host, " ".join(["python -m bench.scale", *argv]), load_end)
        sys.stdout.write(text)
        check_stored(rows)
    except (RunnerFailed, ServiceUnavailable, OSError, LostOrDoubled) as exc:
        sys.stderr.write(f"bench.scale: {str(exc).splitlines()[0]} (work directory {workdir})\n")
        return 1
    if args.write if args.write is not None else not args.quick:
        write_section(text, BEGIN, END)
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
