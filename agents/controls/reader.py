"""Every worker reads the whole alert-controls topic into its own ControlBook.

No consumer group: each process needs every control, from the beginning (the topic is
compacted, so that stays short). Starting waits until the controls that existed at start
are read, so the first alerts a worker raises already honour them.
"""

from __future__ import annotations

import logging
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import ConsumerStoppedError
from mode import Service

from agents.controls.book import ControlBook
from agents.controls.model import Control
from core.offsets import end_offsets
from core.settings import KefuSettings
from core.topics import topics_for

log = logging.getLogger(__name__)


class ControlReader(Service):
    def __init__(self, settings: KefuSettings, bootstrap: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.topic = topics_for(settings).alert_controls
        self.bootstrap = bootstrap
        self.book = ControlBook()
        self._consumer: AIOKafkaConsumer | None = None

    async def on_start(self) -> None:
        ends = await end_offsets(self.bootstrap, [self.topic])
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap, enable_auto_commit=False, fetch_max_wait_ms=200
        )
        await consumer.start()
        self._consumer = consumer
        consumer.assign(list(ends))
        await consumer.seek_to_beginning(*ends)
        while await _behind(consumer, ends):
            await self._read(consumer)
        log.info("alert controls: %d silences, %d acks", len(self.book.silences),
                 len(self.book.acks))  # fmt: skip
        self.add_future(self._follow(consumer))

    async def on_stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()

    async def _follow(self, consumer: AIOKafkaConsumer) -> None:
        try:
            while True:
                await self._read(consumer)
        except ConsumerStoppedError:
            return

    async def _read(self, consumer: AIOKafkaConsumer) -> None:
        polled: dict[TopicPartition, list[Any]] = await consumer.getmany(timeout_ms=500)
        for records in polled.values():
            for record in records:
                try:
                    self.book.apply(Control.from_json(record.value))
                except (ValueError, KeyError, TypeError):
                    log.warning("alert controls: skipping a bad record at %d", record.offset)


async def _behind(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    for tp, end in ends.items():
        if await consumer.position(tp) < end:
            return True
    return False
