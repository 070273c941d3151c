"""The alarm agent: inquiry changes in, alert events out, on event time, restart-safe.

Per batch of input messages: fold the changes in and evaluate every point the event time
passed; produce the alerts and wait for the broker's acks. The input is then held, not
acked. Once `alarm_snapshot_seconds` have passed since the last snapshot, or input paused
(agents.cadence; checked after each batch and by a timer), before partitions are revoked and
at shutdown, each partition changed since its last snapshot is written (with the input
offset it covers; a delta of what changed, or a full one when due, see agents.alarms.snapshot),
and only then is the held input acked. A crash before the
snapshot replays the input since the previous one and produces the same alerts again
(ids and event times are derived from event time only), which the alerts table
collapses and the notifier skips; input a snapshot covers is skipped on restore. Nothing
is lost and no state moves twice.

A batch that fails between applying and publishing may leave alerts evaluated but not
produced: its partitions are never snapshotted or acked again in this process, so the
next owner (after a restart or a rebalance) replays them from the last good snapshot.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import faust
from aiokafka import AIOKafkaProducer
from faust.types import TP, EventT, StreamT
from mode import Service

from agents.alarms import metrics as m
from agents.alarms import snapshot
from agents.alarms.model import Alert
from agents.alarms.partition import AlarmPartition
from agents.alarms.shop import grouped
from agents.cadence import InputClock
from agents.controls.book import ControlBook
from agents.manual_acks import manual_acks, unacked_batches
from agents.ownership import Ownership
from core.settings import KefuSettings
from core.topics import topics_for
from schemas.inquiry_changes import decode

log = logging.getLogger(__name__)

BATCH = 500
WITHIN_SECONDS = 0.2
TIMER_SECONDS = 0.25

Held = tuple[StreamT, EventT]


class AlarmRunner(Service):
    """Owns the alarm states of the inquiry-changes partitions assigned to this worker."""

    def __init__(
        self,
        settings: KefuSettings,
        bootstrap: str,
        clock: Callable[[], float] = time.monotonic,
        controls: ControlBook | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.settings = settings
        self.controls = controls or ControlBook()
        self.bootstrap = bootstrap
        self.topics = topics_for(settings)
        self.states: dict[int, AlarmPartition] = {}
        self._clock = clock
        self._snapshot_at = clock()
        self._input = InputClock(input_at=self._snapshot_at)
        self._held: list[Held] = []  # input applied and published, acked after the snapshot
        self._changed: set[int] = set()  # partitions changed since their last snapshot
        self._chains: dict[int, snapshot.Chain] = {}
        self._broken: set[int] = set()  # a batch failed half-way: never snapshot or ack these
        self._lock = asyncio.Lock()
        self._producer: AIOKafkaProducer | None = None
        self.owned = Ownership(self.topics.inquiry_changes)

    async def on_stop(self) -> None:
        await self.flush_at_shutdown()
        async with self._lock:
            if self._producer is not None:
                await self._producer.stop()
                self._producer = None

    async def handle(self, stream: StreamT, events: Sequence[EventT]) -> list[Alert]:
        """Apply, evaluate and publish one batch of input; snapshot and ack when due."""
        async with self._lock:
            if self.owned.closed:
                return []  # on its way out: the partitions' next owner applies it
            mine = self.owned.of(events)
            alerts = await self._apply_and_publish(stream, mine) if mine else []
            await self._snapshot_if_due()
            return alerts

    async def snapshot_if_due(self) -> None:
        """The timer's entry: acks input that waits with no batch after it."""
        self._input.tick(self._clock())
        if self._lock.locked():
            return  # a batch, revocation or flush is on; a batch checks the interval itself
        async with self._lock:
            await self._snapshot_if_due()

    async def flush(self) -> None:
        """Snapshot every changed partition and ack all held input, due or not."""
        async with self._lock:
            await self._snapshot_and_ack()

    async def flush_at_shutdown(self) -> None:
        """The last snapshots; input after them stays unapplied (Ownership.close)."""
        async with self._lock:
            self.owned.close()
        try:
            await self.flush()
        except Exception:
            log.exception("alarm snapshots at shutdown failed: a restart replays their input")

    async def revoke(self, partitions: set[TP]) -> None:
        """Snapshot and ack revoked partitions, then forget them: their next owner restores them."""
        mine = self.owned.revoked(partitions)
        async with self._lock:
            try:
                await self._snapshot_and_ack(mine)
            except Exception:
                # Nothing of theirs was acked: the next owner replays it from the last snapshot.
                log.exception("alarm partitions %s: snapshots at revocation failed", sorted(mine))
            for partition in mine:
                self.states.pop(partition, None)
                self._chains.pop(partition, None)
            self._broken -= mine
            self._changed -= mine
            self._held = [h for h in self._held if h[1].message.partition not in mine]

    def assigned(self, assignment: set[TP]) -> None:
        self.owned.assigned(assignment)

    def held_offsets(self) -> dict[int, int]:
        """The newest input offset per partition that is published but not yet acked."""
        newest: dict[int, int] = {}
        for _, event in self._held:
            message = event.message
            newest[message.partition] = max(newest.get(message.partition, -1), message.offset)
        return newest

    def _due(self) -> bool:
        """The interval passed, or input paused: a quiet partition's acks need not wait."""
        return bool(self._held) and self._input.state_due(
            self._clock(), self._snapshot_at, self.settings.alarm_snapshot_seconds
        )

    async def _snapshot_if_due(self) -> None:
        if not self._due():
            return
        try:
            await self._snapshot_and_ack()
        except Exception:
            # The input stays held and its partitions changed: the next interval tries again.
            log.exception("alarm snapshots failed; their input stays unacked")
            self._snapshot_at = self._clock()

    async def _apply_and_publish(self, stream: StreamT, events: Sequence[EventT]) -> list[Alert]:
        started = time.perf_counter()
        touched: dict[int, AlarmPartition] = {}
        try:
            for event in events:
                message = event.message
                state = self.states.get(message.partition) or await self._restore(message.partition)
                if self._apply(state, event):
                    touched[state.partition] = state
            now_ms = int(time.time() * 1000)
            alerts = self._controlled(
                [
                    alert
                    for partition in sorted(touched)
                    for alert in touched[partition].evaluate(self.settings.shop, now_ms)
                ]
            )
            m.EVALUATION_SECONDS.inc(time.perf_counter() - started)
            await self._publish(await self._ensure_producer(), alerts)
        except BaseException:
            self._break({event.message.partition for event in events})
            raise
        self._changed |= touched.keys() - self._broken
        self._held += [(stream, e) for e in events if e.message.partition not in self._broken]
        self._input.input(self._clock())
        self._observe(touched.values())
        return alerts

    def _controlled(self, alerts: list[Alert]) -> list[Alert]:
        """Acked episodes send no reminders; silences and acks are recorded on each alert."""
        book = self.controls
        kept = [a for a in alerts if not (a.reminder and book.acked_by(a.alert_id))]
        return grouped([book.mark(a) for a in kept])

    def _break(self, partitions: set[int]) -> None:
        """Alerts of these partitions may be evaluated and not produced: hold them for good."""
        fresh = partitions - self._broken
        if fresh:
            log.error(
                "alarm partitions %s: a batch failed before its alerts were produced; "
                "no more snapshots or acks for them until a restart or rebalance replays them",
                sorted(fresh),
            )
        self._broken |= partitions
        self._changed -= partitions
        self._held = [h for h in self._held if h[1].message.partition not in partitions]

    async def _snapshot_and_ack(self, only: set[int] | None = None) -> None:
        """Write the changed partitions' snapshots (all, or `only`), then ack their input."""
        chosen = self._changed if only is None else self._changed & only
        if chosen:
            producer = await self._ensure_producer()
            for partition in sorted(chosen):
                await self._write_snapshot(producer, partition)
                self._changed.discard(partition)
        # Held input of an unchanged partition changed nothing (a redelivery, an undecodable
        # message): its last snapshot covers it as well.
        if only is None:
            acked, self._held = self._held, []
        else:
            acked = [h for h in self._held if h[1].message.partition in only]
            self._held = [h for h in self._held if h[1].message.partition not in only]
        for stream, event in acked:
            await stream.ack(event)
        if only is None:
            self._snapshot_at = self._clock()

    async def _write_snapshot(self, producer: AIOKafkaProducer, partition: int) -> None:
        """A delta on the partition's last snapshot, or a full one when due."""
        chain = self._chains.setdefault(partition, snapshot.Chain())
        state = self.states[partition]
        full, size = await snapshot.write_next(
            producer,
            self.topics.alarm_state,
            partition,
            chain,
            lambda full: state.take_full() if full else state.take_delta(),
            self.settings,
            self._clock(),
        )
        kind = "full" if full else "delta"
        m.SNAPSHOT_BYTES.labels(partition=str(partition), kind=kind).set(size)

    def _apply(self, state: AlarmPartition, event: EventT) -> bool:
        try:
            message = decode(event.value)
        except (ValueError, KeyError, TypeError):
            # The stateful stage wrote it, so this is our bug; keep the partition moving.
            log.exception(
                "alarm partition %d: cannot decode inquiry changes at offset %d",
                state.partition, event.message.offset,
            )  # fmt: skip
            return False
        return state.apply(message, event.message.offset, self.settings.shop)

    async def _ensure_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer = AIOKafkaProducer(
                bootstrap_servers=self.bootstrap, acks="all", linger_ms=2,
                max_request_size=4 * 1024 * 1024,
            )  # fmt: skip
            await producer.start()
            self._producer = producer
        return self._producer

    async def _publish(self, producer: AIOKafkaProducer, alerts: list[Alert]) -> None:
        sends = [
            await producer.send(self.topics.alerts, alert.to_json(), key=alert.shop_id.encode())
            for alert in alerts
        ]
        for sent in sends:
            await sent
        for alert in alerts:
            m.ALERTS.labels(rule=alert.rule, state=alert.state).inc()
            if alert.reminder:
                m.REMINDERS.labels(rule=alert.rule).inc()
            log.info("alert %s %s (%s)", alert.alert_id, alert.state, alert.message)

    async def _restore(self, partition: int) -> AlarmPartition:
        state = AlarmPartition(partition, self.settings.partitions)
        saved = await snapshot.read_chain(self.bootstrap, self.topics.alarm_state, partition)
        if saved is not None:
            state.restore(saved)
        log.info(
            "alarm partition %d: restored %d shops up to offset %d (%d deltas)",
            partition, len(state.shops), state.offset, max(0, len(saved or ()) - 1),
        )  # fmt: skip
        self.states[partition] = state
        return state

    def _observe(self, states: Iterable[AlarmPartition]) -> None:
        wall = time.time()
        for state in states:
            if state.late_rows:
                m.LATE_ROWS.inc(state.late_rows)
                log.warning(
                    "alarm partition %d: %d changes came after their window was evaluated "
                    "(up to %.0fs behind): the stateful stage's horizon ran ahead of its input",
                    state.partition, state.late_rows, state.late_by_ms / 1000,
                )  # fmt: skip
                state.late_rows = state.late_by_ms = 0
            event_ms = state.event_time_ms
            if event_ms is not None:
                label = str(state.partition)
                m.EVENT_TIME.labels(partition=label).set(event_ms / 1000)
                m.EVENT_TIME_DELAY.labels(partition=label).set(wall - event_ms / 1000)
            for shop_id, shop in state.shops.items():
                live, settings = shop.live, self.settings.shop(shop_id)
                if live is None:
                    continue
                m.REPLY_RATE.labels(shop=shop_id).set(
                    float("nan") if live.rate is None else live.rate
                )
                m.WINDOW_INQUIRIES.labels(shop=shop_id).set(live.inquiries)
                m.THRESHOLD.labels(shop=shop_id).set(settings.threshold)
                m.MIN_INQUIRIES.labels(shop=shop_id).set(settings.min_inquiries)
                m.WAITING.labels(shop=shop_id).set(live.waiting)
                m.WARNED.labels(shop=shop_id).set(live.warned)


