"""Quality inspection in the stream: a part of the `SnapshotStage` beside the stateful one
(with the escalations, fed the same decoded batches), and its tables.

Findings go to `kefu.qc-findings` (and a critical agent or bot finding raises a `qc_critical`
alert) and script uses to `kefu.script-uses` before the input is held for the next
snapshot; a crash replays the input since the snapshot, which repeats records with the same
keys, collapsed under FINAL. The script library in force is mirrored in `scripts`.
"""

from __future__ import annotations

import time

import faust
from aiokafka import AIOKafkaProducer
from faust.types import StreamT

from agents.inquiries.hours import HoursFor
from agents.manual_acks import rows_of_ours, store_rows
from agents.qc.findings import Finding
from agents.qc.live_rules import LiveRules
from agents.qc.stage import Output, QcPartition
from agents.qc.threats import BatchScans
from agents.qc.wire import (
    critical_alert,
    finding_json,
    finding_row,
    raises_alert,
    script_row,
    script_use_json,
    script_use_row,
)
from agents.snapshot_stage import Part
from core.settings import KefuSettings
from core.topics import Topics, topics_for
from sinks.writer import BatchWriter

WITHIN_SECONDS = 0.2
# Cheap when nothing changed: the files are looked at every qc.reload_seconds only.
MIRROR_SECONDS = 1.0


def qc_part(
    settings: KefuSettings, hours_for: HoursFor, rules: LiveRules, scans: BatchScans | None = None
) -> Part[Output]:
    topics = topics_for(settings)

    async def publish(producer: AIOKafkaProducer, out: list[Output]) -> None:
        now_ms = int(time.time() * 1000)
        sends = []
        for item in out:
            day = hours_for(item.shop_id).business_date(item.occurred_at_ms)
            key = item.event_id.encode()
            if not isinstance(item, Finding):
                sends.append(
                    await producer.send(topics.script_uses, script_use_json(item, day), key=key)
                )
                continue
            sends.append(await producer.send(topics.qc_findings, finding_json(item, day), key=key))
            if settings.qc.critical_alerts and raises_alert(item):
                alert = critical_alert(item, now_ms)
                shop = item.shop_id.encode()
                sends.append(await producer.send(topics.alerts, alert.to_json(), key=shop))
        for sent in sends:
            await sent

    return Part(
        "kefu.qc",
        topics.qc_state,
        lambda: QcPartition(settings, rules.current, rules.current_library, scans),
        publish,
    )


def install_tables(app: faust.App, topics: Topics, writer: BatchWriter, rules: LiveRules) -> None:
    findings = app.topic(topics.qc_findings, value_serializer="raw", key_serializer="raw")
    uses = app.topic(topics.script_uses, value_serializer="raw", key_serializer="raw")

    @app.agent(findings, name="kefu.qc-findings-table")
    async def qc_findings_table(stream: StreamT) -> None:
        await store_rows(
            stream, writer, "qc_findings", rows_of_ours(finding_row, "a QC finding"), WITHIN_SECONDS
        )

    @app.agent(uses, name="kefu.script-uses-table")
    async def script_uses_table(stream: StreamT) -> None:
        await store_rows(
            stream,
            writer,
            "script_uses",
            rows_of_ours(script_use_row, "a script use"),
            WITHIN_SECONDS,
        )

    written = [-1]

    @app.timer(interval=MIRROR_SECONDS, on_leader=False)
    async def mirror_scripts() -> None:
        """The library in force, into `scripts` at start and after each reload."""
        library = rules.current_library()
        if rules.reloads == written[0]:
            return
        version = time.time_ns()
        for script in library.scripts:
            writer.add("scripts", script_row(script, version))
        await writer.flush(token_prefix=f"scripts:{version}")
        written[0] = rules.reloads
