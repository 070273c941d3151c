"""Producing wire events onto the raw topics, keyed by conversation so one buyer keeps order."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer

from core.errors import BadMessage
from core.topics import Topics
from schemas.timestamps import to_epoch_ms
from schemas.validate import parse_event


@dataclass(frozen=True, slots=True)
class Routing:
    topic: str
    key: bytes | None
    event_id: str | None
    at_ms: int | None


def route_line(topics: Topics, line: bytes) -> Routing:
    """Topic, key, id and time as far as the line can be read; ingest judges the rest."""
    try:
        event = orjson.loads(line)
    except orjson.JSONDecodeError:
        return Routing(topics.raw("chat"), None, None, None)
    if not isinstance(event, dict):
        return Routing(topics.raw("chat"), None, None, None)
    return route_event(topics, event)


def route_event(topics: Topics, event: dict[str, Any]) -> Routing:
    key = f"{event.get('shop_id')}\x1f{event.get('buyer_id')}".encode()
    event_id = event.get("event_id")
    try:
        at: int | None = to_epoch_ms(event.get("occurred_at"))
    except ValueError:
        at = None
    return Routing(
        topics.raw_for_type(event.get("type")),
        key,
        event_id if isinstance(event_id, str) else None,
        at,
    )


@dataclass
class RawSender:
    """Sends lines and keeps the counts replay reports: lines, repeated ids, latest event time."""

    producer: AIOKafkaProducer
    topics: Topics
    events: int = 0
    duplicates: int = 0
    latest_ms: int | None = None
    _seen: set[str] = field(default_factory=set)

    async def send_line(self, line: bytes) -> None:
        await self._send(route_line(self.topics, line), line)

    async def send_event(self, event: dict[str, Any]) -> None:
        await self._send(route_event(self.topics, event), orjson.dumps(event))

    async def _send(self, routing: Routing, value: bytes) -> None:
        if routing.event_id is not None:
            self.duplicates += routing.event_id in self._seen
            self._seen.add(routing.event_id)
        if routing.at_ms is not None and _valid(value):
            # Event time is what the pipeline sees: a dead letter's timestamp does not count.
            self.latest_ms = (
                routing.at_ms if self.latest_ms is None else max(self.latest_ms, routing.at_ms)
            )
        await self.producer.send(routing.topic, value, key=routing.key)
        self.events += 1


def _valid(value: bytes) -> bool:
    try:
        parse_event(value)
    except BadMessage:
        return False
    return True


def raw_producer(bootstrap: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap, linger_ms=20, max_batch_size=1024 * 1024, acks="all"
    )
