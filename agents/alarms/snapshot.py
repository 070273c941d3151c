"""State snapshots on a Kafka topic: full ones and deltas, written before input is acked.

The alarm agent's (below) and the side stage's (agents/snapshot_stage.py) use them alike.

A full snapshot is the whole partition state; a delta holds what changed since the snapshot
before it (`AlarmPartition.take_delta`), which live is a few seconds of a 20-minute span of
rows per shop. Each is zstd-compressed and cut into parts that fit a default broker
message; every part carries the snapshot's id and `index/count`, and a delta's parts the
id of its base (the snapshot it applies to) as well. The agent writes one per changed
partition every `alarm_snapshot_seconds`, before a rebalance and at shutdown, not per
batch. A full one is due when the chain since the last full one is long
(`alarm_snapshot_full_every` deltas, or an hour old, well inside the topic's time
retention) or its deltas together outweigh it (`alarm_snapshot_delta_ratio`: the rule of
the state changelog's `Chain.full_due`), and after any failed write, so a delta's base is
always a snapshot that is on the broker whole.

Restoring reads backwards from the end of the partition, skipping snapshots cut short by a
crash, to the newest full snapshot the newest complete one chains back to (through the base
ids), and applies it and its deltas in order. So restore time does not grow with the topic
and no compaction is needed. A delta is only applied to the snapshot its base id names;
should the newest chain be broken (a base gone), the newest snapshot that chains back to a
full one is restored instead, with an error in the log.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import zstandard
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from agents.chain_sizes import ChainSizes
from core import collector
from core.errors import ServiceUnavailable
from core.offsets import end_offsets
from core.settings import KefuSettings

log = logging.getLogger(__name__)

PART_BYTES = 512 * 1024
# Level 1 compressed a 23k-row state in 60% of level 3's time and 9% smaller; one
# compressor is reused (the event loop is its only caller).
_COMPRESSOR = zstandard.ZstdCompressor(level=1)
_EMPTY_POLLS = 30
_ID = "kefu.snapshot"
_PART = "kefu.part"
_BASE = "kefu.base"
# A full snapshot at least this often (monotonic seconds) on a partition that changes now and
# then, so the start of its chain is never near the topic's time retention.
MAX_CHAIN_SECONDS = 3600.0

Headers = Sequence[tuple[str, bytes]]


@dataclass(slots=True)
class Chain(ChainSizes):
    """Where one partition's snapshots stand since its newest full one."""

    last: bytes | None = None  # id of the newest snapshot on the broker; None: next is full
    full_at: float = 0.0

    def full_due(self, every: int, ratio: float, now: float) -> bool:
        return (
            self.last is None
            or self.outweighed(ratio, every)
            or now - self.full_at >= MAX_CHAIN_SECONDS
        )

    def wrote(self, snapshot_id: bytes, size: int, *, full: bool, now: float) -> None:
        self.last = snapshot_id
        self.count(size, full=full)
        if full:
            self.full_at = now


@dataclass(frozen=True, slots=True)
class Snapshot:
    id: bytes
    base: bytes | None  # None: a full snapshot
    state: dict[str, Any]


def encode(
    state: dict[str, Any], part_bytes: int = PART_BYTES, base: bytes | None = None
) -> list[tuple[bytes, list[tuple[str, bytes]]]]:
    """(value, headers) per part; headers carry the snapshot id, `index/count` and, for a
    delta, the id of its base."""
    blob = compressed(state)
    chunks = [blob[i : i + part_bytes] for i in range(0, len(blob), part_bytes)] or [b""]
    snapshot_id = uuid.uuid4().hex.encode()
    count = len(chunks)
    based = [] if base is None else [(_BASE, base)]
    return [
        (chunk, [(_ID, snapshot_id), (_PART, f"{index}/{count}".encode()), *based])
        for index, chunk in enumerate(chunks)
    ]


def compressed(state: dict[str, Any]) -> bytes:
    """orjson, then zstd: what `decode` reads back (also the state changelog's parts)."""
    return _COMPRESSOR.compress(orjson.dumps(state))


def assemble(parts: Sequence[tuple[bytes, Headers]]) -> Snapshot:
    """One snapshot from all its parts, in order."""
    headers = dict(parts[0][1])
    return Snapshot(headers[_ID], headers.get(_BASE), decode([value for value, _ in parts]))


