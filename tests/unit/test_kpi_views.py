"""The scorecard views (sql/0008) on a hand-made day, checked by hand, and the settings views
that sinks.kpi_views writes (identical to 0008's defaults, and followed by the views)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from core.kpi.metrics import NAMES
from core.settings import KefuSettings
from sinks import tables
from sinks.chdb_store import ChdbStore
from sinks.kpi_views import apply_kpi_views, config_view_statements, local_date, sql_string
from sinks.migrate import SQL_DIR, migrate

DB = "kpi_views"
D = date(2026, 11, 23)  # a Monday
T = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def at(minutes: float) -> datetime:
    return T + timedelta(minutes=minutes)


def settings(tmp: Path, shops: dict[str, Any] | None = None, **kpi: Any) -> KefuSettings:
    return KefuSettings(
        clickhouse_database=DB,
        home=tmp,
        shops=shops or {},
        kpi={"agent_roles": {"a9": "aftersale"}, **kpi},
    )


def _row(columns: tuple[str, ...], **values: Any) -> tuple[Any, ...]:
    return tuple(values.get(c) for c in columns)


def inquiry(buyer: str, seconds: float) -> tuple[Any, ...]:
    return _row(
        tables.INQUIRIES,
        shop_id="s1", buyer_id=buyer, inquiry_id=f"m-{buyer}", agent_id="a1",
        opened_at=T, effective_opened_at=T, answered_at=T + timedelta(seconds=seconds),
        answered_by="a1", response_seconds=seconds, within_30s=int(seconds <= 30),
        within_3m=1, within_5m=1, business_date=D, status="answered", in_8_23=1,
        raw_response_seconds=seconds, version=1, is_deleted=0,
    )  # fmt: skip


def buyer_day(buyer: str, order_id: str | None) -> tuple[Any, ...]:
    return _row(
        tables.BUYER_DAYS,
        shop_id="s1", buyer_id=buyer, business_date=D, first_inquiry_at=T, inquiries=1,
        missed_30s=0, missed_3m=0, missed_5m=0, converted=int(order_id is not None),
        order_id=order_id, paid_at=at(30) if order_id else None,
        order_amount=Decimal("100.00") if order_id else None,
        conversion_agent_id="a1" if order_id else "", version=1, is_deleted=0,
    )  # fmt: skip


def order(order_id: str, paid: datetime) -> tuple[Any, ...]:
    return _row(
        tables.ORDERS,
        order_id=order_id, shop_id="s1", buyer_id="b1", status="paid", amount=Decimal("100.00"),
        created_at=paid, paid_at=paid, grouped_at=None, updated_at=paid, version=1,
    )  # fmt: skip


def refund(refund_id: str, decided_after: float, responsibility: str) -> tuple[Any, ...]:
    requested = at(0)
    closed = at(24 * 60 - 60)  # 09:00 Shanghai next day, but 20:00 on the 23rd in New York
    return _row(
        tables.REFUNDS,
        refund_id=refund_id, shop_id="s1", order_id="O1", buyer_id="b1", agent_id="a9",
        status="dispute_closed", amount=Decimal("100.00"), requested_at=requested,
        decided_at=requested + timedelta(seconds=decided_after), refunded_at=None, disputed=1,
        responsibility=responsibility, processing_seconds=decided_after,
        completion_seconds=None, dispute_closed_at=closed,
        merchant_responsible=int(responsibility == "merchant"), updated_at=closed, version=1,
    )  # fmt: skip


def work_order(order_id: str, state: str, breached: bool) -> tuple[Any, ...]:
    return _row(
        tables.WORK_ORDERS,
        work_order_id=order_id, shop_id="s1", buyer_id="b1", agent_id="a1",
        rule="complaint_threat", priority="p1", owner="lead", state=state, opened_at=T,
        first_action_at=at(5), resolved_at=at(60) if state == "resolved" else None,
        first_action_due=at(15), resolve_due=at(240), breached_first_action=0,
        breached_resolve=int(breached), business_date=D, version=1,
    )  # fmt: skip


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChdbStore]:
    with ChdbStore(tmp_path_factory.mktemp("store"), DB) as store:
        migrate(store, DB, 180)
        insert = store.insert
        insert(f"{DB}.inquiries", tables.INQUIRIES, [inquiry("b1", 10), inquiry("b2", 50)])
        insert(
            f"{DB}.buyer_days", tables.BUYER_DAYS, [buyer_day("b1", "O1"), buyer_day("b2", None)]
        )
        insert(
            f"{DB}.orders",
            tables.ORDERS,
            [order("O0", datetime(2026, 11, 1, 2, tzinfo=UTC)), order("O1", at(30))],
        )
        ratings = [("r1", "s1", "b1", "a1", 5, at(40), D), ("r2", "s1", "b2", "a1", 3, at(40), D)]
        insert(f"{DB}.ratings", tables.RATINGS, ratings)
        complaint = ("c1", "s1", "b2", "a1", None, "slow_reply", at(50), "e-c1", D)
        insert(f"{DB}.complaints", tables.COMPLAINTS, [complaint])
        insert(
            f"{DB}.refunds",
            tables.REFUNDS,
            [refund("R1", 3600, "buyer"), refund("R2", 1800, "merchant")],
        )
        # Met, breached, and one still running (not counted until its outcome is known).
        orders = [
            work_order("W1", "resolved", False),
            work_order("W2", "acted", True),
            work_order("W3", "acted", False),
        ]
        insert(f"{DB}.work_orders", tables.WORK_ORDERS, orders)
        yield store


def scores(store: ChdbStore, period: str = "day") -> dict[str, dict[str, Any]]:
    rows = store.query(
        f"SELECT * FROM {DB}.agent_scores WHERE period = {{p:String}}", {"p": period}
    ).dicts()
    return {r["agent_id"]: r for r in rows}


def test_presale_agent_scored_by_hand(store: ChdbStore, tmp_path: Path) -> None:
    apply_kpi_views(store, settings(tmp_path))
    a1 = scores(store)["a1"]
    assert (a1["role"], a1["stage"], a1["period_start"], a1["period_end"]) == (
        "presale", "launch", D, D,
    )  # fmt: skip
    assert a1["response_speed"] == pytest.approx(30.0)  # (10 + 50) / 2
    assert a1["response_speed_score"] == pytest.approx(90.0)  # (30 - 120) / (20 - 120)
    assert (a1["conversion_rate"], a1["conversion_rate_score"]) == (0.5, 100.0)
    assert (a1["positive_rating_rate"], a1["positive_rating_rate_score"]) == (0.5, 0.0)
    assert a1["complaint_rate"] == 0.5 and a1["complaint_rate_weight"] == 0.0
    assert a1["complaint_rate_score"] is None  # not weighed for pre-sales
    assert a1["score"] == pytest.approx(0.3 * 90 + 0.4 * 100 + 0.3 * 0)
    assert a1["coaching_metric"] == "positive_rating_rate"
    assert "etiquette" in a1["coaching_topic"]
    week = scores(store, "week")["a1"]
    assert (week["period_start"], week["period_end"]) == (D, date(2026, 11, 29))
    assert week["score"] == pytest.approx(a1["score"])


def test_aftersale_agent_scored_by_hand(store: ChdbStore, tmp_path: Path) -> None:
    apply_kpi_views(store, settings(tmp_path))
    a9 = scores(store, "month")["a9"]
    assert (a9["role"], a9["period_start"], a9["period_end"]) == (
        "aftersale", date(2026, 11, 1), date(2026, 11, 30),
    )  # fmt: skip
    assert a9["dispute_resolution_rate"] == 0.5  # R1 closed on the buyer, R2 on the merchant
    assert a9["refund_speed"] == pytest.approx(2700.0)
    assert a9["dispute_refund_rate"] == 0.5  # one merchant dispute, two orders paid
    assert a9["complaint_rate"] is None  # no consulting buyer-day: not scored
    resolution = 100 * (0.5 - 0.3) / (0.9 - 0.3)
    speed = 100 * (2700 - 21600) / (1800 - 21600)
    assert a9["score"] == pytest.approx((0.5 * resolution + 0.2 * speed) / 0.7)
    assert a9["metrics_scored"] == 2 and a9["coaching_metric"] == "dispute_resolution_rate"


def test_the_work_order_share_is_unweighed_by_default_and_counts_when_weighed(
    store: ChdbStore, tmp_path: Path
) -> None:
    apply_kpi_views(store, settings(tmp_path))
    a1 = scores(store)["a1"]
    assert a1["work_order_sla_rate"] == 0.5  # W1 met, W2 breached, W3 not yet known
    assert a1["work_order_sla_rate_weight"] == 0.0 and a1["work_order_sla_rate_score"] is None
    table = {
        "response_speed": {"weight": 0.3, "floor": 120, "target": 20},
        "conversion_rate": {"weight": 0.3, "floor": 0.1, "target": 0.5},
        "positive_rating_rate": {"weight": 0.2, "floor": 0.6, "target": 0.95},
        "work_order_sla_rate": {"weight": 0.2, "floor": 0.0, "target": 1.0},
    }
    apply_kpi_views(store, settings(tmp_path, weights={"presale": {"launch": table}}))
    try:
        a1 = scores(store)["a1"]
        assert a1["work_order_sla_rate_score"] == pytest.approx(50.0)
        assert a1["score"] == pytest.approx(0.3 * 90 + 0.3 * 100 + 0.2 * 0 + 0.2 * 50)
    finally:
        apply_kpi_views(store, settings(tmp_path))


def test_the_shop_stage_changes_the_weights(store: ChdbStore, tmp_path: Path) -> None:
    apply_kpi_views(store, settings(tmp_path, shop_stages={"s1": "steady"}))
    try:
        a1 = scores(store)["a1"]
        assert a1["stage"] == "steady"
        assert a1["avg_order_value"] == 100.0 and a1["avg_order_value_score"] == 100.0
        assert a1["repeat_purchase_rate"] == 1.0  # b1 paid O0 before O1
        assert a1["score"] == pytest.approx(
            0.25 * 90 + 0.3 * 100 + 0.25 * 0 + 0.1 * 100 + 0.1 * 100
        )
    finally:
        apply_kpi_views(store, settings(tmp_path))


def test_refund_dates_follow_the_shop_zone(store: ChdbStore, tmp_path: Path) -> None:
    def closed_days() -> set[date]:
        sql = f"SELECT day FROM {DB}.refund_daily WHERE closed_disputes > 0"
        return {r[0] for r in store.query(sql).rows}

    assert closed_days() == {date(2026, 11, 24)}  # 09:00 in Shanghai
    apply_kpi_views(store, settings(tmp_path, shops={"s1": {"timezone": "America/New_York"}}))
    try:
        assert closed_days() == {D}  # 20:00 the evening before in New York
    finally:
        apply_kpi_views(store, settings(tmp_path))


def test_trailing_windows_hold_each_fact_for_30_days(store: ChdbStore) -> None:
    rows = store.query(
        f"SELECT as_of_date, window_start, paid_orders FROM {DB}.shop_refund_rates_30d"
        " ORDER BY as_of_date"
    ).rows
    counts = {as_of: paid for as_of, _, paid in rows}
    assert counts[date(2026, 11, 1)] == 1 and counts[date(2026, 11, 30)] == 2
    assert counts[date(2026, 12, 1)] == 1  # O0 left the window
    assert max(counts) == date(2026, 11, 24) + timedelta(days=29)  # the disputes' close
    assert all(start == as_of - timedelta(days=29) for as_of, start, _ in rows)


def test_agent_scores_has_the_interface_columns(store: ChdbStore) -> None:
    names = {
        r[0]
        for r in store.query(
            "SELECT name FROM system.columns WHERE database = {db:String} AND table = 'agent_scores'",
            {"db": DB},
        ).rows
    }
    required = {"period", "period_start", "shop_id", "agent_id", "role", "stage", "score"}
    required |= {f"{m}{suffix}" for m in NAMES for suffix in ("", "_score", "_weight")}
    assert required <= names


def test_the_migrations_create_the_default_settings_views(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The newest migration creating each settings view creates it as the defaults say."""
    monkeypatch.chdir(tmp_path)
    texts = [p.read_text(encoding="utf-8") for p in sorted(SQL_DIR.glob("*.sql"))]
    for generated in config_view_statements(KefuSettings(), "{database}"):
        head = next(line for line in generated.splitlines() if line.startswith("CREATE"))
        newest = [t for t in texts if head in t][-1]
        assert f"{generated};" in newest, head


def test_local_dates_branch_per_configured_zone(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    assert local_date(KefuSettings(), "paid_at") == "toDate(paid_at, 'Asia/Shanghai')"
    zoned = KefuSettings(
        shops={
            "s2": {"timezone": "Europe/Berlin"},
            "s1": {"timezone": "Europe/Berlin"},
            "s3": {"service_start": "09:00:00"},
        }
    )
    assert local_date(zoned, "paid_at") == (
        "multiIf(shop_id IN ('s1', 's2'), toDate(paid_at, 'Europe/Berlin'), "
        "toDate(paid_at, 'Asia/Shanghai'))"
    )


def test_strings_are_quoted_for_sql() -> None:
    assert sql_string("it's a\\b") == "'it\\'s a\\\\b'"
