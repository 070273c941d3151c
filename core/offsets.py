"""How far a consumer group has got: committed offsets against targets."""

from __future__ import annotations

import asyncio
import time

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from core.errors import ServiceUnavailable


async def end_offsets(
    bootstrap: str, topics: list[str], timeout: float = 30.0
) -> dict[TopicPartition, int]:
    """The true end of each partition, read from a fetch response's high watermark.

    Tansu answers ListOffsets with the number of record batches rather than the next
    offset; that is never past the real end, so fetching from there is safe and the fetch
    response carries the real high watermark (exactly the listed end on Apache Kafka).
    """
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=50
    )
    await consumer.start()
    try:
        tps = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(
                consumer.partitions_for_topic(topic) or await _partitions(consumer, topic)
            )
        ]
        listed = await consumer.end_offsets(tps)
        consumer.assign(tps)
        for tp in tps:
            consumer.seek(tp, listed[tp])
        deadline = time.monotonic() + timeout
        while any(consumer.highwater(tp) is None for tp in tps):
            if time.monotonic() > deadline:
                msg = f"Kafka at {bootstrap} did not report the end of {topics} in {timeout:.0f}s"
                raise ServiceUnavailable(msg)
            await consumer.getmany(timeout_ms=100, max_records=1)
        return {tp: int(consumer.highwater(tp)) for tp in tps}
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    await consumer._client.force_metadata_update()  # noqa: SLF001 - the public call has no refresh
    return consumer.partitions_for_topic(topic) or set()


async def wait_committed(
    bootstrap: str,
    group: str,
    targets: dict[TopicPartition, int],
    stall_seconds: float = 120.0,
) -> None:
    """Return once the group committed every target; fail if it makes no progress for a while."""
    targets = {tp: end for tp, end in targets.items() if end > 0}
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        last_progress, best = time.monotonic(), -1
        while True:
            committed = await admin.list_consumer_group_offsets(group, partitions=list(targets))
            behind = {tp: end - _offset(committed, tp) for tp, end in targets.items()}
            remaining = sum(max(0, lag) for lag in behind.values())
            if remaining == 0:
                return
            done = sum(targets.values()) - remaining
            if done > best:
                last_progress, best = time.monotonic(), done
            elif time.monotonic() - last_progress > stall_seconds:
                msg = f"consumer group {group} made no progress for {stall_seconds:.0f}s ({remaining} messages behind)"
                raise ServiceUnavailable(msg)
            await asyncio.sleep(0.1)
    finally:
        await admin.close()


def _offset(committed: dict[TopicPartition, object], tp: TopicPartition) -> int:
    meta = committed.get(tp)
    offset = getattr(meta, "offset", -1)
    return offset if isinstance(offset, int) and offset >= 0 else 0
