"""The alarm agent: inquiry changes in, alert events out, on event time, restart-safe.

Order of effects per batch of input messages: fold the changes in and evaluate every
point the event time passed; produce the alerts and wait for the broker's acks; write a
snapshot of each touched partition's state (with the input offset it covers); then ack
the input. A crash before the snapshot replays the batch from the previous snapshot and
produces the same alerts again (ids and event times are derived from event time only),
which the alerts table collapses and the notifier skips; a crash after it skips the
batch on restore. Nothing is lost and no state moves twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Sequence
from typing import Any

import faust
from aiokafka import AIOKafkaProducer
from faust.types import TP, EventT, StreamT
from mode import Service

from agents.alarms import metrics as m
from agents.alarms import snapshot
from agents.alarms.model import Alert
from agents.alarms.partition import AlarmPartition
from agents.manual_acks import manual_acks
from pipeline.settings import KefuSettings
from pipeline.topics import topics_for
from schemas.inquiry_changes import decode

log = logging.getLogger(__name__)

BATCH = 500
WITHIN_SECONDS = 0.2


class AlarmRunner(Service):
    """Owns the alarm states of the inquiry-changes partitions assigned to this worker."""

    def __init__(self, settings: KefuSettings, bootstrap: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.settings = settings
        self.bootstrap = bootstrap
        self.topics = topics_for(settings)
        self.states: dict[int, AlarmPartition] = {}
        self._lock = asyncio.Lock()
        self._producer: AIOKafkaProducer | None = None

    async def on_stop(self) -> None:
        async with self._lock:
            if self._producer is not None:
                await self._producer.stop()
                self._producer = None

    async def handle(self, stream: StreamT, events: Sequence[EventT]) -> list[Alert]:
        """Apply, evaluate, publish, snapshot, ack: one batch of input messages."""
        async with self._lock:
            started = time.perf_counter()
            touched: dict[int, AlarmPartition] = {}
            for event in events:
                message = event.message
                state = self.states.get(message.partition) or await self._restore(message.partition)
                if self._apply(state, event):
                    touched[state.partition] = state
            now_ms = int(time.time() * 1000)
            alerts = [
                alert
                for partition in sorted(touched)
                for alert in touched[partition].evaluate(self.settings.shop, now_ms)
            ]
            m.EVALUATION_SECONDS.inc(time.perf_counter() - started)
            producer = await self._ensure_producer()
            await self._publish(producer, alerts)
            for state in touched.values():
                size = await snapshot.write(
                    producer, self.topics.alarm_state, state.partition, state.dump()
                )
                m.SNAPSHOT_BYTES.labels(partition=str(state.partition)).set(size)
            for event in events:
                await stream.ack(event)
            self._observe(touched.values())
            return alerts

    async def revoke(self, partitions: set[TP]) -> None:
        """Forget revoked partitions: their next owner restores them from the snapshots."""
        async with self._lock:
            for tp in partitions:
                if tp.topic == self.topics.inquiry_changes:
                    self.states.pop(tp.partition, None)

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
        saved = await snapshot.read_latest(self.bootstrap, self.topics.alarm_state, partition)
        if saved is not None:
            state.load(saved)
        log.info(
            "alarm partition %d: restored %d shops up to offset %d",
            partition, len(state.shops), state.offset,
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
        async for batch in manual.take_events(BATCH, within=WITHIN_SECONDS):
            await runner.handle(manual, batch)
            _observe_lag(app, batch)

    async def on_revoked(sender: object, *args: Any, **kwargs: Any) -> None:
        await runner.revoke(args[0])

    # faust types receivers too narrowly for plain async functions; the call shape matches.
    app.on_partitions_revoked.connect(on_revoked)  # type: ignore[arg-type]
    app.add_dependency(runner)


def _observe_lag(app: faust.App, batch: Sequence[EventT]) -> None:
    last: dict[TP, int] = {}
    for event in batch:
        message = event.message
        last[message.tp] = max(last.get(message.tp, -1), message.offset)
    for tp, offset in last.items():
        highwater = app.consumer.highwater(tp)
        if highwater is not None:
            m.CONSUMER_LAG.labels(
                consumer="alarms", topic=tp.topic, partition=str(tp.partition)
            ).set(max(0, highwater - offset - 1))
