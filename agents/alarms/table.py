"""Alerts from their topic into the `alerts` table; the table deduplicates redeliveries."""

from __future__ import annotations

import logging

import faust
from faust.types import EventT, StreamT

from agents.alarms.model import Alert
from agents.manual_acks import Row, store_rows
from core.topics import Topics
from sinks.writer import BatchWriter

log = logging.getLogger(__name__)

WITHIN_SECONDS = 0.2


def alert_row(event: EventT) -> Row | None:
    try:
        return Alert.from_json(event.value).row()
    except (ValueError, KeyError, TypeError):
        # Only the alarm agent writes this topic: a bad alert is our bug, not input.
        log.exception("cannot store alert at offset %d", event.message.offset)
        return None


def install(app: faust.App, topics: Topics, writer: BatchWriter) -> None:
    topic = app.topic(topics.alerts, value_serializer="raw", key_serializer="raw")

    @app.agent(topic, name="kefu.alerts-table")
    async def alerts_table(stream: StreamT) -> None:
        await store_rows(stream, writer, "alerts", alert_row, WITHIN_SECONDS)
