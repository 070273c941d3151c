"""The escalation stage: packed events in, escalations and SLA clock events out, restart-safe.

A stage of its own beside the stateful one, reading the same `kefu.events` partitions.
Per batch: apply, produce escalations and clock events and wait for the broker's acks,
then hold the input. Every `checkpoint_seconds` under load, or at once when input pauses,
before a rebalance and at shutdown, each changed partition's state is snapshotted (with
the input offset it covers) and only then is the held input acked. A crash replays the
input since the last snapshot: escalation ids and clock events come from event time only,
so the repeats collapse in the work-order book; input a snapshot covers is skipped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any

import faust
from aiokafka import AIOKafkaProducer
from faust.types import TP, EventT, StreamT

from agents.alarms import snapshot
from agents.cadence import restart_state_due
from agents.escalation.stage import EscalationPartition, Output
from agents.escalation.wire import escalation_json, lifecycle_json
from agents.inquiries.hours import HoursFor
from agents.manual_acks import manual_acks, unacked_batches
from core.settings import KefuSettings
from core.topics import topics_for

log = logging.getLogger(__name__)

BATCH = 200
WITHIN_SECONDS = 0.2
TIMER_SECONDS = 0.25


class EscalationRunner:
    def __init__(self, settings: KefuSettings, bootstrap: str, hours_for: HoursFor) -> None:
        self.settings = settings
        self.bootstrap = bootstrap
        self.hours_for = hours_for
        self.topics = topics_for(settings)
        self.states: dict[int, EscalationPartition] = {}
        self._held: list[tuple[faust.Stream, EventT]] = []
        self._changed: set[int] = set()
        self._lock = asyncio.Lock()
        self._producer: AIOKafkaProducer | None = None
        self._snapshot_at = self._input_at = time.monotonic()

    async def handle(self, stream: faust.Stream, events: Sequence[EventT]) -> Output:
        async with self._lock:
            out = Output()
            for event in events:
                message = event.message
                state = self.states.get(message.partition) or await self._restore(message.partition)
                if message.offset <= state.offset:
                    continue  # the snapshot covers it
                try:
                    got = state.apply(event.value or b"", message.offset)
                except (ValueError, KeyError, TypeError):
                    # Only ingest writes this topic, after validating: a bad batch is our bug.
                    log.exception("escalations: skipping a bad batch at offset %d", message.offset)
                    continue
                out.escalations += got.escalations
                out.clocks += got.clocks
                self._changed.add(message.partition)
            await self._publish(out)
            self._held += [(stream, e) for e in events]
            self._input_at = time.monotonic()
            await self._snapshot_if_due()
            return out

    async def snapshot_if_due(self) -> None:
        if self._lock.locked():
            return
        async with self._lock:
            await self._snapshot_if_due()

    async def flush(self) -> None:
        async with self._lock:
            await self._snapshot_and_ack(set(self._changed))

    async def on_revoked(self, sender: Any, *args: Any, signal: Any = None, **kwargs: Any) -> None:
        """faust's on_partitions_revoked receiver: snapshot and ack, then forget the state."""
        revoked: set[TP] = args[0]
        gone = {tp.partition for tp in revoked if tp.topic == self.topics.events}
        async with self._lock:
            try:
                await self._snapshot_and_ack(self._changed & gone)
            except Exception:
                log.exception("escalation snapshots at revocation failed; the next owner replays")
            for partition in gone:
                self.states.pop(partition, None)
            self._changed -= gone
            self._held = [h for h in self._held if h[1].message.partition not in gone]

    async def stop(self) -> None:
        try:
            await self.flush()
        except Exception:
            log.exception("escalation snapshots at shutdown failed: a restart replays their input")
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def _snapshot_if_due(self) -> None:
        interval = self.settings.checkpoint_seconds
        if self._held and restart_state_due(
            time.monotonic(), self._input_at, self._snapshot_at, interval
        ):
            await self._snapshot_and_ack(set(self._changed))

    async def _snapshot_and_ack(self, partitions: set[int]) -> None:
        producer = await self._ensure_producer()
        for partition in sorted(partitions):
            state = self.states[partition]
            await snapshot.write(producer, self.topics.escalation_state, partition, state.dump())
            self._changed.discard(partition)
        self._snapshot_at = time.monotonic()
        done = [h for h in self._held if h[1].message.partition not in self._changed]
        self._held = [h for h in self._held if h[1].message.partition in self._changed]
        for stream, event in done:
            await stream.ack(event)

    async def _restore(self, partition: int) -> EscalationPartition:
        state = EscalationPartition(self.settings, self.hours_for)
        found = await snapshot.read_latest(self.bootstrap, self.topics.escalation_state, partition)
        if found is not None:
            state.load(found)
            log.info("escalation partition %d restored at offset %d", partition, state.offset)
        self.states[partition] = state
        return state

    async def _publish(self, out: Output) -> None:
        if not (out.escalations or out.clocks):
            return
        producer = await self._ensure_producer()
        sends = [
            await producer.send(
                self.topics.escalations, escalation_json(e), key=e.escalation_id.encode()
            )
            for e in out.escalations
        ]
        sends += [
            await producer.send(
                self.topics.work_order_events, lifecycle_json(c), key=c.work_order_id.encode()
            )
            for c in out.clocks
        ]
        for sent in sends:
            await sent

    async def _ensure_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, acks="all")
            await producer.start()
            self._producer = producer
        return self._producer


def install(app: faust.App, runner: EscalationRunner) -> None:
    topic = app.topic(
        runner.topics.events,
        value_serializer="raw",
        key_serializer="raw",
        partitions=runner.settings.partitions,
    )

    @app.agent(topic, name="kefu.escalations")
    async def escalations(stream: StreamT) -> None:
        manual = manual_acks(stream)
        async for batch in unacked_batches(manual, BATCH, WITHIN_SECONDS):
            await runner.handle(manual, batch)

    @app.timer(interval=TIMER_SECONDS)
    async def snapshot_when_due() -> None:
        await runner.snapshot_if_due()

    # faust types receivers too narrowly for bound async methods; the call shape matches.
    app.on_partitions_revoked.connect(runner.on_revoked)  # type: ignore[arg-type]
