"""`kefu replay`: files of events through broker, agents and sink; return when all is stored."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaProducer

from agents.alarms.drain import wait_alarms
from core.errors import ServiceUnavailable
from core.offsets import end_offsets, wait_committed
from core.settings import KefuSettings
from core.topics import Topics, topics_for
from pipeline.jsonl import read_lines
from pipeline.raw_producer import RawSender, raw_producer
from pipeline.runtime import Running, running
from schemas.packed import pack_flush

log = logging.getLogger(__name__)


@dataclass
class ReplayCounts:
    events: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    inquiries: int = 0
    alerts: int = 0
    latest_ms: int | None = None


async def replay(settings: KefuSettings, files: list[Path]) -> ReplayCounts:
    started = datetime.now(UTC)
    async with running(settings) as run:
        sent = await send_files(run.bootstrap, topics_for(settings), files)
        await wait_stored(run, sent.latest_ms)
        return await _counts(run, sent, started)


async def send_files(bootstrap: str, topics: Topics, files: list[Path]) -> RawSender:
    producer = raw_producer(bootstrap)
    await producer.start()
    sender = RawSender(producer, topics)
    try:
        for path in files:
            for line in read_lines(path):
                await sender.send_line(line)
        await producer.flush()
    finally:
        await producer.stop()
    return sender


async def wait_stored(run: Running, flush_ms: int | None) -> None:
    """Ingest done, then a flush marker per partition, then the stateful stage done.

    Raises the stateful stage's failure as soon as it happens, instead of waiting for the
    commits that will never come.
    """
    waiting = asyncio.create_task(_wait_stored(run, flush_ms))
    failed = asyncio.create_task(run.pipeline.runner.failed.wait())
    try:
        await asyncio.wait([waiting, failed], return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (waiting, failed):
            if not task.done():
                task.cancel()
    if not waiting.done():
        msg = f"the worker stopped: {run.pipeline.runner.failure}"
        raise ServiceUnavailable(msg)
    waiting.result()


async def _wait_stored(run: Running, flush_ms: int | None) -> None:
    topics = topics_for(run.settings)
    raw_ends = await end_offsets(run.bootstrap, topics.raw_all)
    await wait_committed(run.bootstrap, f"{run.settings.app_id}-ingest", raw_ends)
    if flush_ms is not None:
        await _send_flush(run, topics, flush_ms)
    internal = await end_offsets(run.bootstrap, [topics.events, topics.dead_letters])
    await wait_committed(run.bootstrap, run.settings.app_id, internal)
    # The side stages produced everything before their input was committed above.
    produced = [topics.escalations, topics.work_order_events]
    if run.settings.qc.enabled:
        produced += [topics.qc_findings, topics.script_uses]
    outputs = await end_offsets(run.bootstrap, produced)
    await wait_committed(run.bootstrap, run.settings.app_id, outputs)
    await wait_alarms(run.bootstrap, run.settings)


async def _send_flush(run: Running, topics: Topics, flush_ms: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=run.bootstrap, acks="all")
    await producer.start()
    try:
        marker = pack_flush(flush_ms)
        sends = [
            await producer.send(topics.events, marker, partition=p)
            for p in range(run.settings.partitions)
        ]
        await asyncio.gather(*sends)
    finally:
        await producer.stop()


async def _counts(run: Running, sent: RawSender, started: datetime) -> ReplayCounts:
    def scalar(sql: str, **params: object) -> int:
        return int(run.store.query(sql, params).rows[0][0])

    dead = await asyncio.to_thread(
        scalar,
        "SELECT count() FROM dead_letters FINAL WHERE received_at >= {started:DateTime64(3)}",
        started=started,
    )
    inquiries = await asyncio.to_thread(scalar, "SELECT count() FROM inquiries FINAL")
    alerts = await asyncio.to_thread(scalar, "SELECT count() FROM alerts")
    return ReplayCounts(sent.events, sent.duplicates, dead, inquiries, alerts, sent.latest_ms)
