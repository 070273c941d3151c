"""The side-by-side run: one data set on one topic, each contender reading it from the start.

Every contender gets its own consumer group and its own process, one after another, so
none competes with another for the two cores. Our pipeline reads the same raw topic as
the others (its prefix is the topic's), so its ingest, stateful stage and store see the
exact same messages.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from bench.load import produce_all
from bench.measure import RunnerResult
from bench.plan import Plan
from bench.reply_rate import ReplyRates
from bench.spawn import Runner, run_once
from bench.topics import create_topic
from bench.traffic import ChatEvent, TrafficSpec, conversations, encode
from pipeline.settings import KefuSettings
from pipeline.topics import ensure_topics, topics_for

log = logging.getLogger(__name__)

# The ceiling reads a small topic in a blink: it reads it again until this long has passed.
CEILING_MIN_SECONDS = 2.0
LABELS = {
    "ceiling": "ceiling: aiokafka + orjson",
    "peer": "peer: Quix Streams",
    "naive": "naive faust agent",
    "pipeline": "our pipeline",
}


@dataclass
class DataSet:
    prefix: str
    topic: str
    events: list[ChatEvent]
    produce_seconds: float
    reference: ReplyRates = field(default_factory=ReplyRates)

    @property
    def flush_ms(self) -> int:
        return max(e.at_ms for e in self.events)


async def publish(bootstrap: str, spec: TrafficSpec, partitions: int) -> DataSet:
    """Generate the traffic and put it on a fresh prefix's raw chat topic, once."""
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    settings = KefuSettings(
        kafka_bootstrap=bootstrap, topic_prefix=prefix, app_id=prefix, partitions=partitions
    )
    topic = topics_for(settings).raw("chat")
    events = conversations(spec)
    records = encode(events, spec)
    await create_topic(bootstrap, topic, settings.raw_partitions)
    await ensure_topics(bootstrap, settings)
    seconds = await produce_all(bootstrap, topic, settings.raw_partitions, records)
    log.info("%d events on %s in %.1fs", len(records), topic, seconds)
    return DataSet(prefix, topic, events, seconds)


def reference_counts(data: DataSet) -> ReplyRates:
    """Inquiries and replies over the whole topic, computed here: every runner must agree."""
    rates = ReplyRates()
    for event in data.events:
        rates.observe(event.wire(event.at_ms))
    return rates


def run_contender(
    name: str, bootstrap: str, data: DataSet, plan: Plan, workdir: Path, peer: Path | None
) -> RunnerResult:
    group = f"{data.prefix}-{name}"
    common = ["--bootstrap", bootstrap, "--topic", data.topic, "--group", group]
    events = len(data.events)
    if name == "ceiling":
        args = [*common, "--events", str(events), "--min-seconds", str(CEILING_MIN_SECONDS)]
        return run_once("bench.runners.ceiling", args, workdir)
    if name == "peer":
        return run_once(
            "bench.runners.quix_peer", [*common, "--events", str(events)], workdir, peer
        )
    if name == "naive":
        count = min(events, plan.naive_events)
        return run_once("bench.runners.naive_faust", [*common, "--events", str(count)], workdir)
    return run_pipeline(bootstrap, data, plan.partitions, workdir)


def run_pipeline(
    bootstrap: str, data: DataSet, partitions: int, workdir: Path, wrap: list[str] | None = None
) -> RunnerResult:
    """One worker, started through the barrier so it times from its first event."""
    args = [
        "--bootstrap",
        bootstrap,
        "--prefix",
        data.prefix,
        "--workdir",
        str(workdir / data.prefix),
    ]
    args += ["--events", str(len(data.events)), "--partitions", str(partitions)]
    args += ["--flush-ms", str(data.flush_ms)]
    runner = Runner("bench.runners.pipeline", args, workdir, wrap=wrap)
    try:
        runner.wait_ready()
        runner.go()
        runner.close_stdin()
        return runner.result()
    finally:
        runner.kill()


def side_by_side(
    bootstrap: str, plan: Plan, workdir: Path, peer: Path | None
) -> tuple[DataSet, dict[str, RunnerResult]]:
    data = asyncio.run(publish(bootstrap, TrafficSpec(events=plan.events), plan.partitions))
    data.reference = reference_counts(data)
    results: dict[str, RunnerResult] = {}
    for name in plan.runners:
        if name == "peer" and peer is None:
            log.warning("no peer environment: Quix Streams skipped")
            continue
        log.info("running %s", LABELS[name])
        results[name] = run_contender(name, bootstrap, data, plan, workdir, peer)
        log.info("%s: %.0f events/s", name, results[name].events_per_second)
    return data, results
