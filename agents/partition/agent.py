"""The faust agent of the stateful stage: a thin loop around PartitionState, a writer and a changelog.

Applying input and storing its effects overlap: a flush takes the buffered rows, the
inquiry changes and the checkpoints of the partitions due for one synchronously, and hands
them to one background task that performs them strictly in order. Per flush: rows are
stored, then the inquiry changes are published, then the checkpoints are written (side by
side), then the input each covers is acked: a partition's checkpoint acks exactly that
partition's input applied before it, which the rows stored by then (in this flush or an
earlier one) include. A restart restores a partition's last checkpoint and skips its input
at or below that offset, so no event is counted twice; input after it is applied again,
and its rows collapse with the stored ones (same versions).

Each partition is checkpointed every `checkpoint_seconds` under load, the partitions in
turn rather than all in one flush, and all at once when input pauses (agents.cadence).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import faust
from aiokafka import AIOKafkaProducer, TopicPartition
from faust.types import EventT, StreamT

from agents.cadence import InputClock, staggered_due
from agents.inquiries.hours import HoursFor
from agents.manual_acks import manual_acks
from agents.ownership import Ownership
from agents.partition import changelog
from agents.partition import metrics as m
from agents.partition.memory import DAY_MS
from agents.partition.old_duplicates import beyond_window, stored_before
from agents.partition.orphans import left_open
from agents.partition.recalled import Recalled, recall, unknown
from agents.partition.state import PartitionState
from core import collector
from core.offsets import end_offsets
from core.settings import KefuSettings
from core.topics import topics_for
from schemas.inquiry_changes import encode_for_shops
from schemas.packed import unpack
from sinks import generations
from sinks.writer import Batches, BatchWriter

log = logging.getLogger(__name__)

Input = tuple[StreamT, EventT]
# Flushes taken but not yet performed: one in flight and one ready is enough to keep the
# store busy; more would only hold memory while the store is slow (backpressure).
QUEUED_FLUSHES = 2


@dataclass(slots=True)
class _Flush:
    """One flush's effects, taken under the lock, performed in this order by the background task."""

    span: str
    rows: Batches
    changes: list[tuple[int, dict[int, bytes]]]
    checkpoints: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    acks: list[Input] = field(default_factory=list)


