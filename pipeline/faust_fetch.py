"""faust's Kafka transport with the worker consumer's fetch wait taken from the settings.

faust-streaming builds its aiokafka consumer with `fetch_max_wait_ms=1500` and no setting
for it. On the embedded Tansu broker a fetch is held about that long even when data arrives,
so every message on a faust topic waited ~0.3 s on average, up to 0.75 s, before the
stateful stage saw it (BENCHMARKS.md, Latency). aiokafka reads the value when the consumer
starts, so it is set on the consumer between faust creating and starting it; the app makes
this transport with the value (pipeline.app).
"""

from __future__ import annotations

from typing import Any, ClassVar

import aiokafka
from faust.transport.drivers import aiokafka as driver


class _ConsumerThread(driver.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: driver.Transport) -> aiokafka.AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        assert isinstance(transport, Transport)
        consumer._fetch_max_wait_ms = transport.fetch_max_wait_ms
        return consumer


class _Consumer(driver.Consumer):
    def _new_consumer_thread(self) -> driver.AIOKafkaConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class Transport(driver.Transport):
    Consumer: ClassVar[Any] = _Consumer

    def __init__(self, *args: Any, fetch_max_wait_ms: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fetch_max_wait_ms = fetch_max_wait_ms
