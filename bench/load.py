"""Putting traffic on the broker: all at once before a throughput run, or paced for latency.

Both build record batches per partition themselves (aiokafka's `create_batch` and
`send_batch`), which costs a few microseconds per event instead of the tens that a
`send()` per event costs, so the load generator leaves the CPU to what is measured.
Partitions come from the key with Kafka's default partitioner (murmur2), as a plain
`send(key=...)` would pick them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner

Record = tuple[bytes, bytes]
_IN_FLIGHT = 64


def _producer(bootstrap: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", max_batch_size=512 * 1024, linger_ms=5
    )


class _Batches:
    """One open batch per partition; full batches are sent, at most _IN_FLIGHT unacked."""

    def __init__(self, producer: AIOKafkaProducer, topic: str, partitions: int) -> None:
        self.producer = producer
        self.topic = topic
        self.partitions = list(range(partitions))
        self.partitioner = DefaultPartitioner()
        self.open: dict[int, Any] = {}  # aiokafka's BatchBuilder, untyped
        self.in_flight: list[asyncio.Future[object]] = []
        self.sent = 0

    async def add(self, key: bytes, value: bytes) -> None:
        partition = self.partitioner(key, self.partitions, self.partitions)
        batch = self.open.get(partition)
        if batch is None:
            batch = self.open[partition] = self.producer.create_batch()
        if batch.append(key=key, value=value, timestamp=None) is None:
            await self._send(partition)
            batch = self.open[partition] = self.producer.create_batch()
            batch.append(key=key, value=value, timestamp=None)
        self.sent += 1

    async def flush(self) -> None:
        for partition in list(self.open):
            await self._send(partition)
        await asyncio.gather(*self.in_flight)
        self.in_flight = []

    async def _send(self, partition: int) -> None:
        batch = self.open.pop(partition)
        batch.close()
        sent = await self.producer.send_batch(batch, self.topic, partition=partition)
        self.in_flight.append(sent)
        if len(self.in_flight) >= _IN_FLIGHT:
            await asyncio.gather(*self.in_flight)
            self.in_flight = []


async def produce_all(
    bootstrap: str, topic: str, partitions: int, records: Sequence[Record]
) -> float:
    """Send every record, wait for the acks; returns the seconds it took."""
    started = time.perf_counter()
    producer = _producer(bootstrap)
    await producer.start()
    try:
        batches = _Batches(producer, topic, partitions)
        for key, value in records:
            await batches.add(key, value)
        await batches.flush()
    finally:
        await producer.stop()
    return time.perf_counter() - started


async def produce_paced(
    bootstrap: str,
    topic: str,
    partitions: int,
    count: int,
    rate: float,
    record_at: Callable[[int, int], Record],
    tick: float = 0.005,
) -> tuple[int, float]:
    """Send `count` records at `rate` per second; record i is `record_at(i, now_ms)`.

    Every `tick` the records due by then are batched and sent; the send time goes into
    the record itself. Returns (records sent, seconds it took).
    """
    producer = _producer(bootstrap)
    await producer.start()
    started = time.perf_counter()
    try:
        batches = _Batches(producer, topic, partitions)
        sent = 0
        while sent < count:
            due = min(count, int((time.perf_counter() - started) * rate) + 1)
            now_ms = int(time.time() * 1000)
            for index in range(sent, due):
                await batches.add(*record_at(index, now_ms))
            sent = due
            await batches.flush()
            await asyncio.sleep(tick)
    finally:
        await producer.stop()
    return sent, time.perf_counter() - started
