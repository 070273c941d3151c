"""The notifier service: one consumer group per channel on the alerts topic, at-least-once.

Each routed channel reads the alerts topic with its own consumer group
(`<app_id>-notify-<channel>`), so a channel that is down holds back only itself, and
its committed offset is exactly what it delivered: an alert is committed only after it
was delivered or parked in the dead-letter topic, so a restart resumes where delivery
stopped and a receiver that comes back gets everything it missed, in order.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from typing import Any

import aiohttp
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import ConsumerStoppedError, KafkaError
from mode import Service

from agents.alarms.metrics import CONSUMER_LAG
from agents.alarms.model import Alert
from agents.controls.book import ControlBook
from agents.notify import metrics as m
from agents.notify.delivery import Deliverer, Outcome
from agents.notify.routing import channels_for, routed_channels
from core.settings import KefuSettings
from core.topics import topics_for

log = logging.getLogger(__name__)

SEEN_KEYS = 10_000  # recent alert changes remembered per channel, to skip re-evaluations
_PARK_RETRY_SECONDS = (0.5, 1.0, 2.0, 5.0)


Read = tuple[Alert, ConsumerRecord[Any, Any]]


def group_key(alert: Alert) -> tuple[str, str, str, bool, int]:
    """Alerts notified together: per-agent, one shop, rule, state and evaluation."""
    return (alert.shop_id, alert.rule, alert.state, alert.reminder, alert.event_time_ms)


def notify_group(settings: KefuSettings, channel: str) -> str:
    return f"{settings.app_id}-notify-{channel}"


class ChannelWorker:
    """Delivers every alert routed to one channel, in topic order."""

    def __init__(
        self,
        name: str,
        settings: KefuSettings,
        consumer: AIOKafkaConsumer,
        deliverer: Deliverer,
        park: Any,
        controls: ControlBook | None = None,
    ) -> None:
        self.name = name
        self.controls = controls or ControlBook()
        self.settings = settings
        self.consumer = consumer
        self.deliverer = deliverer
        self._park = park
        self._seen: OrderedDict[tuple[str, str, int], None] = OrderedDict()
        # Members of a notification group read so far, per input partition: that partition
        # is committed only once its group is complete and delivered.
        self._pending: dict[TopicPartition, list[Read]] = {}

    async def run(self) -> None:
        while True:
            try:
                polled = await self.consumer.getmany(timeout_ms=500, max_records=100)
            except ConsumerStoppedError:
                return  # the service is stopping; what was not committed comes again

            for tp, records in polled.items():
                for record in records:
                    if await self.handle(record, tp):
                        await self.consumer.commit({tp: record.offset + 1})
                self._observe_lag(tp, records[-1].offset)

    async def handle(self, record: ConsumerRecord[Any, Any], tp: TopicPartition) -> bool:
        """Deliver, park or hold one record; True when nothing of its partition is held."""
        try:
            alert = Alert.from_json(record.value)
        except (ValueError, KeyError, TypeError) as exc:
            await self._park(self.name, record, f"undecodable alert: {exc}", 0)
            m.DELIVERIES.labels(self.name, "parked").inc()
            return tp not in self._pending
        if self.name not in channels_for(alert, self.settings):
            return tp not in self._pending
        pending = self._pending.pop(tp, [])
        if pending and group_key(pending[0][0]) != group_key(alert):
            # The topic holds only part of a group (cut by retention): say what there is.
            await self._notify(pending)
            pending = []
        if alert.group > 1:
            pending.append((alert, record))
            if len(pending) < alert.group:
                self._pending[tp] = pending
                return False
            await self._notify(pending)
        else:
            await self._notify([(alert, record)])
        return True

    async def _notify(self, reads: list[Read]) -> None:
        """One message for alerts not delivered before (a re-evaluation repeats them)."""
        fresh = [(a, r) for a, r in reads if a.dedup_key not in self._seen]
        if not fresh:
            m.DELIVERIES.labels(self.name, "duplicate").inc()
            return
        now_ms = int(time.time() * 1000)
        loud = [(a, r) for a, r in fresh if not self.controls.quiet(a, now_ms)]
        if len(loud) < len(fresh):
            m.DELIVERIES.labels(self.name, "silenced").inc(len(fresh) - len(loud))
        if loud:
            await self._deliver(loud)
        for alert, _ in fresh:
            self._seen[alert.dedup_key] = None
        while len(self._seen) > SEEN_KEYS:
            self._seen.popitem(last=False)

    async def _deliver(self, reads: list[Read]) -> None:
        """Deliver as one message, or park every record of it."""
        first = reads[0][0]
        outcome: Outcome = await self.deliverer.deliver(*(a for a, _ in reads))
        if outcome.delivered:
            m.DELIVERIES.labels(self.name, "delivered").inc()
            log.info(
                "channel %s: delivered %s %s (%d alerts)",
                self.name, first.alert_id, first.state, len(reads),
            )  # fmt: skip
        else:
            log.error(
                "channel %s: parking alert %s %s after %d attempts: %s",
                self.name, first.alert_id, first.state, outcome.attempts, outcome.reason,
            )  # fmt: skip
            for _, record in reads:
                await self._park(self.name, record, outcome.reason, outcome.attempts)
                m.DELIVERIES.labels(self.name, "parked").inc()

    def _observe_lag(self, tp: TopicPartition, offset: int) -> None:
        highwater = self.consumer.highwater(tp)
        if highwater is not None:
            CONSUMER_LAG.labels(f"notify-{self.name}", tp.topic, str(tp.partition)).set(
                max(0, highwater - offset - 1)
            )


class NotifierService(Service):
    """Runs a ChannelWorker per routed channel inside the worker process."""

    def __init__(
        self,
        settings: KefuSettings,
        bootstrap: str,
        controls: ControlBook | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.settings = settings
        self.controls = controls or ControlBook()
        self.bootstrap = bootstrap
        self.topics = topics_for(settings)
        self.workers: list[ChannelWorker] = []
        self._session: aiohttp.ClientSession | None = None
        self._producer: AIOKafkaProducer | None = None
        self._consumers: list[AIOKafkaConsumer] = []

    async def on_start(self) -> None:
        names = routed_channels(self.settings)
        if not names:
            log.info("notifier: no routes configured, nothing to deliver")
            return
        self._session = aiohttp.ClientSession()
        self._producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, acks="all")
        await self._producer.start()
        for name in names:
            consumer = self._consumer(name)
            await consumer.start()
            self._consumers.append(consumer)
            channel = self.settings.notify.channels[name]
            deliverer = Deliverer(name, channel, self.settings, self._session)
            worker = ChannelWorker(
                name, self.settings, consumer, deliverer, self.park, self.controls
            )
            self.workers.append(worker)
            self.add_future(worker.run())
        log.info("notifier: delivering to %s", ", ".join(names))

    async def on_stop(self) -> None:
        for consumer in self._consumers:
            await consumer.stop()
        if self._producer is not None:
            await self._producer.stop()
        if self._session is not None:
            await self._session.close()

    async def park(
        self, channel: str, record: ConsumerRecord[Any, Any], reason: str, attempts: int
    ) -> None:
        """Put an undeliverable alert on the dead-letter topic; retried until the broker acks."""
        assert self._producer is not None
        headers = [
            ("kefu.channel", channel.encode()),
            ("kefu.reason", reason.encode()),
            ("kefu.attempts", str(attempts).encode()),
            ("kefu.offset", str(record.offset).encode()),
        ]
        for attempt in range(1_000_000):
            try:
                sent = await self._producer.send(
                    self.topics.alerts_dead, record.value, key=record.key, headers=headers
                )
                await sent
                return
            except KafkaError as exc:
                pause = _PARK_RETRY_SECONDS[min(attempt, len(_PARK_RETRY_SECONDS) - 1)]
                log.warning("parking an alert failed (%s); retrying in %.1fs", exc, pause)
                await asyncio.sleep(pause)

    def _consumer(self, channel: str) -> AIOKafkaConsumer:
        s = self.settings
        return AIOKafkaConsumer(
            self.topics.alerts,
            bootstrap_servers=self.bootstrap,
            group_id=notify_group(s, channel),
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=int(s.broker_session_timeout * 1000),
            heartbeat_interval_ms=int(s.broker_heartbeat_interval * 1000),
            rebalance_timeout_ms=int(s.broker_rebalance_timeout * 1000),
            # Retrying one alert may take the whole backoff schedule (about ten minutes).
            max_poll_interval_ms=3_600_000,
            # An idle fetch waits this long even when an alert arrives meanwhile (measured on
            # Tansu): it bounds the delay from evaluation to delivery, at ~10 fetches/s idle.
            fetch_max_wait_ms=100,
        )
