"""`python -m bench`: run the contenders side by side, print the tables, record them."""

from __future__ import annotations

import argparse
import asyncio
import logging
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from bench.apache_kafka import java_available
from bench.brokers import BrokerKind, broker, broker_label
from bench.contenders import side_by_side
from bench.dataset import prepare
from bench.engine_scale import engine_curve, seen_bytes_per_event
from bench.latency import PacedPlan, paced_run
from bench.machine import machine
from bench.peer_env import ensure_peer
from bench.plan import FULL, QUICK, RUNNERS, Plan
from bench.profile import Profile, profile_pipeline
from bench.qc_cost import in_process_us
from bench.report import Report, render, write_baseline, write_benchmarks
from bench.scale import guard_rows, worker_curve
from bench.scale_rows import LostOrDoubled, ScaleRow, check_stored, cpu_target
from bench.spawn import REPO, RunnerFailed
from bench.traffic import TrafficSpec
from core.errors import ServiceUnavailable

log = logging.getLogger("bench")
T = TypeVar("T")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="small sizes, no scale curves or profile (< 60 s)"
    )
    parser.add_argument("--kafka", choices=("tansu", "apache"), default="tansu")
    parser.add_argument("--bootstrap", help="use this running broker instead of starting one")
    parser.add_argument("--events", type=int, help="events on the shared topic")
    parser.add_argument("--runners", help=f"comma-separated subset of {','.join(RUNNERS)}")
    parser.add_argument("--no-scale", action="store_true",
                        help="skip the scale curves (engine, workers) and the profile")  # fmt: skip
    parser.add_argument("--write", action=argparse.BooleanOptionalAction, default=None,
                        help="record in BENCHMARKS.md and bench/baseline.json (default: full runs)")  # fmt: skip
    parser.add_argument("--workdir", type=Path, default=REPO / "bench-out")
    return parser.parse_args(argv)


def plan_from(args: argparse.Namespace) -> Plan:
    plan = QUICK if args.quick else FULL
    if args.events:
        plan = replace(plan, events=args.events, naive_events=min(plan.naive_events, args.events))
    if args.runners:
        plan = plan.only(tuple(args.runners.split(",")))
    if args.no_scale:
        plan = replace(plan, scale=False, conversations=())
    return plan


def _peer(plan: Plan, notes: list[str]) -> Path | None:
    if "peer" not in plan.runners:
        return None
    try:
        return ensure_peer()
    except (OSError, subprocess.CalledProcessError) as exc:
        notes.append(f"Quix Streams skipped: its environment could not be made ({exc}).")
        return None


def _check_counts(report: Report) -> None:
    expected = report.reference[0]
    for name in ("peer", "pipeline", "pipeline_no_qc"):
        result = report.contenders.get(name)
        if result is not None and result.extra.get("inquiries") != expected:
            report.notes.append(
                f"{name} counted {result.extra.get('inquiries')} inquiries, the reference {expected}."
            )


def guard_ratio(bootstrap: str, workdir: Path) -> float:
    """Our pipeline over the ceiling at the quick sizes, as tests/integration/test_bench_guard.py measures it."""
    _, results = side_by_side(bootstrap, QUICK.only(("ceiling", "pipeline")), workdir, None)
    return results["pipeline"].events_per_second / results["ceiling"].events_per_second


def _stage(report: Report, what: str, step: Callable[[], T]) -> T | None:
    """Run one optional part; a failure becomes a note, and what was measured is kept."""
    log.info("%s", what)
    try:
        return step()
    except (
        RunnerFailed,
        ServiceUnavailable,
        OSError,
        LostOrDoubled,
        subprocess.CalledProcessError,
    ) as exc:
        log.exception("%s failed", what)
        report.notes.append(f"{what} failed: {str(exc).splitlines()[0]}")
        return None


