"""Per-partition state checkpoints on a compacted Kafka topic: written after stored flushes, read on assignment.

A checkpoint is either a full snapshot of the partition's state or a delta (what changed
since the previous checkpoint). The checkpoints since the newest full one form the chain a
restore reads: it finds the newest complete checkpoint at the end of the partition, takes
the offset of the chain's full snapshot from it, and reads from there, so restore reads
about one snapshot's worth of records however old the deployment is. A new full snapshot
is written once the deltas outweigh the last one (`Chain.full_due`, times
`checkpoint_delta_ratio`, the rule of alarm snapshots); after it is complete,
the keys of the chain before it are deleted (tombstones), and compaction removes them.

A checkpoint is cut into parts, each one record keyed `seq/index`; only a checkpoint whose
parts `0..n-1` all arrived counts, so a worker killed mid-write leaves nothing half-applied.
Partition N of the changelog belongs to partition N of the events topic.

A part is JSON compressed with zstd (as alarm snapshots are), marked `"v": FORMAT`; the
states in it are the compact forms the partition holds, not spelled out. Parts written
before (plain JSON, no `v`, states spelled out) restore as they did, also in one chain with
new ones, since each state's shape tells its form.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from agents.alarms.snapshot import compressed
from agents.alarms.snapshot import decode as decompressed
from agents.chain_sizes import ChainSizes
from core.offsets import end_offsets

log = logging.getLogger(__name__)

FORMAT = 2
MAX_PART_BYTES = 768 * 1024
_ZSTD_FRAME = b"\x28\xb5\x2f\xfd"
# Each delta adds a key to delete at the next full snapshot; this bounds that list when
# deltas are tiny next to the snapshot.
MAX_DELTAS = 2000
_TAIL_RECORDS = 64
_LIST_KEYS = ("conversations", "seen", "buyer_days", "recency", "gone_refunds", "gone_orders")
_DICT_KEYS = ("refunds", "orders")
# Small, whole in every part: orphans are few (inquiries open when an earlier run stopped).
_HEAD = (
    "offset",
    "generation",
    "started_ms",
    "snapshot_ms",
    "lost",
    "members",
    "meta",
    "orphans",
    "full",
    "forgot_facts",
    "swept",
)


@dataclass(slots=True)
class Chain(ChainSizes):
    """Where one partition's checkpoints stand on the changelog."""

    seq: int = 0  # the next checkpoint's sequence number
    base: int = -1  # offset of the chain's full snapshot; -1 before the first
    keys: list[str] = field(default_factory=list)  # records of the chain
    retire: list[str] = field(default_factory=list)  # older records still to delete

    def restart(self) -> Chain:
        """A chain for a state that starts empty: a full snapshot first, then the old chain goes."""
        return Chain(seq=self.seq, retire=self.keys + self.retire)

    def full_due(self, ratio: float = 1.0) -> bool:
        """`ratio`: the deltas' bytes against the full one's at which the next is full."""
        return self.base < 0 or self.outweighed(ratio, MAX_DELTAS)

    def wrote(self, size: int, *, full: bool) -> None:
        """Count one checkpoint of `size` bytes for `full_due`."""
        self.count(size, full=full)


@dataclass(slots=True)
class Restored:
    """The chain's checkpoint parts, oldest first, and where the next checkpoint goes."""

    parts: list[dict[str, Any]]
    chain: Chain
    bytes: int = 0


