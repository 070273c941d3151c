"""Dead letters from their topic into the `dead_letters` table, original bytes and all."""

from __future__ import annotations

from datetime import UTC, datetime

import faust
from faust.types import EventT, StreamT

from agents.manual_acks import store_rows
from core.topics import Topics
from sinks.writer import BatchWriter

WITHIN_SECONDS = 0.5


def dead_letter_row(event: EventT, received: datetime) -> tuple[object, ...]:
    headers = {k: v.decode("utf-8", "replace") for k, v in (event.headers or {}).items()}
    message = event.message
    return (
        headers.get("kefu.topic", message.topic),
        int(headers.get("kefu.partition", message.partition)),
        int(headers.get("kefu.offset", message.offset)),
        headers.get("kefu.reason", "unknown"),
        event.value or b"",
        received,
    )


def install(app: faust.App, topics: Topics, writer: BatchWriter) -> None:
    topic = app.topic(topics.dead_letters, value_serializer="raw", key_serializer="raw")

    @app.agent(topic, name="kefu.dead-letters")
    async def dead_letters(stream: StreamT) -> None:
        def row(event: EventT) -> tuple[object, ...]:
            return dead_letter_row(event, datetime.now(UTC))

        await store_rows(stream, writer, "dead_letters", row, WITHIN_SECONDS)
