"""Alerts from their topic into the `alerts` table; the table deduplicates redeliveries."""

from __future__ import annotations

import faust
from faust.types import StreamT

from agents.alarms.model import Alert
from agents.manual_acks import Row, rows_of_ours, store_rows
from core.topics import Topics
from sinks.writer import BatchWriter

WITHIN_SECONDS = 0.2


def alert_row(raw: bytes) -> Row:
    return Alert.from_json(raw).row()


def install(app: faust.App, topics: Topics, writer: BatchWriter) -> None:
    topic = app.topic(topics.alerts, value_serializer="raw", key_serializer="raw")

    @app.agent(topic, name="kefu.alerts-table")
    async def alerts_table(stream: StreamT) -> None:
        await store_rows(
            stream, writer, "alerts", rows_of_ours(alert_row, "an alert"), WITHIN_SECONDS
        )
