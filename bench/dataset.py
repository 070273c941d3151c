"""One data set on one fresh topic prefix: generated once, its topics made, produced once."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass

from bench.load import Record, produce_all
from bench.reply_rate import ReplyRates
from bench.topics import create_topic
from bench.traffic import ChatEvent, TrafficSpec, conversations, encode
from core.settings import KefuSettings
from core.topics import ensure_topics, topics_for

log = logging.getLogger(__name__)


@dataclass
class DataSet:
    bootstrap: str
    prefix: str
    topic: str
    raw_partitions: int
    events: list[ChatEvent]
    records: list[Record]

    @property
    def flush_ms(self) -> int:
        return max(e.at_ms for e in self.events)

    def reference(self) -> ReplyRates:
        """Inquiries and replies over the whole topic, computed here: every runner must agree."""
        rates = ReplyRates()
        for event in self.events:
            rates.observe(event.wire(event.at_ms))
        return rates

    def produce(self) -> float:
        seconds = asyncio.run(
            produce_all(self.bootstrap, self.topic, self.raw_partitions, self.records)
        )
        log.info("%d events on %s in %.1fs", len(self.records), self.topic, seconds)
        return seconds


def prepare(bootstrap: str, spec: TrafficSpec, partitions: int) -> DataSet:
    """Generate the traffic and make a fresh prefix's topics (raw, and our internal ones)."""
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    settings = KefuSettings(
        kafka_bootstrap=bootstrap, topic_prefix=prefix, app_id=prefix, partitions=partitions
    )
    topic = topics_for(settings).raw("chat")
    events = conversations(spec)

    async def topics() -> None:
        await create_topic(bootstrap, topic, settings.raw_partitions)
        await ensure_topics(bootstrap, settings)

    asyncio.run(topics())
    return DataSet(bootstrap, prefix, topic, settings.raw_partitions, events, encode(events, spec))
