"""The daily and minutely views on a hand-made day, checked by hand, through both backends."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from sinks import tables
from sinks.store import Store
from tests.integration import store_fixtures
from tests.integration.store_fixtures import fresh_database

# The shared store fixtures, for this module.
embedded_store = store_fixtures.embedded_store
store_http = store_fixtures.store_http
server_store = store_fixtures.server_store
any_store = store_fixtures.any_store

D = date(2026, 11, 23)  # business date in Asia/Shanghai; 10:00 local is 02:00 UTC
T = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T + timedelta(minutes=minutes)


def inquiry(**values: Any) -> tuple[Any, ...]:
    row: dict[str, Any] = {
        "shop_id": "s1",
        "agent_id": "",
        "effective_opened_at": None,
        "answered_at": None,
        "answered_by": None,
        "response_seconds": None,
        "within_30s": 0,
        "within_3m": 0,
        "within_5m": 0,
        "business_date": D,
        "status": "missed",
        "in_8_23": 1,
        "raw_response_seconds": None,
        "version": 1,
        "is_deleted": 0,
    }
    row.update(values)
    row["inquiry_id"] = row.get("inquiry_id", f"m-{row['buyer_id']}-{row['opened_at']:%H%M}")
    row["effective_opened_at"] = row["effective_opened_at"] or row["opened_at"]
    seconds = row["response_seconds"]
    if seconds is not None:
        row["answered_at"] = row["effective_opened_at"] + timedelta(seconds=seconds)
        row["answered_by"] = row["answered_by"] or row["agent_id"]
        row["status"] = "answered"
        for flag, limit in (("within_30s", 30), ("within_3m", 180), ("within_5m", 300)):
            row[flag] = int(seconds <= limit)
        if row["raw_response_seconds"] is None:
            row["raw_response_seconds"] = float(seconds)
    return tuple(row[c] for c in tables.INQUIRIES)


def buyer_day(buyer: str, missed: str, amount: str | None = None, **values: Any) -> tuple[Any, ...]:
    row: dict[str, Any] = {
        "shop_id": "s1",
        "buyer_id": buyer,
        "business_date": D,
        "first_inquiry_at": T,
        "inquiries": 1,
        "missed_30s": int("30s" in missed),
        "missed_3m": int("3m" in missed),
        "missed_5m": int("5m" in missed),
        "converted": int(amount is not None),
        "order_id": f"O-{buyer}" if amount else None,
        "paid_at": at(30) if amount else None,
        "order_amount": Decimal(amount) if amount else None,
        "conversion_agent_id": "",
        "version": 1,
        "is_deleted": 0,
    }
    row.update(values)
    return tuple(row[c] for c in tables.BUYER_DAYS)


def load_day(store: Store, db: str) -> None:
    """The hand-checked day of shop s1 (see test_shop_daily_by_hand), plus s2 and a second day."""
    early = datetime(2026, 11, 22, 19, 0, tzinfo=UTC)  # 03:00 local: the clock starts at 08:00
    inquiries = [
        inquiry(buyer_id="b1", agent_id="a1", opened_at=at(0), response_seconds=20.0),
        inquiry(buyer_id="b1", agent_id="a1", opened_at=at(10), response_seconds=100.0),
        inquiry(buyer_id="b2", agent_id="a2", opened_at=at(20), response_seconds=250.0),
        inquiry(buyer_id="b3", agent_id="a2", opened_at=at(30)),
        inquiry(
            buyer_id="b4",
            agent_id="a1",
            opened_at=early,
            effective_opened_at=datetime(2026, 11, 23, 0, 0, tzinfo=UTC),
            response_seconds=10.0,
            raw_response_seconds=18010.0,
            in_8_23=0,
        ),
        inquiry(buyer_id="b5", agent_id="a1", opened_at=at(40), response_seconds=5.0),
        inquiry(buyer_id="b6", agent_id="a2", opened_at=at(50), status="open"),
        inquiry(shop_id="s2", buyer_id="x1", agent_id="a9", opened_at=at(0), status="open"),
    ]
    store.insert(f"{db}.inquiries", tables.INQUIRIES, inquiries)
    store.insert(  # later versions: b5's inquiry was re-cut away, b6's got its answer
        f"{db}.inquiries",
        tables.INQUIRIES,
        [
            inquiry(buyer_id="b5", agent_id="a1", opened_at=at(40), version=2, is_deleted=1),
            inquiry(
                buyer_id="b6", agent_id="a2", opened_at=at(50), response_seconds=40.0, version=2
            ),
        ],
    )
    store.insert(
        f"{db}.buyer_days",
        tables.BUYER_DAYS,
        [
            buyer_day("b1", "30s", "100.50", conversion_agent_id="a1"),
            buyer_day("b2", "30s 3m"),
            buyer_day("b3", "30s 3m 5m"),
            buyer_day("b4", "", "49.50", conversion_agent_id="a1"),
            buyer_day("b5", ""),
            buyer_day("b5", "", version=2, is_deleted=1),
            buyer_day("b6", "30s", "20.00", conversion_agent_id="a2"),
        ],
    )
    store.insert(
        f"{db}.ratings",
        tables.RATINGS,
        [
            ("r1", "s1", "b1", "a1", 5, at(5), D),
            ("r2", "s1", "b4", "a1", 3, at(6), D),
            ("r3", "s1", "b2", "a2", 4, at(7), D),
            ("r4", "s1", "b2", "a2", 1, at(60 * 24), D + timedelta(days=1)),
        ],
    )
    store.insert(
        f"{db}.complaints",
        tables.COMPLAINTS,
        [("c1", "s1", "b3", "a2", None, "slow_reply", at(45), "e-c1", D)],
    )


def one(store: Store, sql: str) -> dict[str, Any]:
    result = store.query(sql)
    assert len(result.rows) == 1, result.rows
    return result.dicts()[0]


def test_shop_daily_by_hand(any_store: Store) -> None:
    db = fresh_database(any_store)
    load_day(any_store, db)
    row = one(
        any_store, f"SELECT * FROM {db}.shop_daily WHERE shop_id = 's1' AND business_date = '{D}'"
    )
    # Six inquiries (b5's deleted, b6's upserted): responses 20, 100, 250, none, 10, 40.
    assert (row["inquiries"], row["answered"], row["consulting_buyers"]) == (6, 5, 5)
    assert row["rate_30s"] == pytest.approx(2 / 6)
    assert row["rate_3m"] == pytest.approx(4 / 6)
    assert row["rate_5m"] == pytest.approx(5 / 6)
    assert row["avg_response_seconds"] == pytest.approx(84.0)
    assert row["p50_response_seconds"] == pytest.approx(40.0)
    assert row["p90_response_seconds"] == pytest.approx(190.0)  # 100 + 0.6 * (250 - 100)
    assert row["avg_first_response_seconds"] == pytest.approx(80.0)  # 20, 250, 10, 40
    # Buyer-days b1..b4, b6 missing 30 s: b1 b2 b3 b6; 3 min: b2 b3; 5 min: b3.
    assert row["buyer_rate_30s"] == pytest.approx(1 / 5)
    assert row["buyer_rate_3m"] == pytest.approx(3 / 5)
    assert row["buyer_rate_5m"] == pytest.approx(4 / 5)
    assert (row["converted_buyers"], row["converted_amount"]) == (3, Decimal("170.00"))
    assert row["conversion_rate"] == pytest.approx(3 / 5)
    assert row["avg_order_value"] == pytest.approx(170 / 3)
    assert (row["ratings"], row["complaints"]) == (3, 1)
    assert row["positive_rating_rate"] == pytest.approx(2 / 3)
    assert row["complaint_rate"] == pytest.approx(1 / 5)
    assert row["is_final"] == 1
    # 8_23: b4's 03:00 inquiry is out; clock from opened_at (raw 20, 100, 250, none, 40).
    assert (row["inquiries_8_23"], row["consulting_buyers_8_23"]) == (5, 4)
    assert row["rate_30s_8_23"] == pytest.approx(1 / 5)
    assert row["rate_3m_8_23"] == pytest.approx(3 / 5)
    assert row["rate_5m_8_23"] == pytest.approx(4 / 5)
    assert row["avg_response_seconds_8_23"] == pytest.approx(102.5)
    assert row["buyer_rate_30s_8_23"] == pytest.approx(0.0)
    assert row["buyer_rate_3m_8_23"] == pytest.approx(2 / 4)
    assert row["buyer_rate_5m_8_23"] == pytest.approx(3 / 4)
    # all_day: b4 waited 5 h 10 s on the raw clock.
    assert row["rate_30s_all_day"] == pytest.approx(1 / 6)
    assert row["rate_3m_all_day"] == pytest.approx(3 / 6)
    assert row["rate_5m_all_day"] == pytest.approx(4 / 6)
    assert row["avg_response_seconds_all_day"] == pytest.approx(18420 / 5)
    assert row["buyer_rate_30s_all_day"] == pytest.approx(0.0)
    assert row["buyer_rate_3m_all_day"] == pytest.approx(2 / 5)
    assert row["buyer_rate_5m_all_day"] == pytest.approx(3 / 5)


def test_provisional_and_inquiry_free_days(any_store: Store) -> None:
    db = fresh_database(any_store)
    load_day(any_store, db)
    s2 = one(any_store, f"SELECT * FROM {db}.shop_daily WHERE shop_id = 's2'")
    assert (s2["inquiries"], s2["answered"], s2["is_final"]) == (1, 0, 0)
    assert s2["rate_5m"] == 0.0
    assert s2["avg_response_seconds"] is None and s2["p50_response_seconds"] is None
    assert s2["buyer_rate_3m"] is None and s2["conversion_rate"] is None
    next_day = one(
        any_store,
        f"SELECT * FROM {db}.shop_daily"
        f" WHERE shop_id = 's1' AND business_date = '{D + timedelta(days=1)}'",
    )
    assert (next_day["inquiries"], next_day["ratings"], next_day["is_final"]) == (0, 1, 1)
    assert next_day["rate_5m"] is None and next_day["positive_rating_rate"] == 0.0


def test_agent_daily_and_minutely(any_store: Store) -> None:
    db = fresh_database(any_store)
    load_day(any_store, db)
    agents = {
        r["agent_id"]: r
        for r in any_store.query(
            f"SELECT * FROM {db}.agent_daily WHERE shop_id = 's1' AND business_date = '{D}'"
        ).dicts()
    }
    a1, a2 = agents["a1"], agents["a2"]
    assert (a1["inquiries"], a1["answered"], a1["consulting_buyers"]) == (3, 3, 2)
    assert a1["rate_30s"] == pytest.approx(2 / 3) and a1["rate_5m"] == pytest.approx(1.0)
    assert a1["avg_response_seconds"] == pytest.approx(130 / 3)
    assert a1["buyer_rate_30s"] == pytest.approx(0.5) and a1["buyer_rate_3m"] == pytest.approx(1.0)
    assert (a1["converted_buyers"], a1["converted_amount"]) == (2, Decimal("150.00"))
    assert a1["conversion_rate"] == pytest.approx(1.0) and a1["avg_order_value"] == pytest.approx(
        75.0
    )
    assert a1["positive_rating_rate"] == pytest.approx(0.5) and a1["complaint_rate"] == 0.0
    assert (a2["inquiries"], a2["answered"], a2["consulting_buyers"]) == (3, 2, 3)
    assert a2["rate_30s"] == 0.0 and a2["rate_3m"] == pytest.approx(1 / 3)
    assert a2["rate_5m"] == pytest.approx(2 / 3)
    assert a2["conversion_rate"] == pytest.approx(1 / 3) and a2["complaint_rate"] == pytest.approx(
        1 / 3
    )
    assert a2["positive_rating_rate"] == pytest.approx(1.0) and a2["is_final"] == 1

    minute = one(
        any_store,
        f"SELECT * FROM {db}.shop_minutely WHERE shop_id = 's1' AND minute = '{at(50):%F %T}'",
    )
    assert (minute["inquiries"], minute["answered"], minute["is_final"]) == (1, 1, 1)
    assert (minute["rate_30s"], minute["rate_3m"], minute["avg_response_seconds"]) == (
        0.0,
        1.0,
        40.0,
    )
    assert minute["minute"] == at(50)
    by_agent = one(
        any_store,
        f"SELECT * FROM {db}.agent_minutely"
        " WHERE agent_id = 'a1' AND minute = '2026-11-23 00:00:00'",
    )
    assert by_agent["rate_30s"] == 1.0  # b4's 03:00 inquiry counts at 08:00 local
    open_minute = one(any_store, f"SELECT * FROM {db}.shop_minutely WHERE shop_id = 's2'")
    assert (open_minute["is_final"], open_minute["rate_5m"]) == (0, 0.0)