def install(app: faust.App, runner: AlarmRunner) -> None:
    topic = app.topic(
        runner.topics.inquiry_changes,
        value_serializer="raw",
        key_serializer="raw",
        partitions=runner.settings.partitions,
    )

    @app.agent(topic, name="kefu.alarms")
    async def alarms(stream: StreamT) -> None:
        manual = manual_acks(stream)
        async for batch in unacked_batches(manual, BATCH, WITHIN_SECONDS):
            await runner.handle(manual, batch)
            _observe_lag(app, batch)

    @app.timer(interval=TIMER_SECONDS)
    async def alarm_snapshots_when_due() -> None:
        await runner.snapshot_if_due()

    async def on_revoked(sender: object, *args: Any, **kwargs: Any) -> None:
        await runner.revoke(args[0])

    async def on_assigned(sender: object, *args: Any, **kwargs: Any) -> None:
        runner.assigned(args[0])

    async def on_shutdown(sender: object, *args: Any, **kwargs: Any) -> None:
        # Before faust stops its consumer, so these acks are still committed.
        await runner.flush_at_shutdown()

    # faust types receivers too narrowly for plain async functions; the call shape matches.
    app.on_partitions_revoked.connect(on_revoked)  # type: ignore[arg-type]
    app.on_partitions_assigned.connect(on_assigned)  # type: ignore[arg-type]
    app.on_before_shutdown.connect(on_shutdown)  # type: ignore[arg-type]
    app.add_dependency(runner)


def _observe_lag(app: faust.App, batch: Sequence[EventT]) -> None:
    last: dict[TP, int] = {}
    for event in batch:
        message = event.message
        last[message.tp] = max(last.get(message.tp, -1), message.offset)
    # A rebalance may take a batch's partitions while it is handled: their lag is the next
    # owner's to report (and the consumer refuses to answer for them).
    assigned = app.consumer.assignment()
    for tp, offset in last.items():
        highwater = app.consumer.highwater(tp) if tp in assigned else None
        if highwater is not None:
            m.CONSUMER_LAG.labels(
                consumer="alarms", topic=tp.topic, partition=str(tp.partition)
            ).set(max(0, highwater - offset - 1))
