"""A generated day with planted QC findings, replayed twice through the real path on both
brokers: the stored findings equal the in-order reference and the planted labels within the
issue's targets, the second replay adds nothing, and each critical agent finding raised one
`qc_critical` alert."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from agents.qc.model import AGENT_CATEGORIES, BUYER_CATEGORIES
from core.settings import QcSettings
from pipeline.generator import GenConfig
from pipeline.generator.ids import run_tag
from pipeline.generator.qc_day import planted
from pipeline.replay import replay
from sinks.chdb_store import ChdbStore
from tests.integration.conftest import Broker
from tests.integration.replay_support import (
    MORNING,
    generated_file,
    qc_shops_file,
    settings_for,
    stored_finding_keys,
    valid_events,
)
from tests.reference.qc import expected_findings, keys

pytestmark = pytest.mark.kafka

GEN = {"seed": 18, "days": 0.25, "disorder_seconds": 20, "duplicate_rate": 0.02}
PLANTED = 2400  # a day's rate: 600 conversations in the six hours
TARGETS = {c: (0.95, 0.98) for c in (*AGENT_CATEGORIES, *BUYER_CATEGORIES)}
TARGETS |= {"vague_answer": (0.90, 0.95), "missed_promotion": (0.90, 0.95)}


def labelled() -> set[tuple[str, str]]:
    config = GenConfig(start=MORNING, qc_conversations=PLANTED, **GEN)  # type: ignore[arg-type]
    lines = planted(config, run_tag(*config.world_key()))
    return {(line.event_id, c) for line in lines for c in line.labels}


def assert_within_targets(found: set[tuple[str, str]], wanted: set[tuple[str, str]]) -> None:
    hits = Counter(c for _, c in found & wanted)
    for category, (recall, precision) in TARGETS.items():
        planted_n = sum(c == category for _, c in wanted)
        found_n = sum(c == category for _, c in found)
        assert planted_n >= 10, f"too few planted {category}"
        assert hits[category] / planted_n >= recall, f"{category} recall"
        assert hits[category] / max(found_n, 1) >= precision, f"{category} precision"


async def test_planted_day_twice(kafka_broker: Broker, tmp_path: Path, unique_name: str) -> None:
    path = generated_file(tmp_path, qc_conversations=PLANTED, **GEN)
    shops = qc_shops_file(tmp_path)
    settings = settings_for(kafka_broker, tmp_path, unique_name, qc=QcSettings(shops_file=shops))
    good, _ = valid_events(path)
    expected = expected_findings(good, shops)
    wanted = labelled()

    for _ in range(2):
        await replay(settings, [path])
        with ChdbStore(settings.store_dir) as store:
            assert stored_finding_keys(store) == keys(expected)
            rows = store.query("SELECT count() FROM qc_findings FINAL").scalar()
            alerts = store.query(
                "SELECT count(DISTINCT alert_id) FROM alerts WHERE rule = 'qc_critical'"
            ).scalar()
        assert rows == len(expected)
        critical = {
            (f.event_id, f.rule_id)
            for f in expected
            if f.severity == "critical" and f.sender in ("agent", "bot")
        }
        assert alerts == len(critical) > 0
    # Generated traffic outside the planted conversations raises nothing.
    assert_within_targets({(f.event_id, f.category) for f in expected}, wanted)