def split(
    checkpoint: dict[str, Any], items_per_part: int = 4000, head: dict[str, Any] | None = None
) -> list[bytes]:
    """Cut a checkpoint into parts small enough for a default broker's message limit."""
    parts = list(_parts(checkpoint, items_per_part, {"v": FORMAT} | (head or {})))
    encoded = [compressed(p) for p in parts]
    if any(len(e) > MAX_PART_BYTES for e in encoded) and items_per_part > 1:
        return split(checkpoint, items_per_part // 4, head)
    return encoded


def _parts(
    checkpoint: dict[str, Any], size: int, extra: dict[str, Any]
) -> Iterator[dict[str, Any]]:
    head: dict[str, Any] = {k: checkpoint[k] for k in _HEAD if k in checkpoint} | extra
    chunks: list[dict[str, Any]] = []
    for key in _LIST_KEYS:
        items = checkpoint.get(key, [])
        chunks += [{key: items[i : i + size]} for i in range(0, len(items), size)]
    for key in _DICT_KEYS:
        items = list(checkpoint[key].items())
        chunks += [{key: dict(items[i : i + size])} for i in range(0, len(items), size)]
    chunks = chunks or [{}]
    for index, chunk in enumerate(chunks):
        part = {**head, **{k: [] for k in _LIST_KEYS}, **{k: {} for k in _DICT_KEYS}, **chunk}
        part["index"] = index
        part["last"] = index == len(chunks) - 1
        yield part


def decode(value: bytes) -> dict[str, Any]:
    """One checkpoint part as `split` wrote it, in this format or the plain JSON before it."""
    part: dict[str, Any] = (
        decompressed([value]) if value.startswith(_ZSTD_FRAME) else orjson.loads(value)
    )
    if part.get("v", 1) > FORMAT:
        msg = f"a state checkpoint part of format {part['v']}, newer than this release's {FORMAT}"
        raise ValueError(msg)
    return part


async def write(
    producer: AIOKafkaProducer,
    topic: str,
    partition: int,
    checkpoint: dict[str, Any],
    chain: Chain,
) -> None:
    """Send one checkpoint and wait for the broker; after a full one, delete the old chain."""
    full = bool(checkpoint.get("full"))
    seq = chain.seq
    chain.seq += 1
    values = split(checkpoint, head={"seq": seq, "base": chain.base})
    if full:
        # Once, in the last part: a restore after a crash before the deletes repeats them.
        values[-1] = compressed(decode(values[-1]) | {"retire": chain.keys + chain.retire})
    keys = [f"{seq}/{index}" for index in range(len(values))]
    sends = [
        await producer.send(topic, value, key=key.encode(), partition=partition)
        for key, value in zip(keys, values, strict=True)
    ]
    first = await sends[0]
    for sent in sends[1:]:
        await sent
    size = sum(len(v) for v in values)
    if not full:
        chain.keys += keys
        chain.wrote(size, full=False)
        return
    await _delete(producer, topic, partition, chain.keys + chain.retire)
    chain.base, chain.keys, chain.retire = first.offset, keys, []
    chain.wrote(size, full=True)


async def _delete(producer: AIOKafkaProducer, topic: str, partition: int, keys: list[str]) -> None:
    sends = [
        await producer.send(topic, None, key=key.encode(), partition=partition) for key in keys
    ]
    for sent in sends:
        await sent


@dataclass(frozen=True, slots=True)
class _Record:
    """One changelog record, decoded once; `part` is None for a deleted key."""

    offset: int
    key: str
    part: dict[str, Any] | None
    size: int


@dataclass(slots=True)
class _Checkpoint:
    first: int  # offset of part 0
    seq: int | None  # None: written before checkpoints had keys
    parts: list[dict[str, Any]]
    keys: list[str]
    size: int

    @property
    def head(self) -> dict[str, Any]:
        return self.parts[-1]


async def read(bootstrap: str, topic: str, partition: int) -> Restored:
    """The newest chain of complete checkpoints of one partition."""
    tp = TopicPartition(topic, partition)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign([tp])
        first = (await consumer.beginning_offsets([tp]))[tp]
        # Not consumer.end_offsets: Tansu lists a batch count there, and a checkpoint's parts
        # share batches, so the newest checkpoint would be left unread.
        end = (await end_offsets(bootstrap, [topic]))[tp]
        start, records = await _tail(consumer, tp, first, end)
        complete, _, _ = _group(records)
        if not complete:
            return Restored([], Chain(), sum(r.size for r in records))
        newest = complete[-1]
        base = _base(newest)
        if base < start:
            records = await _records(consumer, tp, base, end)
        restored = _chain(records, base, partition)
        restored.bytes = sum(r.size for r in records if r.offset >= base)
        return restored
    finally:
        await consumer.stop()


def _base(newest: _Checkpoint) -> int:
    if newest.seq is None:
        return 0  # written before checkpoints had keys: every record is a delta
    return newest.first if newest.head.get("full") else int(newest.head["base"])


async def _tail(
    consumer: AIOKafkaConsumer, tp: TopicPartition, first: int, end: int
) -> tuple[int, list[_Record]]:
    """Records from the end backwards until they hold a complete checkpoint (or all are read)."""
    window = _TAIL_RECORDS
    while True:
        start = max(first, end - window)
        records = await _records(consumer, tp, start, end)
        if start == first or _group(records)[0]:
            return start, records
        window *= 8


async def _records(
    consumer: AIOKafkaConsumer, tp: TopicPartition, start: int, end: int
) -> list[_Record]:
    consumer.seek(tp, start)
    records: list[_Record] = []
    while await consumer.position(tp) < end:
        batch = await consumer.getmany(tp, timeout_ms=500, max_records=10_000)
        records += [
            _Record(
                r.offset,
                r.key.decode() if r.key else "",
                None if r.value is None else decode(r.value),
                len(r.value or b""),
            )
            for r in batch.get(tp, [])
            if start <= r.offset < end
        ]
    return records


def _group(records: list[_Record]) -> tuple[list[_Checkpoint], list[str], int]:
    """Complete checkpoints in offset order, keys of incomplete ones, and the highest seq seen."""
    complete: list[_Checkpoint] = []
    broken: list[str] = []
    top = -1
    pending: _Checkpoint | None = None
    for record in records:
        part, key = record.part, record.key
        if part is None:
            continue  # a deleted key
        seq = part.get("seq")
        top = max(top, -1 if seq is None else seq)
        if pending is None or part.get("index", -1) == 0 or pending.seq != seq:
            if pending is not None and pending.seq is not None:
                broken += pending.keys
            pending = _Checkpoint(record.offset, seq, [], [], 0)
        if seq is not None and part["index"] != len(pending.parts):
            broken += [*pending.keys, key]
            pending = None
            continue
        pending.parts.append(part)
        pending.keys.append(key)
        pending.size += record.size
        if part["last"]:
            complete.append(pending)
            pending = None
    if pending is not None and pending.seq is not None:
        broken += pending.keys
    return complete, broken, top


def _chain(records: list[_Record], base: int, partition: int) -> Restored:
    complete, broken, top = _group([r for r in records if r.offset >= base])
    if broken:
        log.warning(
            "partition %d: ignoring %d parts of incomplete checkpoints", partition, len(broken)
        )
    chain = Chain(seq=top + 1, retire=broken)
    parts: list[dict[str, Any]] = []
    for checkpoint in complete:
        parts += checkpoint.parts
        chain.keys += checkpoint.keys if checkpoint.seq is not None else []
        full = bool(checkpoint.head.get("full"))
        if full:
            chain.base = checkpoint.first
            chain.retire += checkpoint.head.get("retire", [])
        chain.wrote(checkpoint.size, full=full)
    return Restored(parts, chain)
