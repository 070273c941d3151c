"""A generated month replayed through broker, agents and sink: buyer-days, refunds, 30-day
refund rates, daily conversion/rating/complaint numbers and KPI scores equal the batch
reference of docs/metrics.md (tests/reference/aftersales.py), and `kefu score` ranks the
same numbers."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from core.errors import BadMessage
from core.kpi.metrics import NAMES
from core.settings import KefuSettings
from pipeline.commands.score import fetch_boards, ranked
from pipeline.generator import GenConfig, generate, write_jsonl
from pipeline.replay import replay
from schemas.events import BaseEvent, ChatMessage
from schemas.inquiry import Message
from schemas.validate import parse_event
from sinks.chdb_store import ChdbStore
from tests.integration.replay_support import assert_rows_equal
from tests.reference import aftersales as ref
from tests.reference import views
from tests.reference.inquiries import reference_inquiries

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

# November 2026 from local midnight in Shanghai: a whole calendar month, four ISO weeks.
MONTH = datetime(2026, 10, 31, 16, 0, tzinfo=UTC)


@dataclass
class Month:
    settings: KefuSettings
    store: ChdbStore
    facts: ref.Facts


def month_settings(bootstrap: str, home: Path) -> KefuSettings:
    name = f"kefu-month-{uuid.uuid4().hex[:10]}"
    return KefuSettings(
        kafka_bootstrap=bootstrap,
        store_path=home / "store",
        home=home / "home",
        app_id=name,
        topic_prefix=name,
        # A second zone exercises the per-zone local dates of refunds and orders.
        shops={"s3": {"timezone": "Asia/Tokyo"}},
        kpi={
            "agent_roles": {"s1-a4": "aftersale", "s2-a4": "aftersale", "s3-a4": "aftersale"},
            "shop_stages": {"s2": "steady"},
        },
    )


def parsed(path: Path) -> list[BaseEvent]:
    """Every valid event once (the file has duplicates and malformed lines)."""
    unique: dict[str, BaseEvent] = {}
    for line in path.read_bytes().splitlines():
        try:
            event = parse_event(line)
        except BadMessage:
            continue
        unique.setdefault(event.event_id, event)
    return list(unique.values())


def stored_work_orders(store: ChdbStore) -> list[ref.WorkOrderOutcome]:
    """The work orders as stored: their fold is held to its reference in test_work_orders;
    here the scorecard's aggregation of them is."""
    sql = (
        "SELECT shop_id, agent_id, business_date, state, "
        "breached_first_action OR breached_resolve FROM work_orders FINAL"
    )
    return [ref.WorkOrderOutcome(*row[:4], bool(row[4])) for row in store.query(sql).rows]


def reference_facts(
    events: list[BaseEvent], settings: KefuSettings, work_orders: list[ref.WorkOrderOutcome]
) -> ref.Facts:
    messages = [
        Message(e.event_id, e.shop_id, e.buyer_id, e.sender, e.agent_id or "", e.occurred_at)
        for e in events
        if isinstance(e, ChatMessage)
    ]

    def hours(shop_id: str) -> Any:
        shop = settings.shop(shop_id)
        return (shop.zone, shop.service_start, shop.service_end)

    event_time = max(e.occurred_at for e in events)
    inquiries = reference_inquiries(messages, hours, event_time)
    return ref.Facts(events, inquiries, settings, work_orders)


@pytest.fixture(scope="module")
async def month(
    tansu_broker: Any, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Month]:
    home = tmp_path_factory.mktemp("month")
    path = home / "month.jsonl"
    config = GenConfig(
        seed=2026,
        start=MONTH,
        days=30,
        buyers_per_shop_day=30,
        orders_without_chat_per_shop_day=20,
        refund_probability=0.3,
        complaint_probability=0.05,
        disorder_seconds=20,
        duplicate_rate=0.01,
        malformed_rate=0.001,
        qc_conversations=20,
    )
    write_jsonl(generate(config), path)
    settings = month_settings(tansu_broker.bootstrap, home)
    await replay(settings, [path])
    store = ChdbStore(settings.store_dir, settings.clickhouse_database)
    facts = reference_facts(parsed(path), settings, stored_work_orders(store))
    try:
        yield Month(settings, store, facts)
    finally:
        store.close()


def ms(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp() * 1000)