def _extras(report: Report, bootstrap: str, workdir: Path) -> None:
    plan, ours = report.plan, report.contenders.get("pipeline")
    if not plan.quick and "ceiling" in report.contenders and ours is not None:
        report.quick_ratio = _stage(report, "the guard's ratio at the quick sizes",
                                    lambda: guard_ratio(bootstrap, workdir))  # fmt: skip
    if plan.paced_seconds and ours is not None:
        paced = PacedPlan(rate=ours.events_per_second / 2, seconds=plan.paced_seconds,
                          history_seconds=plan.history_seconds, partitions=plan.partitions)  # fmt: skip
        report.paced = _stage(report, f"paced run at {paced.rate:.0f} events/s",
                              lambda: asyncio.run(paced_run(bootstrap, workdir, paced)))  # fmt: skip
    if "pipeline_no_qc" in report.contenders:
        report.qc_in_process_us = _stage(report, "QC in process", in_process_us)
    if plan.conversations:
        report.engine = _stage(report, f"inquiry engine at {plan.conversations} conversations",
                               lambda: engine_curve(plan.conversations, workdir)) or []  # fmt: skip
        report.seen_bytes = seen_bytes_per_event()
    if plan.scale:
        report.profile = _stage(report, "profile", lambda: _profile(bootstrap, plan, workdir))


def _workers(report: Report, bootstrap: str, label: str, workdir: Path) -> None:
    """Worker processes side by side on Apache Kafka, and the guard's ratio at quick sizes;
    a run that lost or doubled a row is a failure, not a figure."""
    plan = report.plan
    report.workers_broker = label

    def curve() -> list[ScaleRow]:
        rows = worker_curve(
            bootstrap, plan.scale_events, plan.partitions, plan.scale_workers, workdir
        )
        check_stored(rows)
        return rows

    def guard() -> list[ScaleRow]:
        rows = guard_rows(bootstrap, workdir)
        check_stored(rows)
        return rows

    counts = ", ".join(str(w) for w in plan.scale_workers)
    report.workers = _stage(report, f"{counts} workers on Apache Kafka", curve) or []
    if report.workers:
        quick = _stage(report, "the guard's worker ratio at the quick sizes", guard)
        report.quick_workers_ratio = cpu_target(quick or [])


def _workers_on_apache(report: Report, workdir: Path) -> None:
    """On an Apache Kafka of their own, started once the main broker has stopped."""
    if not java_available():
        report.notes.append("Workers side by side skipped: Apache Kafka needs 'java' and 'mvn' on PATH.")  # fmt: skip
        return
    try:
        with broker("apache", workdir) as bootstrap:
            _workers(report, bootstrap, broker_label("apache", None), workdir)
    except (ServiceUnavailable, OSError) as exc:
        first_line = str(exc).splitlines()[0]
        report.notes.append(f"Workers side by side skipped: Apache Kafka failed ({first_line}).")


def _profile(bootstrap: str, plan: Plan, workdir: Path) -> Profile | None:
    data = prepare(bootstrap, TrafficSpec(events=plan.profile_events), plan.partitions)
    return profile_pipeline(data, plan.partitions, workdir)


def run(args: argparse.Namespace, command: str) -> Report:
    plan = plan_from(args)
    notes: list[str] = []
    peer = _peer(plan, notes)
    workdir = args.workdir / datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    workdir.mkdir(parents=True)
    kind: BrokerKind = args.kafka
    with broker(kind, workdir, args.bootstrap) as bootstrap:
        host = machine(peer, broker_label(kind, args.bootstrap))
        data, contenders = side_by_side(bootstrap, plan, workdir, peer)
        reference = data.reference()
        report = Report(host, command, datetime.now(UTC).date().isoformat(), plan, contenders,
                        (reference.inquiries, reference.replied), notes=notes)  # fmt: skip
        _check_counts(report)
        _extras(report, bootstrap, workdir)
        if plan.scale and kind == "apache":
            _workers(report, bootstrap, host.versions["broker"], workdir)
    if plan.scale and kind != "apache":
        _workers_on_apache(report, workdir)
    if not any("failed" in note for note in report.notes):
        shutil.rmtree(workdir, ignore_errors=True)
    return report


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    log.setLevel(logging.INFO)
    args = parse_args(argv)
    command = " ".join(["python -m bench", *argv])
    report = run(args, command)
    text = render(report)
    sys.stdout.write(text)
    if args.write if args.write is not None else not args.quick:
        write_benchmarks(text)
        write_baseline(report)
    return 0
