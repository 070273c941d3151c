"""Ingest's pausing never stalls it: a source counted as backlogged but empty holds no one back."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiokafka import TopicPartition

from agents.ingest.service import IngestService
from core.settings import KefuSettings
from core.topics import topics_for

SETTINGS = KefuSettings(partitions=2, ingest_max_records=10)
CHAT = topics_for(SETTINGS).raw("chat")
AHEAD = TopicPartition(CHAT, 0)  # has a backlog, far ahead in event time
EMPTY = TopicPartition(CHAT, 1)  # newly assigned and read to its end by its last owner
T0 = 1763863200000


class Done(Exception):
    """The fake consumer's poll budget is spent."""


def chat(n: int) -> bytes:
    return orjson.dumps({
        "event_id": f"m{n}", "type": "chat.message", "shop_id": "s1",
        "occurred_at": T0 + n * 1000, "buyer_id": f"b{n % 3}", "sender": "buyer",
    })  # fmt: skip


@dataclass
class Record:
    topic: str
    partition: int
    offset: int
    value: bytes


@dataclass
class Consumer:
    """aiokafka's consumer as ingest uses it: a partition's end is known once it was fetched."""

    data: dict[TopicPartition, list[bytes]]
    polls: int = 30
    positions: dict[TopicPartition, int] = field(default_factory=dict)
    fetched: set[TopicPartition] = field(default_factory=set)
    asked: set[TopicPartition] = field(default_factory=set)
    paused: set[TopicPartition] = field(default_factory=set)

    async def getmany(self, timeout_ms: int, max_records: int) -> dict[Any, list[Record]]:
        """A fetch response tells a partition's end one poll later, as an empty partition's
        response may come after the first poll returned another's records."""
        self.polls -= 1
        if self.polls < 0:
            raise Done
        await asyncio.sleep(0)
        self.fetched |= self.asked
        self.asked = self.assignment() - self.paused
        out: dict[Any, list[Record]] = {}
        for tp in sorted(self.asked):
            start = self.positions.get(tp, 0)
            values = self.data[tp][start : start + max_records]
            self.positions[tp] = start + len(values)
            if values:
                out[tp] = [
                    Record(tp.topic, tp.partition, start + i, v) for i, v in enumerate(values)
                ]
        return out

    def assignment(self) -> set[TopicPartition]:
        return set(self.data)

    def highwater(self, tp: TopicPartition) -> int | None:
        return len(self.data[tp]) if tp in self.fetched else None

    async def position(self, tp: TopicPartition) -> int:
        return self.positions.get(tp, 0)

    async def commit(self) -> None:
        pass

    def pause(self, *tps: TopicPartition) -> None:
        self.paused |= set(tps)

    def resume(self, *tps: TopicPartition) -> None:
        self.paused -= set(tps)


class Producer:
    def __init__(self) -> None:
        self.events = 0

    async def send(self, topic: str, value: bytes, **_: Any) -> asyncio.Future[None]:
        self.events += value.count(b'"event_id"')
        sent: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        sent.set_result(None)
        return sent


async def test_an_empty_source_counted_as_backlogged_does_not_stall_the_rest() -> None:
    # The first poll brings the backlogged source's events before the empty source's end is
    # known, so the empty one counts as a backlog never read and the other one is paused.
    consumer = Consumer({AHEAD: [chat(n) for n in range(100)], EMPTY: []})
    service = IngestService(SETTINGS, "unused:9092")
    producer = Producer()
    service._consumer, service._producer = consumer, producer  # type: ignore[assignment]
    try:
        await IngestService._consume(service)  # type: ignore[call-arg, arg-type]
    except Done:
        pass
    assert consumer.positions[AHEAD] == 100