class StatefulRunner:
    """Owns the states of the partitions assigned to this worker."""

    def __init__(
        self,
        settings: KefuSettings,
        bootstrap: str,
        writer: BatchWriter,
        hours_for: HoursFor,
    ) -> None:
        self.settings = settings
        self.bootstrap = bootstrap
        self.writer = writer
        self.hours_for = hours_for
        self.topics = topics_for(settings)
        self.states: dict[int, PartitionState] = {}
        self.chains: dict[int, changelog.Chain] = {}
        self._pending: list[Input] = []  # applied, not yet in a flush
        self._pending_since = 0.0
        self._touched: set[int] = set()  # partitions with changes to publish
        self._unacked: dict[int, list[Input]] = {}  # in a flush, waiting for a checkpoint
        # Each partition's last checkpoint (or state restored): its own clock, so that they
        # take turns (agents.cadence.staggered_due).
        self._checkpointed_at: dict[int, float] = {}
        self._input = InputClock()
        self._lock = asyncio.Lock()
        self._flushes: asyncio.Queue[_Flush] = asyncio.Queue(QUEUED_FLUSHES)
        self._failed: BaseException | None = None
        # Set when a flush failed for good: the process must end (see pipeline.commands.run).
        self.failed = asyncio.Event()
        self.assigned = False  # the group gave this worker its partitions at least once
        self.owned = Ownership(self.topics.events)
        self._performer: asyncio.Task[None] | None = None
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap, linger_ms=2, max_request_size=16 * 1024 * 1024
        )
        await self._producer.start()
        self._performer = asyncio.create_task(self._perform_all(), name="kefu-stateful-flush")

    async def stop(self) -> None:
        if self._performer is not None:
            self._performer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._performer
        if self._producer is not None:
            await self._producer.stop()

    async def handle(self, stream: StreamT, event: EventT) -> None:
        if self._failed is not None:
            raise self._failed
        partition = event.message.partition
        async with self._lock:
            if partition not in self.owned:  # revoked, or the worker is leaving
                return
            state = self.states.get(partition)
            if state is None:
                state = await self._restored(partition, event)
                self._checkpointed_at[partition] = time.monotonic()
            batch = unpack(event.value)
            stored = await self._stored_duplicates(state, batch.events)
            recalled = await self._recalled(state, batch.events)
            # After the last checkpoint's stamp, even within its millisecond: the lineage
            # counts rows stored up to that stamp as in the checkpoint.
            now_ms = max(int(time.time() * 1000), state.snapshot_ms + 1)
            stats = state.apply(
                batch, event.message.offset, self.writer.add, now_ms, stored, recalled
            )
            self._input.input(time.monotonic())
            if not self._pending:
                self._pending_since = self._input.input_at
            self._pending.append((stream, event))
            self._touched.add(partition)
            self._observe(state, stats.events - stats.duplicates, stats.duplicates, stats.failed)
            if self._due():
                await self._hand_off(self._checkpoints_due())

    async def flush_if_due(self) -> None:
        self._input.tick(time.monotonic())
        if self._lock.locked():
            return  # input is being applied, and handle checks what is due itself
        async with self._lock:
            checkpoints = self._checkpoints_due()
            if checkpoints or self._due():
                await self._hand_off(checkpoints)

    async def close(self) -> None:
        """The last flush of a worker on its way out; input after it stays unapplied
        (Ownership.close)."""
        async with self._lock:
            self.owned.close()
        await self.flush()

    async def flush(self) -> None:
        """Store, checkpoint and ack everything applied so far, and wait until it is done."""
        async with self._lock:
            if self._pending or self._unacked:
                await self._hand_off(self._input_since_checkpoint())
        await self._flushes.join()
        if self._failed is not None:
            raise self._failed

    @property
    def failure(self) -> BaseException | None:
        return self._failed

    async def on_assigned(self, sender: Any, *args: Any, **kwargs: Any) -> None:
        """faust's on_partitions_assigned receiver: the worker is in its group (for /ready)."""
        self.owned.assigned(args[0])
        self.assigned = True

    async def _stored_duplicates(
        self, state: PartitionState, events: list[dict[str, Any]]
    ) -> frozenset[str]:
        """Messages beyond the seen window that the store shows this lineage applied."""
        old = beyond_window(events, state.seen.horizon_ms)
        unknown = [e for e in old if e["event_id"] not in state.applied_beyond_window]
        if not unknown:
            return frozenset()
        lineage = state.lineage()
        found = await self.writer.call(lambda store: stored_before(store, unknown, lineage))
        return frozenset(found)

    async def _recalled(self, state: PartitionState, events: list[dict[str, Any]]) -> Recalled:
        """Stored refunds and orders the batch continues after memory forgot them."""
        if not state.forgot_facts:
            return Recalled()
        wanted = unknown(events, state.refunds, state.orders)
        if not wanted:
            return Recalled()
        # What memory forgot was unchanged at the last checkpoint, so its rows are in the
        # flushes taken by then: wait for those to be stored.
        await self._flushes.join()
        return await self.writer.call(lambda store: recall(store, wanted))

    def _due(self) -> bool:
        """Rows to store, or input to ack: a batch applied before a restart adds no rows."""
        if not self._pending:
            return False
        waited = time.monotonic() - self._pending_since
        return self.writer.due() or waited >= self.writer.max_seconds

    def _checkpoints_due(self) -> list[int]:
        """Partitions with input since their last checkpoint whose next one is due."""
        now = time.monotonic()
        return staggered_due(
            now,
            self._input.paused_at(now),
            self._checkpointed_at,
            self._input_since_checkpoint(),
            self.settings.checkpoint_seconds,
        )

    def _input_since_checkpoint(self) -> set[int]:
        """Partitions with input applied since their last checkpoint."""
        return self._touched | self._unacked.keys()

    async def _hand_off(self, checkpoints: Collection[int]) -> None:
        """Take this flush's effects now (under the lock); the background task performs them.

        `checkpoints`: partitions to checkpoint, each acking all its input applied so far."""
        flush = _Flush(
            span=_span(self._pending, self.states),
            rows=self.writer.take(),
            changes=[self._take_changes(self.states[p]) for p in sorted(self._touched)],
        )
        for applied in self._pending:
            self._unacked.setdefault(applied[1].message.partition, []).append(applied)
        self._pending, self._touched = [], set()
        now_ms = int(time.time() * 1000)
        ratio = self.settings.checkpoint_delta_ratio
        if checkpoints:
            # They live until written, across young collections (core.collector); held out
            # only when there are some, since holding out costs a young collection.
            with collector.held_out():
                for p in sorted(checkpoints):
                    full = self._chain(p).full_due(ratio)
                    flush.checkpoints.append((p, self.states[p].take_checkpoint(now_ms, full)))
                    flush.acks += self._unacked.pop(p, [])
                    self._checkpointed_at[p] = time.monotonic()
        await self._flushes.put(flush)

    def _chain(self, partition: int) -> changelog.Chain:
        return self.chains.setdefault(partition, changelog.Chain())

    def _take_changes(self, state: PartitionState) -> tuple[int, dict[int, bytes]]:
        """Shop-keyed consumers (alarms) get the rows and this partition's event-time horizon."""
        messages = encode_for_shops(
            state.partition, state.engine.horizon_ms, state.take_outbox(), self.settings.partitions
        )
        return state.partition, messages

    async def _perform_all(self) -> None:
        """Flushes in the order they were taken; after a failure none (their order matters)."""
        while True:
            flush = await self._flushes.get()
            try:
                if self._failed is None:
                    await self._perform(flush)
            except Exception as exc:
                self.fail(exc, f"stateful flush {flush.span} failed")
            finally:
                self._flushes.task_done()

    def fail(self, exc: BaseException, what: str) -> None:
        """Stop for good: faust would restart the agent into the same error, and never exit."""
        if self._failed is None:
            log.critical("%s; input stays unacked, the worker stops: %s", what, exc)
            self._failed = exc
            self.failed.set()

    async def _perform(self, flush: _Flush) -> None:
        assert self._producer is not None
        if flush.rows:
            await self.writer.write(flush.rows, token_prefix=flush.span)
        sends = [
            await self._producer.send(self.topics.inquiry_changes, value, partition=target)
            for _, messages in flush.changes
            for target, value in messages.items()
        ]
        for sent in sends:
            await sent
        # Concurrently: each partition has its own chain and changelog partition, and written
        # one after another they held the flush queued behind them for up to 2 s (the p99 of
        # event → stored; BENCHMARKS.md, Latency). The flush's acks wait for all of them, and
        # a failure waits for the others to end before it stops the stage.
        written = await asyncio.gather(
            *(
                changelog.write(
                    self._producer,
                    self.topics.changelog,
                    partition,
                    checkpoint,
                    self._chain(partition),
                )
                for partition, checkpoint in flush.checkpoints
            ),
            return_exceptions=True,
        )
        for outcome in written:
            if isinstance(outcome, BaseException):
                raise outcome
        m.CHECKPOINT_PARTS.inc(len(flush.checkpoints))
        for stream, event in flush.acks:
            await stream.ack(event)

    async def on_revoked(self, sender: Any, *args: Any, signal: Any = None, **kwargs: Any) -> None:
        """faust's on_partitions_revoked receiver: store and ack first, then forget the state."""
        gone = self.owned.revoked(args[0])
        started = time.monotonic()
        await self.flush()
        took, limit = time.monotonic() - started, self.settings.broker_rebalance_timeout
        if took > limit:
            log.error(
                "partitions %s: storing their state took %.1fs, longer than "
                "broker_rebalance_timeout (%.0fs): the group may have given them to another "
                "worker meanwhile, which started from an older checkpoint; raise the timeout",
                sorted(gone), took, limit,
            )  # fmt: skip
        async with self._lock:
            for partition in gone:
                self.states.pop(partition, None)
                self.chains.pop(partition, None)
                self._checkpointed_at.pop(partition, None)
                self._unacked.pop(partition, None)
            # Applied after the flush above: the next owner reads it again.
            self._pending = [i for i in self._pending if i[1].message.partition not in gone]
            self._touched -= gone

    async def _restored(self, partition: int, first: EventT) -> PartitionState:
        """The partition's restored state; says so when its first input is past the state's
        offset, since the input between was committed without a checkpoint covering it."""
        state = await self._restore(partition)
        offset = first.message.offset
        if state.offset >= 0 and offset > state.offset + 1:
            m.RESTORE_GAPS.inc()
            log.error(
                "partition %d: restored up to offset %d but input resumes at %d: offsets "
                "%d-%d were committed without a checkpoint covering them",
                partition, state.offset, offset, state.offset + 1, offset - 1,
            )  # fmt: skip
        return state

    async def _restore(self, partition: int) -> PartitionState:
        started = time.monotonic()
        state = self._new_state(partition)
        restored = await changelog.read(self.bootstrap, self.topics.changelog, partition)
        for part in restored.parts:
            state.load_checkpoint(part)
        parts = len(restored.parts)
        self.chains[partition] = restored.chain
        if parts and await self._topic_recreated(partition, state.offset):
            log.warning(
                "partition %d: the checkpoint is at offset %d, past the end of %s: the topic "
                "was recreated, so its state starts empty", partition, state.offset,
                self.topics.events,
            )  # fmt: skip
            self.chains[partition] = restored.chain.restart()
            return await self._restore_empty(partition)
        if not parts:
            return await self._restore_empty(partition)
        state.resumed(int(time.time() * 1000))
        self.states[partition] = state
        seconds = time.monotonic() - started
        m.RESTORE_SECONDS.labels(partition=str(partition)).set(seconds)
        m.RESTORE_BYTES.labels(partition=str(partition)).set(restored.bytes)
        log.info(
            "partition %d: restored %d checkpoint parts up to offset %d (generation %d) in %.2fs",
            partition, parts, state.offset, state.generation, seconds,
        )  # fmt: skip
        return state

    def _new_state(self, partition: int) -> PartitionState:
        return PartitionState(
            partition,
            self.hours_for,
            self.settings.lateness_seconds * 1000,
            self.settings.conversion_status,
            self.settings.dedup_window_minutes * 60_000,
            self.settings.conversation_memory_days * DAY_MS,
            self.settings.fact_memory_days * DAY_MS,
        )

    async def _restore_empty(self, partition: int) -> PartitionState:
        """A state with no past: its rows take a generation above every earlier run's."""
        state = self._new_state(partition)
        state.started_ms = int(time.time() * 1000)
        state.generation = await self.writer.call(generations.next_generation)
        topic = self.topics.events
        await self.writer.call(
            lambda store: generations.record(store, state.generation, partition, topic)
        )
        partitions = self.settings.partitions
        state.orphans.adopt(
            await self.writer.call(lambda store: left_open(store, partition, partitions))
        )
        self.states[partition] = state
        log.info(
            "partition %d: no checkpoint; starting generation %d, taking over %d open inquiries",
            partition, state.generation, len(state.orphans),
        )  # fmt: skip
        return state

    async def _topic_recreated(self, partition: int, restored_offset: int) -> bool:
        """A checkpoint past the partition's end belongs to an earlier incarnation of the topic."""
        tp = TopicPartition(self.topics.events, partition)
        end = (await end_offsets(self.bootstrap, [self.topics.events]))[tp]
        return restored_offset >= end

    def _observe(self, state: PartitionState, applied: int, duplicates: int, failed: int) -> None:
        m.APPLIED.inc(applied)
        m.DUPLICATES.inc(duplicates)
        m.FAILED.inc(failed)
        label = str(state.partition)
        stats = state.engine.stats
        m.LATE.labels(partition=label).set(stats.late)
        m.OPEN_INQUIRIES.labels(partition=label).set(stats.open_inquiries)
        for kind, count in state.held().items():
            m.HELD.labels(partition=label, kind=kind).set(count)
        # The clock the engine actually runs on, not the newest message it happened to see.
        watermark_ms = state.engine.watermark_ms
        if watermark_ms is not None:
            watermark = watermark_ms / 1000
            m.WATERMARK.labels(partition=label).set(watermark)
            m.WATERMARK_DELAY.labels(partition=label).set(time.time() - watermark)


