"""A generated day with planted QC findings, replayed twice through the real path on both
brokers: the stored findings equal the in-order reference and the planted labels within the
issue's targets, the second replay adds nothing, each critical agent finding raised one
`qc_critical` alert, and the QC scores of agent_daily and agent_scores equal the reference."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from agents.inquiries.hours import hours_from_settings
from agents.qc.live_rules import LiveRules
from agents.qc.model import AGENT_CATEGORIES, BUYER_CATEGORIES
from core.settings import KefuSettings, QcSettings
from pipeline.cli import main
from pipeline.generator import GenConfig
from pipeline.generator.ids import run_tag
from pipeline.generator.qc_day import planted
from pipeline.replay import replay
from sinks.chdb_store import ChdbStore
from tests.integration.conftest import Broker
from tests.integration.replay_support import (
    MORNING,
    SCRIPTS,
    expected_inquiries,
    generated_file,
    qc_shops_file,
    settings_for,
    stored_finding_keys,
    valid_events,
)
from tests.reference.aftersales import buyer_days, fold_orders
from tests.reference.qc import daily_scores, expected_findings, keys
from tests.reference.scripts import script_weekly

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


async def test_planted_day_twice(
    kafka_broker: Broker,
    tmp_path: Path,
    unique_name: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = generated_file(tmp_path, qc_conversations=PLANTED, **GEN)
    shops = qc_shops_file(tmp_path)
    qc = QcSettings(shops_file=shops, scripts_file=tmp_path / SCRIPTS)
    settings = settings_for(kafka_broker, tmp_path, unique_name, qc=qc)
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
    with ChdbStore(settings.store_dir) as store:
        assert_scores(store, settings, good, expected)
        assert_script_weeks(store, settings, good)
    monkeypatch.setenv("KEFU_QC__SCRIPTS_FILE", str(tmp_path / SCRIPTS))
    capsys.readouterr()
    assert main(["scripts", "suggest", "--shop", "s1", "--store", str(settings.store_dir)]) == 0
    # A reply the library leaves out, and none it holds.
    printed = capsys.readouterr().out
    assert "还有其他可以帮您的吗" in printed and "付款后48小时内发货" not in printed


def assert_script_weeks(store: ChdbStore, settings: KefuSettings, good: list[Any]) -> None:
    hours = hours_from_settings(settings)
    unique = list({e.event_id: e for e in good}.values())
    inquiries = expected_inquiries(unique, settings)
    days = buyer_days(inquiries, fold_orders(unique), settings.conversion_status)
    library = LiveRules(settings.qc).library
    reference = script_weekly(
        unique, library, inquiries, days, lambda shop, ms: hours(shop).business_date(ms)
    )
    rows = store.query(
        "SELECT shop_id, script_id, week, uses, agents, answering_uses, avg_response_seconds, "
        "buyer_days_with, converted_with, buyer_days_without, converted_without, intent "
        "FROM script_weekly"
    ).rows
    stored = {(r[0], r[1], r[2]): tuple(r[3:11]) for r in rows}
    assert stored.keys() == reference.keys() and len(stored) >= 10
    for key, want in reference.items():
        got = stored[key]
        assert got[:3] == want[:3] and got[4:] == want[4:], key
        assert got[3] == pytest.approx(want[3]), key
    assert all(r[11] for r in rows), "every used script has its intent from `scripts`"


def assert_scores(
    store: ChdbStore, settings: KefuSettings, good: list[Any], expected: list[Any]
) -> None:
    hours = hours_from_settings(settings)
    reference = daily_scores(
        good,
        expected,
        lambda shop, ms: hours(shop).business_date(ms),
        settings.qc.severity_weights,
    )
    daily = {
        (r[0], r[1], r[2]): (r[3], r[4], r[5])
        for r in store.query(
            "SELECT shop_id, agent_id, business_date, replies, qc_findings, qc_score "
            "FROM agent_daily WHERE replies > 0"
        ).rows
    }
    assert daily.keys() == reference.keys()
    for key, day in reference.items():
        assert daily[key][:2] == (day.replies, day.findings), key
        assert daily[key][2] == pytest.approx(day.score), key
    assert any(day.score is not None and day.score < 100 for day in reference.values())
    scored = store.query(
        "SELECT shop_id, agent_id, period_start, qc_score, qc_score_weight FROM agent_scores "
        "WHERE period = 'day'"
    ).rows
    by_key = {(r[0], r[1], r[2]): r[3] for r in scored}
    assert all(r[4] == 0 for r in scored)  # shown, not weighed, by default
    for key, day in reference.items():
        assert by_key[key] == pytest.approx(day.score), key
