"""The harness side of the paced run (the pipeline side is bench.runners.paced).

A history of `history_seconds` of chat at a low rate, stamped in the past, is sent first
and stored: it fills the alarm windows (slow shops leave buyers waiting, so waiting-buyer
warnings and reply-rate alerts come due at live evaluation points). Then live traffic at
`rate` events/s for `seconds`, each event's `occurred_at` being its send time.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from bench.load import produce_all, produce_paced
from bench.measure import RunnerResult
from bench.spawn import Runner
from bench.topics import create_topic
from bench.traffic import TrafficSpec, conversations, encode, stamped, templates
from core.offsets import end_offsets, wait_committed
from core.settings import KefuSettings
from core.topics import Topics, ensure_topics, topics_for


@dataclass(frozen=True)
class PacedPlan:
    rate: float
    seconds: float
    warmup_seconds: float = 2.0
    history_seconds: float = 420.0
    history_rate: float = 100.0
    partitions: int = 4


def _history(plan: PacedPlan, now_ms: int) -> list[tuple[bytes, bytes]]:
    span_ms = int(plan.history_seconds * 1000)
    spec = TrafficSpec(
        events=int(plan.history_rate * plan.history_seconds),
        events_per_second=plan.history_rate,
        start_ms=now_ms - span_ms,
        tag="h",
        seed=11,
    )
    events = [e for e in conversations(spec) if e.at_ms < now_ms - 1000]
    return encode(events, spec)


async def _caught_up(bootstrap: str, topics: Topics, app_id: str) -> None:
    """The history is stored: ingest and the stateful stage committed all of it."""
    await wait_committed(
        bootstrap, f"{app_id}-ingest", await end_offsets(bootstrap, topics.raw_all)
    )
    await wait_committed(bootstrap, app_id, await end_offsets(bootstrap, [topics.events]))


async def paced_run(
    bootstrap: str,
    workdir: Path,
    plan: PacedPlan,
    runner_module: str = "bench.runners.paced",
    runner_args: tuple[str, ...] = (),
) -> RunnerResult:
    """`runner_module` speaks bench.runners.paced's protocol (bench.runners.paced_gc)."""
    prefix = f"bench-paced-{uuid.uuid4().hex[:8]}"
    settings = KefuSettings(
        kafka_bootstrap=bootstrap, topic_prefix=prefix, app_id=prefix, partitions=plan.partitions
    )
    topics = topics_for(settings)
    raw = topics.raw("chat")
    await create_topic(bootstrap, raw, settings.raw_partitions)
    await ensure_topics(bootstrap, settings)
    count = int(plan.rate * plan.seconds)
    live = templates(
        conversations(TrafficSpec(events=count, events_per_second=plan.rate, tag="l", seed=13))
    )
    args = ["--bootstrap", bootstrap, "--prefix", prefix, "--workdir", str(workdir)]
    args += ["--partitions", str(plan.partitions), *runner_args]
    runner = Runner(runner_module, args, workdir)
    try:
        await asyncio.to_thread(runner.wait_ready)
        runner.go()
        await asyncio.to_thread(runner.expect, "UP")
        history = _history(plan, int(time.time() * 1000))
        await produce_all(bootstrap, raw, settings.raw_partitions, history)
        await _caught_up(bootstrap, topics, prefix)
        runner.tell("LIVE")
        live_ms = int(time.time() * 1000)
        sent, seconds = await produce_paced(
            bootstrap, raw, settings.raw_partitions, count, plan.rate,
            lambda i, now_ms: stamped(live[i], now_ms),
        )  # fmt: skip
        runner.tell(f"DONE {live_ms} {int(plan.warmup_seconds * 1000)}")
        result = await asyncio.to_thread(runner.result)
    finally:
        runner.kill()
    result.extra.update(paced_rate=plan.rate, sent_rate=sent / seconds, history=len(history))
    return result