def _span(pending: list[Input], states: dict[int, PartitionState]) -> str:
    """A flush's identity for the insert dedup token: the input offsets it covers, in the
    state's generation and incarnation.

    The generation: a new broker's offsets start at 0 again, and a token of the earlier run
    would make the store drop the new rows as a repeated insert. The incarnation: after a
    restore the same offsets can give other rows (the store's answers and the time a member
    stops holding the clock are not in the checkpoint), and a flush of the lost copy that
    covered the same offsets would have the new rows dropped; the re-applied rows collapse by
    version instead.
    """
    bounds: dict[int, list[int]] = {}
    for _, event in pending:
        p, o = event.message.partition, event.message.offset
        low, high = bounds.setdefault(p, [o, o])
        bounds[p] = [min(low, o), max(high, o)]
    return ",".join(
        f"{p}@{states[p].generation}.{states[p].incarnation}:{lo}-{hi}"
        for p, (lo, hi) in sorted(bounds.items())
    )


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
            try:
                await runner.handle(manual, event)
            except Exception as exc:
                runner.fail(exc, f"applying input at offset {event.message.offset} failed")
                raise

    @app.timer(interval=0.25)
    async def flush_when_due() -> None:
        await runner.flush_if_due()

    # faust types receivers too narrowly for bound async methods; the call shape matches.
    app.on_partitions_revoked.connect(runner.on_revoked)  # type: ignore[arg-type]
    app.on_partitions_assigned.connect(runner.on_assigned)  # type: ignore[arg-type]
