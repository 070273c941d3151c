"""The escalation stage: packed events in, escalations and SLA clock events out, restart-safe.

A part of the `SnapshotStage` beside the stateful one (quality inspection, when on, is the
other part, fed the same decoded batches): escalation ids and clock events come from event
time only, so the input a crash replays repeats them and the work-order book collapses them.
"""

from __future__ import annotations

from aiokafka import AIOKafkaProducer

from agents.escalation.rules import Escalation
from agents.escalation.stage import EscalationPartition, Output
from agents.escalation.wire import escalation_json, lifecycle_json
from agents.inquiries.hours import HoursFor
from agents.qc.threats import ThreatFinder
from agents.snapshot_stage import Part
from core.settings import KefuSettings
from core.topics import topics_for

STAGE = "kefu.escalations"


def escalation_part(
    settings: KefuSettings, hours_for: HoursFor, threats: ThreatFinder
) -> Part[Output]:
    topics = topics_for(settings)

    async def publish(producer: AIOKafkaProducer, out: list[Output]) -> None:
        sends = [
            await (
                producer.send(topics.escalations, escalation_json(o), key=o.escalation_id.encode())
                if isinstance(o, Escalation)
                else producer.send(
                    topics.work_order_events, lifecycle_json(o), key=o.work_order_id.encode()
                )
            )
            for o in out
        ]
        for sent in sends:
            await sent

    return Part(
        STAGE,
        topics.escalation_state,
        lambda: EscalationPartition(settings, hours_for, threats),
        publish,
    )
