"""Alert controls from their topic into the `alert_controls` table, for boards and analysts."""

from __future__ import annotations

import logging

import faust
from faust.types import EventT, StreamT

from agents.controls.model import Control
from agents.manual_acks import Row, store_rows
from core.topics import Topics
from sinks.writer import BatchWriter

log = logging.getLogger(__name__)

WITHIN_SECONDS = 0.2


def control_row(event: EventT) -> Row | None:
    try:
        return Control.from_json(event.value).row()
    except (ValueError, KeyError, TypeError):
        # The topic is open to any producer: a bad record is skipped, not a crash.
        log.warning("cannot store the alert control at offset %d", event.message.offset)
        return None


def install(app: faust.App, topics: Topics, writer: BatchWriter) -> None:
    topic = app.topic(topics.alert_controls, value_serializer="raw", key_serializer="raw")

    @app.agent(topic, name="kefu.alert-controls-table")
    async def alert_controls_table(stream: StreamT) -> None:
        await store_rows(stream, writer, "alert_controls", control_row, WITHIN_SECONDS)
