"""Alerts from their topic into the `alerts` table; the table deduplicates redeliveries."""

from __future__ import annotations

import logging

import faust
from faust.types import StreamT

from agents.alarms.model import Alert
from agents.manual_acks import manual_acks
from pipeline.topics import Topics
from sinks.writer import BatchWriter

log = logging.getLogger(__name__)

BATCH = 1000
WITHIN_SECONDS = 0.2


def install(app: faust.App, topics: Topics, writer: BatchWriter) -> None:
    topic = app.topic(topics.alerts, value_serializer="raw", key_serializer="raw")

    @app.agent(topic, name="kefu.alerts-table")
    async def alerts_table(stream: StreamT) -> None:
        manual = manual_acks(stream)
        async for batch in manual.take_events(BATCH, within=WITHIN_SECONDS):
            for event in batch:
                try:
                    writer.add("alerts", Alert.from_json(event.value).row())
                except (ValueError, KeyError, TypeError):
                    # Only the alarm agent writes this topic: a bad alert is our bug, not input.
                    log.exception("cannot store alert at offset %d", event.message.offset)
            # The token names the whole offset span: a batch re-read after a crash that is
            # longer than the stored one must not be dropped as a duplicate of it.
            first, last = batch[0].message, batch[-1].message
            await writer.flush(
                token_prefix=f"alerts:{first.partition}:{first.offset}-{last.offset}"
            )
            for event in batch:
                await manual.ack(event)