async def test_the_month_is_big_enough(month: Month) -> None:
    facts = month.facts
    assert sum(b.converted for b in facts.buyer_days) > 100
    assert sum(r.disputed for r in facts.refunds.values()) > 10
    assert len({b.business_date for b in facts.buyer_days}) >= 30


async def test_inquiries_equal_reference(month: Month) -> None:
    """Section 1 is the ground buyer-days stand on; a difference here is not section 3's."""
    rows = month.store.query(
        "SELECT shop_id, buyer_id, inquiry_id, agent_id, status, business_date,"
        " toUnixTimestamp64Milli(answered_at) AS answered FROM inquiries FINAL"
    ).dicts()
    assert_rows_equal(
        {(r["shop_id"], r["buyer_id"], r["inquiry_id"]): r for r in rows},
        {
            (i.shop_id, i.buyer_id, i.inquiry_id): {
                "agent_id": i.agent_id,
                "status": i.status,
                "business_date": i.business_date,
                "answered": i.answered_at_ms,
            }
            for i in month.facts.inquiries
        },
    )


async def test_buyer_days_equal_reference(month: Month) -> None:
    rows = month.store.query("SELECT * FROM buyer_days FINAL").dicts()
    stored = {(r["shop_id"], r["buyer_id"], r["business_date"]): r for r in rows}
    for r in rows:
        r["first_inquiry_at"], r["paid_at"] = ms(r["first_inquiry_at"]), ms(r["paid_at"])
    expected = {
        (b.shop_id, b.buyer_id, b.business_date): {
            "first_inquiry_at": b.first_inquiry_at,
            "inquiries": b.inquiries,
            "missed_30s": b.missed_30s,
            "missed_3m": b.missed_3m,
            "missed_5m": b.missed_5m,
            "converted": b.converted,
            "order_id": b.order_id,
            "paid_at": b.paid_at,
            "order_amount": b.order_amount,
            "conversion_agent_id": b.conversion_agent_id,
        }
        for b in month.facts.buyer_days
    }
    assert_rows_equal(stored, expected)


async def test_refunds_equal_reference(month: Month) -> None:
    rows = month.store.query("SELECT * FROM refunds FINAL").dicts()
    stored = {r["refund_id"]: r for r in rows}
    for r in rows:
        for column in ("requested_at", "decided_at", "refunded_at", "dispute_closed_at"):
            r[column] = ms(r[column])
    expected = {
        f.refund_id: {
            "status": f.status,
            "agent_id": f.agent_id,
            "requested_at": f.requested_at,
            "decided_at": f.decided_at,
            "refunded_at": f.refunded_at,
            "disputed": int(f.disputed),
            "dispute_closed_at": f.closed_at,
            "responsibility": f.responsibility,
            "merchant_responsible": int(f.responsibility == "merchant"),
            "processing_seconds": f.processing_seconds,
            "completion_seconds": f.completion_seconds,
        }
        for f in month.facts.refunds.values()
    }
    assert_rows_equal(stored, expected)


def _rates(rates: ref.RefundRates, paid_column: str) -> dict[str, Any]:
    return {
        paid_column: rates.paid_orders,
        "merchant_disputes": rates.merchant_disputes,
        "dispute_refund_rate": rates.dispute_refund_rate,
        "closed_disputes": rates.closed_disputes,
        "resolved_disputes": rates.resolved_disputes,
        "dispute_resolution_rate": rates.dispute_resolution_rate,
        "decided_refunds": rates.decided_refunds,
        "avg_refund_seconds": rates.avg_refund_seconds,
    }


async def test_trailing_30_day_refund_rates_equal_reference(month: Month) -> None:
    facts = month.facts
    shop_keys, agent_keys = facts.refund_rate_keys()
    shops = month.store.query("SELECT * FROM shop_refund_rates_30d").dicts()
    assert_rows_equal(
        {(r["shop_id"], r["as_of_date"]): r for r in shops},
        {(s, d): _rates(facts.refund_rates(s, None, d), "paid_orders") for s, d in shop_keys},
    )
    agents = month.store.query("SELECT * FROM agent_refund_rates_30d").dicts()
    assert_rows_equal(
        {(r["shop_id"], r["agent_id"], r["as_of_date"]): r for r in agents},
        {
            (s, a, d): _rates(facts.refund_rates(s, a, d), "shop_paid_orders")
            for s, a, d in agent_keys
        },
    )


