"""The side-by-side run: one data set on one topic, each contender reading it from the start.

Every contender gets its own consumer group and its own process, one after another, so
none competes with another for the two cores. Our pipeline goes first: its worker starts
on the empty topics, and the traffic is produced once it has joined (bench.ours); the
others then read the same topic from the start.
"""

from __future__ import annotations

import logging
from pathlib import Path

from bench.dataset import DataSet, prepare
from bench.measure import RunnerResult
from bench.ours import run_workers
from bench.plan import Plan
from bench.spawn import run_once
from bench.traffic import TrafficSpec

log = logging.getLogger(__name__)

# The ceiling reads a small topic in a blink: it reads it again until this long has passed.
CEILING_MIN_SECONDS = 2.0
LABELS = {
    "pipeline": "our pipeline",
    "pipeline_no_qc": "our pipeline, QC off",
    "ceiling": "ceiling: aiokafka + orjson",
    "peer": "peer: Quix Streams",
    "naive": "naive faust agent",
}


def run_contender(
    name: str, data: DataSet, plan: Plan, workdir: Path, peer: Path | None
) -> RunnerResult:
    group = f"{data.prefix}-{name}"
    common = ["--bootstrap", data.bootstrap, "--topic", data.topic, "--group", group]
    events = len(data.events)
    if name == "ceiling":
        args = [*common, "--events", str(events), "--min-seconds", str(CEILING_MIN_SECONDS)]
        return run_once("bench.runners.ceiling", args, workdir)
    if name == "peer":
        return run_once(
            "bench.runners.quix_peer", [*common, "--events", str(events)], workdir, peer
        )
    count = min(events, plan.naive_events)
    return run_once("bench.runners.naive_faust", [*common, "--events", str(count)], workdir)


def side_by_side(
    bootstrap: str, plan: Plan, workdir: Path, peer: Path | None
) -> tuple[DataSet, dict[str, RunnerResult]]:
    data = prepare(bootstrap, TrafficSpec(events=plan.events), plan.partitions)
    results: dict[str, RunnerResult] = {}
    if "pipeline" in plan.runners:
        log.info("running %s", LABELS["pipeline"])
        results["pipeline"], _ = run_workers(data, plan.partitions, workdir)
    else:
        data.produce()
    if "pipeline_no_qc" in plan.runners:
        # Fresh topics for the same traffic: the runs must not share internal topics.
        log.info("running %s", LABELS["pipeline_no_qc"])
        again = prepare(bootstrap, TrafficSpec(events=plan.events), plan.partitions)
        results["pipeline_no_qc"], _ = run_workers(again, plan.partitions, workdir, qc=False)
    for name in (n for n in LABELS if n in plan.runners and not n.startswith("pipeline")):
        if name == "peer" and peer is None:
            log.warning("no peer environment: Quix Streams skipped")
            continue
        log.info("running %s", LABELS[name])
        results[name] = run_contender(name, data, plan, workdir, peer)
    for name, result in results.items():
        log.info("%s: %.0f events/s", name, result.events_per_second)
        if threads := result.extra.get("thread_cpu"):
            busiest = sorted(threads.items(), key=lambda t: -t[1])[:8]
            log.info("%s: CPU s by thread %s", name, ", ".join(f"{n} {c:.1f}" for n, c in busiest))
    return data, results
