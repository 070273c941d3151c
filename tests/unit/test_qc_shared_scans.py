"""Escalations and QC fed the same decoded batches, QC inspecting buyer messages on the scans
the escalation part made (the side stage with QC on), find exactly what each finds alone."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.escalation.stage import EscalationPartition
from agents.inquiries.hours import hours_from_settings
from agents.qc.stage import QcPartition
from agents.qc.threats import BatchScans, threat_finder
from schemas.packed import pack, pack_flush, unpack
from tests.unit.test_qc_stage import LATENESS_MS, LINES, RULES, SETTINGS, delivered, run

HOURS = hours_from_settings(SETTINGS)


def together(events: list[dict[str, Any]], size: int, snapshot_at: int) -> tuple[list, list]:
    scans = BatchScans()
    escalation = EscalationPartition(SETTINGS, HOURS, threat_finder(lambda: RULES, scans))
    qc = QcPartition(SETTINGS, lambda: RULES, scans=scans)
    raised: list[Any] = []
    found: list[Any] = []
    batches = [events[i : i + size] for i in range(0, len(events), size)]
    raws = [
        pack([orjson.dumps(e) for e in b], max(e["occurred_at"] for e in b) - LATENESS_MS // 2)
        for b in batches
    ]
    for offset, raw in enumerate([*raws, pack_flush(LINES[-1].occurred_at_ms + 1)]):
        batch = unpack(raw)
        raised += escalation.apply_batch(batch, offset)
        found += qc.apply_batch(batch, offset)
        if offset == snapshot_at:
            restored = QcPartition(SETTINGS, lambda: RULES, scans=scans)
            restored.load(orjson.loads(orjson.dumps(qc.dump())))
            qc = restored
    return raised, found


def alone(events: list[dict[str, Any]], size: int) -> list[Any]:
    escalation = EscalationPartition(SETTINGS, HOURS, threat_finder(lambda: RULES))
    raised: list[Any] = []
    batches = [events[i : i + size] for i in range(0, len(events), size)]
    for offset, b in enumerate(batches):
        mark = max(e["occurred_at"] for e in b) - LATENESS_MS // 2
        raised += escalation.apply(pack([orjson.dumps(e) for e in b], mark), offset)
    flush = pack_flush(LINES[-1].occurred_at_ms + 1)
    return raised + escalation.apply(flush, len(batches))


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 50), st.integers(0, 30), st.sampled_from((0, 0.1)))
def test_shared_scans_change_no_finding_and_no_escalation(
    seed: int, size: int, snapshot_at: int, duplicates: float
) -> None:
    events = delivered(seed, duplicates)
    raised, found = together(events, size, snapshot_at)
    assert sorted(map(repr, found)) == sorted(map(repr, run(events, size)))
    assert raised == alone(events, size)