DAILY_COLUMNS = (
    "consulting_buyers",
    "converted_buyers",
    "conversion_rate",
    "converted_amount",
    "avg_order_value",
    "ratings",
    "positive_rating_rate",
    "complaints",
    "complaint_rate",
)


def _daily(rows: dict[Any, dict[str, Any]]) -> dict[Any, dict[str, Any]]:
    return {key: {c: row[c] for c in DAILY_COLUMNS} for key, row in rows.items()}


async def test_daily_conversion_ratings_and_complaints_equal_reference(month: Month) -> None:
    """Over a month, orders converting buyer-days on two dates count their sales once."""
    assert views.multi_day_orders(month.facts.buyer_days) > 0
    columns = ", ".join(DAILY_COLUMNS)
    shops = month.store.query(f"SELECT shop_id, business_date, {columns} FROM shop_daily").dicts()
    assert_rows_equal(
        {(r["shop_id"], r["business_date"]): r for r in shops},
        _daily(views.shop_daily(month.facts)),
    )
    agents = month.store.query(
        f"SELECT shop_id, agent_id, business_date, {columns} FROM agent_daily"
    ).dicts()
    expected = _daily(views.agent_daily(month.facts))
    assert_rows_equal(
        {(r["shop_id"], r["agent_id"], r["business_date"]): r for r in agents}, expected
    )
    assert all(0 <= r["conversion_rate"] <= 1 for r in agents if r["conversion_rate"] is not None)
    monthly = month.store.query(
        "SELECT shop_id, sum(converted_amount) AS sales FROM shop_daily GROUP BY shop_id"
    ).dicts()
    orders = ref.sales_days(month.facts.buyer_days)
    assert {r["shop_id"]: r["sales"] for r in monthly} == {
        shop: sum((b.order_amount or 0 for b in orders if b.shop_id == shop), Decimal(0))
        for shop in {r["shop_id"] for r in monthly}
    }


async def test_agent_scores_equal_reference(month: Month) -> None:
    expected: dict[Any, dict[str, Any]] = {}
    for key, s in ref.agent_scores(month.facts).items():
        row: dict[str, Any] = {
            "period_end": s.period_end,
            "role": s.role,
            "stage": s.stage,
            "score": s.card.score,
            "coaching_metric": s.card.weakest or "",
            "coaching_topic": s.coaching_topic,
            "metrics_scored": sum(p.score is not None for p in s.card.metrics),
        }
        parts = {p.metric: p for p in s.card.metrics}
        for name in NAMES:
            row[name] = s.values[name]
            part = parts.get(name)
            row[f"{name}_score"] = part.score if part else None
            row[f"{name}_weight"] = part.weight if part else 0.0
        expected[key] = row
    rows = month.store.query("SELECT * FROM agent_scores").dicts()
    stored = {(r["period"], r["period_start"], r["shop_id"], r["agent_id"]): r for r in rows}
    assert_rows_equal(stored, expected)
    roles = {(r["role"], r["stage"]) for r in rows}
    assert roles == {
        ("presale", "launch"),
        ("presale", "steady"),
        ("aftersale", "launch"),
        ("aftersale", "steady"),
    }
    assert {r["period"] for r in rows} == {"day", "week", "month"}


@pytest.mark.parametrize("role", ["presale", "aftersale"])
async def test_kefu_score_ranks_the_view(month: Month, role: str) -> None:
    boards = fetch_boards(month.store, role, "week", None, date(2026, 11, 18))
    scores = ref.agent_scores(month.facts)
    for board in boards:
        assert board.period_start == date(2026, 11, 16)
        order = [row["agent_id"] for _, row in ranked(board.rows)]
        mine = [
            s for (period, start, shop, _), s in scores.items()
            if (period, start, shop) == ("week", date(2026, 11, 16), board.shop_id) and s.role == role
        ]  # fmt: skip
        best_first = sorted(
            mine, key=lambda s: (s.card.score is None, -(s.card.score or 0), s.agent_id)
        )
        assert order == [s.agent_id for s in best_first]
        console = Console(width=200, record=True)
        console.print(board.table())
        text = console.export_text()
        assert board.shop_id in text and order[0] in text
