"""A stage beside the stateful one: packed events in, records out, restart-safe by snapshots.

Each stage reads the same `kefu.events` partitions with a small state per partition and
part: the escalations and quality inspection are two parts of one stage, so a packed batch
is fetched through faust and decoded once for both. Per batch: apply every part, publish
what each produced and wait for the broker's acks, then hold the input.
Every `checkpoint_seconds` under load, or at once when input pauses, before a rebalance and
at shutdown, each changed partition's state is snapshotted (with the input offset it covers)
and only then is the held input acked. A snapshot is a delta on the one before (what changed
since: the states grow with the dedup window and conversation memory, their changes with the
input) or a full one when the chain's rule says so (`agents.alarms.snapshot`, whose chains
and settings it shares); a restore applies the newest full one and its deltas. A crash
replays the input since the last snapshot; the stages' outputs carry ids from event time
only, so the repeats collapse downstream, and input a snapshot covers is skipped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import faust
from aiokafka import AIOKafkaProducer
from faust.types import EventT, StreamT

from agents.alarms import snapshot
from agents.cadence import InputClock
from agents.manual_acks import manual_acks, unacked_batches
from agents.ownership import Ownership
from core.settings import KefuSettings
from core.topics import topics_for
from schemas.packed import PackedBatch, unpack

log = logging.getLogger(__name__)

BATCH = 200
WITHIN_SECONDS = 0.2
TIMER_SECONDS = 0.25
# Snapshots at input pauses take at most about 1/GAP_PER_COST of the stage's time: a stage
# faster than its input pauses between most batches, and a large state (QC holds the
# messages waiting for event time) would otherwise be written several times a second.
GAP_PER_COST = 20.0

Out = TypeVar("Out")


class PartitionState(Protocol[Out]):
    """One events partition's state; `offset` is the last input it applied."""

    offset: int

    def apply_batch(self, batch: PackedBatch, offset: int) -> list[Out]: ...
    def dump(self) -> dict[str, Any]: ...
    def dump_delta(self) -> dict[str, Any]: ...
    def load(self, data: dict[str, Any]) -> None: ...
    def load_delta(self, data: dict[str, Any]) -> None: ...


Publish = Callable[[AIOKafkaProducer, list[Out]], Awaitable[None]]


@dataclass(frozen=True)
class Part(Generic[Out]):
    """One state per partition, its snapshot topic, and where its records go."""

    name: str
    state_topic: str
    new_state: Callable[[], PartitionState[Out]]
    publish: Publish[Out]


