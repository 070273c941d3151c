"""The ingest stage: a batch consumer on the raw topics, running inside the faust worker.

faust pays ~40-80 us of machinery per Kafka message (see BENCHMARKS.md); raw topics carry
one event per message, so this stage reads them with aiokafka's getmany() and pays that
cost per poll instead. It publishes one packed message per destination partition per poll
and commits the raw offsets only after every packed message and dead letter is acked.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import Counter
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from mode import Service

from agents.ingest.alignment import Alignment
from agents.ingest.metrics import DEAD_LETTERS, EVENTS_IN, INGEST_BATCH
from agents.ingest.router import RawRecord, Routed, route
from core.settings import KefuSettings
from core.topics import Topics, topics_for
from schemas.packed import pack

log = logging.getLogger(__name__)
_RETRY_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0)


class IngestService(Service):
    """Validate, dead-letter and repartition raw events; at-least-once into the events topic."""

    def __init__(self, settings: KefuSettings, bootstrap: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.settings = settings
        self.bootstrap = bootstrap
        self.topics: Topics = topics_for(settings)
        self._consumer: AIOKafkaConsumer | None = None
        # Names this member's watermark downstream; new whenever its sources change (a start, a
        # rebalance): downstream holds each member's mark monotonic, and sources taken over
        # from a member that left may be behind this member's own.
        self.member = uuid.uuid4().hex[:12]
        self._sources: set[TopicPartition] = set()
        self._alignment = Alignment(
            slack_ms=settings.ingest_align_seconds * 1000,
            idle_after_s=settings.ingest_idle_seconds,
        )
        self._producer: AIOKafkaProducer | None = None

    async def on_start(self) -> None:
        s = self.settings
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap, linger_ms=5, max_request_size=16 * 1024 * 1024
        )
        self._consumer = AIOKafkaConsumer(
            *self.topics.raw_all,
            bootstrap_servers=self.bootstrap,
            group_id=f"{s.app_id}-ingest",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=int(s.broker_session_timeout * 1000),
            heartbeat_interval_ms=int(s.broker_heartbeat_interval * 1000),
            rebalance_timeout_ms=int(s.broker_rebalance_timeout * 1000),
            max_poll_records=s.ingest_max_records,
            fetch_max_wait_ms=s.fetch_max_wait_ms,
            fetch_max_bytes=64 * 1024 * 1024,
            max_partition_fetch_bytes=16 * 1024 * 1024,
        )
        await self._producer.start()

    async def on_stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
        if self._producer is not None:
            await self._producer.stop()

    @Service.task
    async def _ingest(self) -> None:
        # Started here, not in on_start: the start waits for the group's first assignment
        # (half the session timeout on Tansu), and the services after this one (faust's own
        # consumer among them) then join their groups at the same time instead of after it.
        assert self._consumer is not None
        await self._consumer.start()
        await self._consume()

    async def _consume(self) -> None:
        assert self._consumer is not None
        while not self.should_stop:
            polled = await self._consumer.getmany(
                timeout_ms=self.settings.ingest_poll_ms,
                max_records=self.settings.ingest_max_records,
            )
            records = [
                RawRecord(r.topic, r.partition, r.offset, r.value)
                for batch in polled.values()
                for r in batch
            ]
            if not records:
                self._resume_all()
                continue
            routed = route(records, self.settings.partitions)
            backlogged = await self._observe_sources(routed)
            watermark = self._alignment.watermark(backlogged)
            log.debug(
                "poll of %d records: watermark %s, %d of %d sources backlogged",
                len(records), watermark, len(backlogged), len(self._consumer.assignment()),
            )  # fmt: skip
            await self._publish(routed, watermark)
            if not await self._commit():
                continue
            self._observe(records, routed)
            self._pace(backlogged)

    async def _observe_sources(self, routed: Routed) -> set[TopicPartition]:
        """Note each source's newest event time; return the sources that still have a backlog."""
        consumer = self._consumer
        assert consumer is not None
        for (topic, partition), newest in routed.newest.items():
            self._alignment.observe(TopicPartition(topic, partition), newest)
        assigned = consumer.assignment()
        if assigned != self._sources:
            self._sources = set(assigned)
            self.member = uuid.uuid4().hex[:12]
        self._alignment.assigned(assigned)
        backlogged = set()
        for tp in assigned:
            highwater = consumer.highwater(tp)
            if highwater is None or await consumer.position(tp) < highwater:
                backlogged.add(tp)
        return backlogged

    async def _commit(self) -> bool:
        """Commit the poll; False when a rebalance gave its partitions away first.

        The poll is published already: the partitions' next owner (this member again, or
        another) reads it again from the last commit, and downstream drops the repeats.
        """
        assert self._consumer is not None
        try:
            await self._consumer.commit()
        except CommitFailedError as exc:
            log.warning("a rebalance came before this poll's commit; it will be read again (%s)",
                        str(exc).splitlines()[0])  # fmt: skip
            return False
        return True

    def _pace(self, backlogged: set[TopicPartition]) -> None:
        consumer = self._consumer
        assert consumer is not None
        assigned = consumer.assignment()
        ahead = self._alignment.ahead(backlogged) & assigned
        consumer.pause(*ahead)
        consumer.resume(*(assigned - ahead))

    def _resume_all(self) -> None:
        """After a poll that brought nothing: pausing only orders what the sources have to give.

        The sources left unpaused had nothing. One of them may be newly assigned and already
        read to its end, yet counted as backlogged until a fetch tells its end; the sources
        paused behind it would otherwise wait for it forever.
        """
        consumer = self._consumer
        assert consumer is not None
        consumer.resume(*consumer.assignment())

    async def _publish(self, routed: Routed, watermark: int | None) -> None:
        """Retry the whole poll until it is acked: duplicates are harmless downstream, gaps are not."""
        for attempt in range(1_000_000):
            try:
                await self._send(routed, watermark)
                return
            except KafkaError as exc:
                pause = _RETRY_SECONDS[min(attempt, len(_RETRY_SECONDS) - 1)]
                log.warning("publishing an ingest batch failed (%s); retrying in %.1fs", exc, pause)
                await asyncio.sleep(pause)

    async def _send(self, routed: Routed, watermark: int | None) -> None:
        """Every events partition gets the watermark, with or without events of its own."""
        assert self._producer is not None
        sends = [
            await self._producer.send(
                self.topics.events,
                pack(routed.events.get(p, []), watermark, self.member),
                partition=p,
            )
            for p in range(self.settings.partitions)
            if p in routed.events or watermark is not None
        ]
        sends += [
            await self._producer.send(self.topics.dead_letters, dead.raw, headers=dead.headers())
            for dead in routed.dead
        ]
        await asyncio.gather(*sends)

    def _observe(self, records: list[RawRecord], routed: Routed) -> None:
        INGEST_BATCH.observe(len(records))
        for topic, count in Counter(record.topic for record in records).items():
            EVENTS_IN.labels(topic=topic).inc(count)
        for dead in routed.dead:
            DEAD_LETTERS.labels(topic=dead.topic).inc()
            log.info(
                "dead letter %s[%d]@%d: %s", dead.topic, dead.partition, dead.offset, dead.reason
            )
