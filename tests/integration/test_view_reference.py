"""Every column of shop_daily, agent_daily, shop_minutely, agent_minutely and shop_intervals
equals the batch reference (tests/reference/views.py, intervals.py) on generated days replayed through broker, agents and
sink, on both brokers: a whole Shanghai day with its night inquiries, then a live day whose
event time stops at noon with inquiries still open; with disorder and duplicates."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from pipeline.generator import GenConfig, generate, write_jsonl
from pipeline.replay import replay
from schemas.inquiry import OPEN, Message
from sinks import rollups
from sinks.chdb_store import ChdbStore
from tests.integration.conftest import Broker
from tests.integration.replay_support import (
    assert_rollups_equal_final,
    assert_rows_equal,
    chat_messages,
    expected_inquiries,
    settings_for,
    valid_events,
)
from tests.reference import intervals, views
from tests.reference.aftersales import Facts

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

# 00:00 on 23 November 2026 in Shanghai; a day and a half ends at noon of the 24th.
MIDNIGHT = datetime(2026, 11, 22, 16, 0, tzinfo=UTC)


@dataclass
class Replayed:
    store: ChdbStore
    facts: Facts
    messages: list[Message]


@pytest.fixture(scope="module")
async def replayed(
    kafka_broker: Broker, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Replayed]:
    home = tmp_path_factory.mktemp(f"views-{kafka_broker.kind}")
    path = home / "events.jsonl"
    config = GenConfig(
        seed=20,
        start=MIDNIGHT,
        days=1.5,
        buyers_per_shop_day=160,
        orders_without_chat_per_shop_day=20,
        disorder_seconds=20,
        duplicate_rate=0.02,
        qc_conversations=150,
    )
    write_jsonl(generate(config), path)
    settings = settings_for(kafka_broker, home, f"kefu-views-{uuid.uuid4().hex[:10]}")
    await replay(settings, [path])
    good, _ = valid_events(path)
    unique = list({e.event_id: e for e in good}.values())
    facts = Facts(unique, expected_inquiries(unique, settings), settings)
    store = ChdbStore(settings.store_dir, settings.clickhouse_database)
    try:
        yield Replayed(store, facts, chat_messages(unique))
    finally:
        store.close()


def assert_view_equals(
    replayed: Replayed, view: str, key: tuple[str, ...], expected: dict[Any, dict[str, Any]]
) -> None:
    result = replayed.store.query(f"SELECT * FROM {view}")
    columns = set(result.columns) - set(key)
    for row in expected.values():
        assert set(row) == columns, f"{view}: reference lacks {columns - set(row)}"
    assert_rows_equal({tuple(r[k] for k in key): r for r in result.dicts()}, expected)


async def test_the_days_have_what_the_views_must_handle(replayed: Replayed) -> None:
    inquiries = replayed.facts.inquiries
    assert sum(i.status == OPEN for i in inquiries) > 0  # the live day
    assert sum(not i.in_8_23 for i in inquiries) > 0  # night inquiries
    assert sum(i.effective_opened_at_ms != i.opened_at_ms for i in inquiries) > 0
    assert sum(b.converted for b in replayed.facts.buyer_days) > 10
    assert views.multi_day_orders(replayed.facts.buyer_days) > 0  # sales count once
    # a buyer-day whose only 30 s miss so far is an open inquiry: the live-day rule decides
    settled = {
        (i.shop_id, i.buyer_id, i.business_date)
        for i in inquiries
        if i.status != OPEN and not i.within_30s
    }
    assert {
        (i.shop_id, i.buyer_id, i.business_date) for i in inquiries if i.status == OPEN
    } - settled
    assert replayed.store.query("SELECT count() FROM shop_daily WHERE is_final = 0").scalar()


async def test_shop_daily_equals_reference(replayed: Replayed) -> None:
    expected = views.shop_daily(replayed.facts)
    assert_view_equals(replayed, "shop_daily", ("shop_id", "business_date"), expected)


async def test_agent_daily_equals_reference(replayed: Replayed) -> None:
    expected = views.agent_daily(replayed.facts)
    key = ("shop_id", "agent_id", "business_date")
    assert_view_equals(replayed, "agent_daily", key, expected)
    rates = [v for row in expected.values() for c, v in row.items() if "rate" in c]
    assert all(0 <= v <= 1 for v in rates if v is not None)


async def test_shop_minutely_equals_reference(replayed: Replayed) -> None:
    expected = views.minutely(replayed.facts.inquiries, by_agent=False)
    assert_view_equals(replayed, "shop_minutely", ("shop_id", "minute"), expected)


async def test_agent_minutely_equals_reference(replayed: Replayed) -> None:
    expected = views.minutely(replayed.facts.inquiries, by_agent=True)
    assert_view_equals(replayed, "agent_minutely", ("shop_id", "agent_id", "minute"), expected)


async def test_shop_hourly_counts_its_minutes(replayed: Replayed) -> None:
    by_hour: dict[tuple[str, Any], list[int]] = {}
    for (shop, minute), row in views.minutely(replayed.facts.inquiries, by_agent=False).items():
        counts = by_hour.setdefault((shop, minute.replace(minute=0)), [0, 0])
        counts[0] += row["inquiries"]
        counts[1] += row["answered"]
    stored = replayed.store.query("SELECT shop_id, hour, inquiries, answered FROM shop_hourly")
    assert {(shop, hour): [n, a] for shop, hour, n, a in stored.rows} == by_hour


async def test_shop_intervals_equals_reference(replayed: Replayed) -> None:
    facts = replayed.facts
    expected = intervals.shop_intervals(
        facts.inquiries, replayed.messages, lambda shop: facts.settings.shop(shop).zone
    )
    assert_view_equals(replayed, "shop_intervals", ("shop_id", "interval_start"), expected)
    rows = expected.values()
    assert sum(r["is_final"] == 0 for r in rows) > 0  # the live day's open inquiries
    assert sum(r["inquiries"] == 0 for r in rows) > 0  # agents still at work on a quiet half hour
    assert sum(r["active_agents"] > 1 for r in rows) > 0
    assert sum((r["handle_seconds"] or 0) > 0 for r in rows) > 0
    assert sum((r["concurrency"] or 0) > 0 for r in rows) > 0


def dirty(store: ChdbStore) -> int:
    return int(store.query("SELECT count() FROM rollup_dirty").scalar())


async def test_rollups_stay_equal_to_final_through_refreshes_and_a_correction(
    replayed: Replayed,
) -> None:
    """Mixed (some periods fresh, some computed at read time), all fresh, after a
    correction, and put back: the views equal their FINAL computation throughout, and with
    every period read from the rollups they equal the references."""
    store = replayed.store
    before = dirty(store)
    assert before > 0
    assert rollups.refresh(store, settle_seconds=0, limit=5) > 0
    assert 0 < dirty(store) < before  # half fresh, half computed at read time
    assert_rollups_equal_final(store)
    rollups.refresh(store, settle_seconds=0)
    assert dirty(store) == 0
    assert_rollups_equal_final(store)
    await test_shop_daily_equals_reference(replayed)
    await test_agent_daily_equals_reference(replayed)
    await test_shop_minutely_equals_reference(replayed)
    await test_agent_minutely_equals_reference(replayed)
    await test_shop_hourly_counts_its_minutes(replayed)

    # A correction: one answered inquiry stored again, unanswered, under a newer version.
    inquiry = store.query(
        "SELECT * FROM inquiries FINAL WHERE status = 'answered' ORDER BY inquiry_id LIMIT 1"
    ).dicts()[0]
    corrected = {
        **inquiry,
        "answered_at": None,
        "answered_by": None,
        "response_seconds": None,
        "raw_response_seconds": None,
        "within_30s": 0,
        "within_3m": 0,
        "within_5m": 0,
        "status": "missed",
        "version": inquiry["version"] + 1,
    }
    columns = list(corrected)
    store.insert("inquiries", columns, [[corrected[c] for c in columns]])
    assert dirty(store) >= 6  # its day and hour, for each rolled-up view
    assert_rollups_equal_final(store)
    rollups.refresh(store, settle_seconds=0)
    assert dirty(store) == 0
    assert_rollups_equal_final(store)
    day = store.query(
        "SELECT answered FROM shop_daily WHERE shop_id = {s:String} AND business_date = {d:Date}",
        {"s": inquiry["shop_id"], "d": inquiry["business_date"]},
    ).scalar()
    assert (
        day
        == views.shop_daily(replayed.facts)[(inquiry["shop_id"], inquiry["business_date"])][
            "answered"
        ]
        - 1
    )

    # ... and put back, so the module's store is the replayed day again.
    restored = {**inquiry, "version": inquiry["version"] + 2}
    store.insert("inquiries", columns, [[restored[c] for c in columns]])
    rollups.refresh(store, settle_seconds=0)
    assert_rollups_equal_final(store)