def chain_of(newest_first: Sequence[Snapshot]) -> list[Snapshot] | None:
    """The newest snapshot whose bases are all present, with them, the full one first.

    A base is looked for only among the snapshots older than its delta, so a chain always
    runs forwards in time; None when no snapshot chains back to a full one.
    """
    index = {snapshot.id: i for i, snapshot in enumerate(newest_first)}
    for i, newest in enumerate(newest_first):
        chain, at = [newest], i
        while (base := chain[-1].base) is not None and index.get(base, -1) > at:
            at = index[base]
            chain.append(newest_first[at])
        if chain[-1].base is None:
            return chain[::-1]
    return None


def decode(parts: list[bytes]) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads(zstandard.ZstdDecompressor().decompress(b"".join(parts)))
    return data


async def write(
    producer: AIOKafkaProducer,
    topic: str,
    partition: int,
    state: dict[str, Any],
    base: bytes | None = None,
) -> tuple[bytes, int]:
    """Send every part and wait for the broker's acks; the snapshot's id and bytes written."""
    parts = encode(state, base=base)
    sends = [
        await producer.send(topic, value, partition=partition, headers=headers)
        for value, headers in parts
    ]
    for sent in sends:
        await sent
    return dict(parts[0][1])[_ID], sum(len(value) for value, _ in parts)


async def write_next(
    producer: AIOKafkaProducer,
    topic: str,
    partition: int,
    chain: Chain,
    take: Callable[[bool], dict[str, Any]],
    settings: KefuSettings,
    now: float,
) -> tuple[bool, int]:
    """The partition's next snapshot on its chain: a full one when due by the snapshot
    settings (`alarm_snapshot_full_every`, `alarm_snapshot_delta_ratio`) at `now`, else a
    delta on the last; `take(full)` takes its state. Returns whether it was full and the
    bytes written."""
    base = chain.last
    full = chain.full_due(
        settings.alarm_snapshot_full_every, settings.alarm_snapshot_delta_ratio, now
    )
    with collector.held_out():  # lives until written (core.collector)
        data = take(full)
    # Taken, so until this one is on the broker whole the next one must be full: a part
    # that landed after a failure must not become a base.
    chain.last = None
    snapshot_id, size = await write(producer, topic, partition, data, None if full else base)
    chain.wrote(snapshot_id, size, full=full, now=now)
    return full, size


async def read_chain(bootstrap: str, topic: str, partition: int) -> list[dict[str, Any]] | None:
    """The newest consistent state of a partition: a full snapshot and its deltas, oldest
    first; None when there is none."""
    tp = TopicPartition(topic, partition)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign([tp])
        first = (await consumer.beginning_offsets([tp]))[tp]
        # Not consumer.end_offsets: Tansu lists a batch count there, which would restore an
        # older snapshot; this reads the true end from a fetch response.
        last = (await end_offsets(bootstrap, [topic]))[tp] - 1
        found: list[Snapshot] = []  # complete snapshots, newest first
        while last >= first:
            snapshot_id, index, count = _meta(await _read(consumer, tp, last, 1))
            start = last - index
            records = []
            if index == count - 1 and start >= first:
                records = await _read(consumer, tp, start, count)
            if records and all(_meta([r])[0] == snapshot_id for r in records):
                found.append(assemble([(r.value, r.headers or ()) for r in records]))
                chain = chain_of(found) if found[-1].base is None else None
                if chain is not None and chain[-1] is found[0]:
                    return [s.state for s in chain]
            else:
                log.warning("%s[%d]: skipping an incomplete snapshot at %d", topic, partition, last)
            last = start - 1
        return _fallback(found, topic, partition)
    finally:
        await consumer.stop()


def _fallback(found: list[Snapshot], topic: str, partition: int) -> list[dict[str, Any]] | None:
    """The newest snapshot's chain is broken: the newest one that is whole, if any."""
    chain = chain_of(found)
    if found:
        log.error(
            "%s[%d]: the newest snapshot's chain lacks its base; restoring %s",
            topic, partition, "nothing" if chain is None else "an older consistent snapshot",
        )  # fmt: skip
    return None if chain is None else [s.state for s in chain]


async def _read(
    consumer: AIOKafkaConsumer, tp: TopicPartition, offset: int, count: int
) -> list[Any]:
    consumer.seek(tp, offset)
    records: list[Any] = []
    for _ in range(_EMPTY_POLLS):
        batch = await consumer.getmany(tp, timeout_ms=1000, max_records=count - len(records))
        records += [r for r in batch.get(tp, []) if r.offset >= offset]
        if len(records) >= count:
            return records[:count]
    msg = f"cannot read {count} records of {tp.topic}[{tp.partition}] from offset {offset}"
    raise ServiceUnavailable(msg)


def _meta(records: list[Any]) -> tuple[bytes, int, int]:
    headers = dict(records[0].headers or ())
    index, count = headers[_PART].decode().split("/")
    return headers[_ID], int(index), int(count)