class SnapshotStage:
    def __init__(
        self, name: str, settings: KefuSettings, bootstrap: str, parts: Sequence[Part[Any]]
    ) -> None:
        self.name = name
        self.settings = settings
        self.bootstrap = bootstrap
        self.topics = topics_for(settings)
        self.parts = tuple(parts)
        # Per part, its states by partition.
        self.states: tuple[dict[int, PartitionState[Any]], ...] = tuple({} for _ in self.parts)
        self.chains: tuple[dict[int, snapshot.Chain], ...] = tuple({} for _ in self.parts)
        self._held: list[tuple[faust.Stream, EventT]] = []
        self._changed: set[int] = set()
        self._lock = asyncio.Lock()
        self._producer: AIOKafkaProducer | None = None
        self._snapshot_at = time.monotonic()
        self._input = InputClock(input_at=self._snapshot_at)
        self._snapshot_seconds = 0.0
        self.owned = Ownership(self.topics.events)

    async def handle(self, stream: faust.Stream, events: Sequence[EventT]) -> list[list[Any]]:
        """Each part's records from `events`, published before the input is held."""
        async with self._lock:
            outs: list[list[Any]] = [[] for _ in self.parts]
            if self.owned.closed:
                return outs  # on its way out: the partitions' next owner applies it
            events = self.owned.of(events)
            for event in events:
                message = event.message
                states = [await self._state(i, message.partition) for i in range(len(outs))]
                if all(message.offset <= state.offset for state in states):
                    continue  # the snapshots cover it
                try:
                    batch = unpack(event.value or b"")
                    for out, state in zip(outs, states, strict=True):
                        if message.offset > state.offset:
                            out += state.apply_batch(batch, message.offset)
                            self._changed.add(message.partition)
                except (ValueError, KeyError, TypeError):
                    # Only ingest writes this topic, after validating: a bad batch is our bug.
                    log.exception(
                        "%s: skipping a bad batch at offset %d", self.name, message.offset
                    )
            for part, out in zip(self.parts, outs, strict=True):
                if out:
                    await part.publish(await self._ensure_producer(), out)
            self._held += [(stream, e) for e in events]
            self._input.input(time.monotonic())
            await self._snapshot_if_due()
            return outs

    async def snapshot_if_due(self) -> None:
        self._input.tick(time.monotonic())
        if self._lock.locked():
            return
        async with self._lock:
            await self._snapshot_if_due()

    async def flush(self) -> None:
        async with self._lock:
            await self._snapshot_and_ack(set(self._changed))

    async def on_revoked(self, sender: Any, *args: Any, signal: Any = None, **kwargs: Any) -> None:
        """faust's on_partitions_revoked receiver: snapshot and ack, then forget the state."""
        gone = self.owned.revoked(args[0])
        async with self._lock:
            try:
                await self._snapshot_and_ack(self._changed & gone)
            except Exception:
                log.exception(
                    "%s snapshots at revocation failed; the next owner replays", self.name
                )
            for states, chains in zip(self.states, self.chains, strict=True):
                for partition in gone:
                    states.pop(partition, None)
                    chains.pop(partition, None)
            self._changed -= gone
            self._held = [h for h in self._held if h[1].message.partition not in gone]

    async def on_assigned(self, sender: Any, *args: Any, **kwargs: Any) -> None:
        """faust's on_partitions_assigned receiver."""
        self.owned.assigned(args[0])

    async def stop(self) -> None:
        """The last snapshots; input after them stays unapplied (Ownership.close)."""
        async with self._lock:
            self.owned.close()
        try:
            await self.flush()
        except Exception:
            log.exception(
                "%s snapshots at shutdown failed: a restart replays their input", self.name
            )
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def _snapshot_if_due(self) -> None:
        interval = self.settings.checkpoint_seconds
        gap = GAP_PER_COST * self._snapshot_seconds
        if self._held and self._input.state_due(time.monotonic(), self._snapshot_at, interval, gap):
            await self._snapshot_and_ack(set(self._changed))

    async def _snapshot_and_ack(self, partitions: set[int]) -> None:
        producer = await self._ensure_producer()
        started = time.monotonic()
        for partition in sorted(partitions):
            for index in range(len(self.parts)):
                if partition in self.states[index]:
                    await self._write(producer, index, partition)
            self._changed.discard(partition)
        self._snapshot_at = time.monotonic()
        self._snapshot_seconds = self._snapshot_at - started
        done = [h for h in self._held if h[1].message.partition not in self._changed]
        self._held = [h for h in self._held if h[1].message.partition in self._changed]
        for stream, event in done:
            await stream.ack(event)

    async def _write(self, producer: AIOKafkaProducer, index: int, partition: int) -> None:
        """A delta on the partition's last snapshot, or a full one when due."""
        chain = self.chains[index].setdefault(partition, snapshot.Chain())
        state = self.states[index][partition]
        await snapshot.write_next(
            producer,
            self.parts[index].state_topic,
            partition,
            chain,
            lambda full: state.dump() if full else state.dump_delta(),
            self.settings,
            time.monotonic(),
        )

    async def _state(self, index: int, partition: int) -> PartitionState[Any]:
        state = self.states[index].get(partition)
        return state if state is not None else await self._restore(index, partition)

    async def _restore(self, index: int, partition: int) -> PartitionState[Any]:
        part = self.parts[index]
        state = part.new_state()
        found = await snapshot.read_chain(self.bootstrap, part.state_topic, partition)
        if found is not None:
            state.load(found[0])
            for delta in found[1:]:
                state.load_delta(delta)
            log.info(
                "%s partition %d restored at offset %d (%d deltas)",
                part.name, partition, state.offset, len(found) - 1,
            )  # fmt: skip
        self.states[index][partition] = state
        return state

    async def _ensure_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, acks="all")
            await producer.start()
            self._producer = producer
        return self._producer


def install(app: faust.App, stage: SnapshotStage) -> None:
    """The stage's agent on the events topic, its snapshot timer and its revocation hook."""
    topic = app.topic(
        stage.topics.events,
        value_serializer="raw",
        key_serializer="raw",
        partitions=stage.settings.partitions,
    )

    @app.agent(topic, name=stage.name)
    async def apply_batches(stream: StreamT) -> None:
        manual = manual_acks(stream)
        async for batch in unacked_batches(manual, BATCH, WITHIN_SECONDS):
            await stage.handle(manual, batch)

    @app.timer(interval=TIMER_SECONDS)
    async def snapshot_when_due() -> None:
        await stage.snapshot_if_due()

    # faust types receivers too narrowly for bound async methods; the call shape matches.
    app.on_partitions_revoked.connect(stage.on_revoked)  # type: ignore[arg-type]
    app.on_partitions_assigned.connect(stage.on_assigned)  # type: ignore[arg-type]
