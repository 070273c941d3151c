"""Per-partition state checkpoints on a Kafka topic: written after each stored flush, read on assignment.

A flush writes one checkpoint as one or more parts; only the part marked `last` makes the
checkpoint count, so a worker killed mid-write leaves nothing half-applied. Partition N of
the changelog belongs to partition N of the events topic.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from core.offsets import end_offsets

log = logging.getLogger(__name__)

MAX_PART_BYTES = 768 * 1024
_LIST_KEYS = ("conversations", "seen", "buyer_days")
_DICT_KEYS = ("refunds", "orders")
# Small, whole in every part: orphans are few (inquiries open when an earlier run stopped).
_HEAD = ("offset", "generation", "started_ms", "snapshot_ms", "meta", "orphans")


def split(checkpoint: dict[str, Any], items_per_part: int = 4000) -> list[bytes]:
    """Cut a checkpoint into parts small enough for a default broker's message limit."""
    parts = list(_parts(checkpoint, items_per_part))
    encoded = [orjson.dumps(p) for p in parts]
    if any(len(e) > MAX_PART_BYTES for e in encoded) and items_per_part > 1:
        return split(checkpoint, items_per_part // 4)
    return encoded


def _parts(checkpoint: dict[str, Any], size: int) -> Iterator[dict[str, Any]]:
    head: dict[str, Any] = {k: checkpoint[k] for k in _HEAD if k in checkpoint}
    chunks: list[dict[str, Any]] = []
    for key in _LIST_KEYS:
        items = checkpoint[key]
        chunks += [{key: items[i : i + size]} for i in range(0, len(items), size)]
    for key in _DICT_KEYS:
        items = list(checkpoint[key].items())
        chunks += [{key: dict(items[i : i + size])} for i in range(0, len(items), size)]
    chunks = chunks or [{}]
    for index, chunk in enumerate(chunks):
        part = {**head, **{k: [] for k in _LIST_KEYS}, **{k: {} for k in _DICT_KEYS}, **chunk}
        part["last"] = index == len(chunks) - 1
        yield part


async def write(
    producer: AIOKafkaProducer, topic: str, partition: int, checkpoint: dict[str, Any]
) -> None:
    sends = [await producer.send(topic, part, partition=partition) for part in split(checkpoint)]
    for sent in sends:
        await sent


async def read(bootstrap: str, topic: str, partition: int) -> Iterator[dict[str, Any]]:
    """Every complete checkpoint part of one partition, oldest first."""
    tp = TopicPartition(topic, partition)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    pending: list[dict[str, Any]] = []
    complete: list[dict[str, Any]] = []
    try:
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        # Not consumer.end_offsets: Tansu lists a batch count there, and a checkpoint's parts
        # share batches, so the newest checkpoint would be left unread.
        end = (await end_offsets(bootstrap, [topic]))[tp]
        while await consumer.position(tp) < end:
            batch = await consumer.getmany(tp, timeout_ms=500, max_records=10_000)
            for record in batch.get(tp, []):
                pending.append(orjson.loads(record.value))
                if pending[-1]["last"]:
                    complete += pending
                    pending = []
    finally:
        await consumer.stop()
    if pending:
        log.warning(
            "partition %d: ignoring an incomplete checkpoint of %d parts", partition, len(pending)
        )
    return iter(complete)
