"""The faust agent of the stateful stage: a thin loop around PartitionState, a writer and a changelog.

Order of effects per flush (at-least-once, restart-safe): rows are stored, then the state
checkpoint is written, then the input messages are acked. A restart restores the last
checkpoint and skips input at or below its offset, so no event is counted twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Any

import faust
from aiokafka import AIOKafkaProducer
from faust.types import TP, EventT, StreamT

from agents.inquiries.hours import HoursFor
from agents.manual_acks import manual_acks
from agents.partition import changelog
from agents.partition import metrics as m
from agents.partition.state import PartitionState
from pipeline.settings import KefuSettings
from pipeline.topics import topics_for
from schemas.inquiry_changes import encode_for_shops
from schemas.packed import unpack
from sinks.writer import BatchWriter

log = logging.getLogger(__name__)


class StatefulRunner:
    """Owns the states of the partitions assigned to this worker."""

    def __init__(
        self, settings: KefuSettings, bootstrap: str, writer: BatchWriter, hours_for: HoursFor
    ) -> None:
        self.settings = settings
        self.bootstrap = bootstrap
        self.writer = writer
        self.hours_for = hours_for
        self.topics = topics_for(settings)
        self.states: dict[int, PartitionState] = {}
        self._pending: list[tuple[StreamT, EventT]] = []
        self._pending_since = 0.0
        self._touched: set[int] = set()
        self._lock = asyncio.Lock()
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap, linger_ms=2, max_request_size=16 * 1024 * 1024
        )
        await self._producer.start()

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()

    async def handle(self, stream: StreamT, event: EventT) -> None:
        partition = event.message.partition
        async with self._lock:
            state = self.states.get(partition) or await self._restore(partition)
            batch = unpack(event.value)
            stats = state.apply(batch, event.message.offset, self.writer.add, datetime.now(UTC))
            if not self._pending:
                self._pending_since = time.monotonic()
            self._pending.append((stream, event))
            self._touched.add(partition)
            self._observe(state, stats.events - stats.duplicates, stats.duplicates, stats.failed)
        if self._due():
            await self.flush()

    async def flush_if_due(self) -> None:
        if self._due():
            await self.flush()

    def _due(self) -> bool:
        """Rows to store, or input to ack: a batch applied before a restart adds no rows."""
        if not self._pending:
            return False
        waited = time.monotonic() - self._pending_since
        return self.writer.due() or waited >= self.writer.max_seconds

    async def flush(self) -> None:
        async with self._lock:
            if not self._pending:
                return
            span = _span(self._pending)
            await self.writer.flush(token_prefix=span)
            for partition in sorted(self._touched):
                await self._publish_changes(self.states[partition])
                await self._checkpoint(self.states[partition])
            for stream, event in self._pending:
                await stream.ack(event)
            self._pending, self._touched = [], set()

    async def on_revoked(self, sender: Any, *args: Any, signal: Any = None, **kwargs: Any) -> None:
        """faust's on_partitions_revoked receiver: store and ack first, then forget the state."""
        revoked: set[TP] = args[0]
        await self.flush()
        for tp in revoked:
            if tp.topic == self.topics.events:
                self.states.pop(tp.partition, None)

    async def _publish_changes(self, state: PartitionState) -> None:
        """Shop-keyed consumers (alarms) get the rows and this partition's event-time horizon."""
        assert self._producer is not None
        messages = encode_for_shops(
            state.partition, state.engine.horizon_ms, state.take_outbox(), self.settings.partitions
        )
        sends = [
            await self._producer.send(self.topics.inquiry_changes, value, partition=target)
            for target, value in messages.items()
        ]
        for sent in sends:
            await sent

    async def _checkpoint(self, state: PartitionState) -> None:
        assert self._producer is not None
        checkpoint = state.take_checkpoint()
        await changelog.write(self._producer, self.topics.changelog, state.partition, checkpoint)
        m.CHECKPOINT_PARTS.inc()

    async def _restore(self, partition: int) -> PartitionState:
        started = time.monotonic()
        state = PartitionState(
            partition,
            self.hours_for,
            self.settings.lateness_seconds * 1000,
            self.settings.conversion_status,
            self.settings.dedup_window_minutes * 60_000,
        )
        parts = 0
        for part in await changelog.read(self.bootstrap, self.topics.changelog, partition):
            state.load_checkpoint(part)
            parts += 1
        self.states[partition] = state
        log.info(
            "partition %d: restored %d checkpoint parts up to offset %d in %.2fs",
            partition, parts, state.offset, time.monotonic() - started,
        )  # fmt: skip
        return state

    def _observe(self, state: PartitionState, applied: int, duplicates: int, failed: int) -> None:
        m.APPLIED.inc(applied)
        m.DUPLICATES.inc(duplicates)
        m.FAILED.inc(failed)
        label = str(state.partition)
        stats = state.engine.stats
        m.LATE.labels(partition=label).set(stats.late)
        m.OPEN_INQUIRIES.labels(partition=label).set(stats.open_inquiries)
        # The clock the engine actually runs on, not the newest message it happened to see.
        watermark_ms = state.engine.watermark_ms
        if watermark_ms is not None:
            watermark = watermark_ms / 1000
            m.WATERMARK.labels(partition=label).set(watermark)
            m.WATERMARK_DELAY.labels(partition=label).set(time.time() - watermark)


def _span(pending: list[tuple[StreamT, EventT]]) -> str:
    """A flush's identity for the insert dedup token: the input offsets it covers."""
    bounds: dict[int, list[int]] = {}
    for _, event in pending:
        p, o = event.message.partition, event.message.offset
        low, high = bounds.setdefault(p, [o, o])
        bounds[p] = [min(low, o), max(high, o)]
    return ",".join(f"{p}:{lo}-{hi}" for p, (lo, hi) in sorted(bounds.items()))


def install(app: faust.App, runner: StatefulRunner) -> None:
    topic = app.topic(
        runner.topics.events,
        value_serializer="raw",
        key_serializer="raw",
        partitions=runner.settings.partitions,
    )

    @app.agent(topic, name="kefu.stateful")
    async def stateful(stream: StreamT) -> None:
        manual = manual_acks(stream)
        async for event in manual.events():
            await runner.handle(manual, event)

    @app.timer(interval=0.25)
    async def flush_when_due() -> None:
        await runner.flush_if_due()

    # faust types receivers too narrowly for bound async methods; the call shape matches.
    app.on_partitions_revoked.connect(runner.on_revoked)  # type: ignore[arg-type]
