"""Quality inspection in the stream: a `SnapshotStage` beside the stateful one, and its table.

Findings go to `kefu.qc-findings` (and a critical agent or bot finding raises a `qc_critical`
alert) before the input is held for the next snapshot; a crash replays the input since the
snapshot, which repeats findings with the same (event_id, rule_id), collapsed under FINAL.
"""

from __future__ import annotations

import logging
import time

import faust
from aiokafka import AIOKafkaProducer
from faust.types import EventT, StreamT

from agents.inquiries.hours import HoursFor
from agents.manual_acks import Row, store_rows
from agents.qc.findings import Finding
from agents.qc.live_rules import LiveRules
from agents.qc.stage import QcPartition
from agents.qc.wire import critical_alert, finding_json, finding_row, raises_alert
from agents.snapshot_stage import SnapshotStage
from core.settings import KefuSettings
from core.topics import Topics, topics_for
from sinks.writer import BatchWriter

log = logging.getLogger(__name__)

WITHIN_SECONDS = 0.2


def qc_stage(
    settings: KefuSettings, bootstrap: str, hours_for: HoursFor, rules: LiveRules
) -> SnapshotStage[Finding]:
    topics = topics_for(settings)

    async def publish(producer: AIOKafkaProducer, findings: list[Finding]) -> None:
        now_ms = int(time.time() * 1000)
        sends = []
        for finding in findings:
            day = hours_for(finding.shop_id).business_date(finding.occurred_at_ms)
            key = finding.event_id.encode()
            sends.append(
                await producer.send(topics.qc_findings, finding_json(finding, day), key=key)
            )
            if settings.qc.critical_alerts and raises_alert(finding):
                alert = critical_alert(finding, now_ms)
                shop = finding.shop_id.encode()
                sends.append(await producer.send(topics.alerts, alert.to_json(), key=shop))
        for sent in sends:
            await sent

    return SnapshotStage(
        "kefu.qc",
        settings,
        bootstrap,
        topics.qc_state,
        lambda: QcPartition(settings, rules.current),
        publish,
    )


def _row(event: EventT) -> Row | None:
    try:
        return finding_row(event.value)
    except (ValueError, KeyError, TypeError):
        # Only the QC stage writes this topic: a bad finding is our bug, not input.
        log.exception("cannot store QC finding at offset %d", event.message.offset)
        return None


def install_table(app: faust.App, topics: Topics, writer: BatchWriter) -> None:
    topic = app.topic(topics.qc_findings, value_serializer="raw", key_serializer="raw")

    @app.agent(topic, name="kefu.qc-findings-table")
    async def qc_findings_table(stream: StreamT) -> None:
        await store_rows(stream, writer, "qc_findings", _row, WITHIN_SECONDS)
