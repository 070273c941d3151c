"""The rollup refresher and the migration to rollups, on the embedded engine.

tests/integration/test_view_reference.py holds the rollup-backed views equal to their FINAL
computation on replayed days; here: what a store migrated from the previous release gets,
settling, and the tiers' retention."""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from core.settings import KefuSettings, QcSettings, RollupSettings, ShopSettings
from sinks import rollups
from sinks.chdb_store import ChdbStore
from sinks.kpi_views import apply_kpi_views
from sinks.migrate import SQL_DIR, _apply, migrate, migrations
from sinks.store import Store

VIEWS = {
    "shop_daily": "shop_id, business_date",
    "agent_daily": "shop_id, agent_id, business_date",
    "shop_minutely": "shop_id, minute",
    "agent_minutely": "shop_id, agent_id, minute",
    "shop_hourly": "shop_id, hour",
    "agent_hourly": "shop_id, agent_id, hour",
    "agent_kpi_daily": "shop_id, agent_id, business_date",
}
# The daily inputs of the scorecard's 30-day refund rates (sql/0027): orders and refunds
# change them, inquiries do not.
REFUND_RATE_VIEWS = {
    "paid_orders_daily": "shop_id, day",
    "refund_daily": "shop_id, agent_id, day",
}
T0 = "toDateTime64('2026-11-23 00:30:00', 3, 'UTC')"
INQUIRIES = f"""INSERT INTO {{db}}.inquiries
SELECT concat('s', toString(number % 3)), concat('b', toString(number % 40)),
    concat('i', toString(number)), concat('a', toString(number % 4)),
    {T0} + toIntervalSecond(number * 600), {T0} + toIntervalSecond(number * 600),
    if(number % 5 = 0, NULL, {T0} + toIntervalSecond(number * 600 + number % 300)),
    if(number % 5 = 0, NULL, concat('a', toString(number % 4))),
    if(number % 5 = 0, NULL, toFloat64(number % 300)),
    toUInt8(number % 5 != 0 AND number % 300 <= 30), toUInt8(number % 5 != 0 AND number % 300 <= 180),
    toUInt8(number % 5 != 0), toDate({T0} + toIntervalSecond(number * 600), 'Asia/Shanghai'),
    if(number % 5 = 0, 'missed', 'answered'), 1,
    if(number % 5 = 0, NULL, toFloat64(number % 300)), {{version}}, 0
FROM numbers(400)"""


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChdbStore]:
    with ChdbStore(tmp_path_factory.mktemp("rollups") / "store", "kefu") as opened:
        yield opened


def fresh(store: ChdbStore, sql_dir: Path = SQL_DIR) -> str:
    database = f"r_{uuid.uuid4().hex[:8]}"
    migrate(store, database, 180, sql_dir)
    store.database = database
    return database


def release_before(migration: str, tmp_path: Path) -> Path:
    """The migrations of the release before `migration` (a store to migrate from)."""
    before = tmp_path / "sql"
    before.mkdir()
    for path in SQL_DIR.glob("*.sql"):
        if path.name < migration:
            shutil.copy(path, before)
    return before


def assert_views_equal_final(
    store: ChdbStore, database: str, views: tuple[str, ...] = tuple(VIEWS)
) -> None:
    keys = {**VIEWS, **REFUND_RATE_VIEWS}
    for view, key in ((v, keys[v]) for v in views):
        rows = store.query(f"SELECT * FROM {database}.{view} ORDER BY {key}").rows
        final = store.query(f"SELECT * FROM {database}.{view}_final ORDER BY {key}").rows
        assert rows == final, view
        assert rows, view


def dirty(store: ChdbStore, database: str) -> int:
    return int(store.query(f"SELECT count() FROM {database}.rollup_dirty").scalar())


def test_a_store_of_the_previous_release_is_marked_and_refreshed(
    store: ChdbStore, tmp_path: Path
) -> None:
    database = fresh(store, release_before("0023", tmp_path))
    store.command(INQUIRIES.format(db=database, version=1))
    shown = {
        v: store.query(f"SELECT * FROM {database}.{v} ORDER BY {k}").rows
        for v, k in VIEWS.items()
        if "hourly" not in v  # new in 0023
    }
    assert migrate(store, database, 180)[0] == "0023_rollups"
    assert dirty(store, database) > 0  # every period of the old rows is marked
    assert_views_equal_final(store, database)
    assert rollups.refresh(store, settle_seconds=0) > 0
    assert dirty(store, database) == 0
    assert_views_equal_final(store, database)
    for view, rows in shown.items():
        assert store.query(f"SELECT * FROM {database}.{view} ORDER BY {VIEWS[view]}").rows == rows


def test_a_period_waits_to_settle_and_a_newer_version_makes_it_dirty(store: ChdbStore) -> None:
    database = fresh(store)
    store.command(INQUIRIES.format(db=database, version=1))
    marked = dirty(store, database)
    assert rollups.refresh(store, settle_seconds=3600) == 0  # just written: not settled
    assert rollups.refresh(store, settle_seconds=0) == marked
    assert dirty(store, database) == 0
    store.command(INQUIRIES.format(db=database, version=2).replace("numbers(400)", "numbers(1)"))
    assert dirty(store, database) == 7  # one day and one hour, for each view
    assert_views_equal_final(store, database)


def test_settings_that_change_the_views_mark_every_period(store: ChdbStore, tmp_path: Path) -> None:
    database = fresh(store)
    store.command(INQUIRIES.format(db=database, version=1))
    rollups.refresh(store, settle_seconds=0)
    settings = KefuSettings(home=tmp_path, clickhouse_database=database)
    apply_kpi_views(store, settings)
    assert dirty(store, database) == 0  # the same settings: the rollups stand
    weights = {"critical": 5.0, "warning": 1.0, "info": 0.0}
    apply_kpi_views(store, settings.model_copy(update={"qc": QcSettings(severity_weights=weights)}))
    assert dirty(store, database) == int(
        store.query(f"SELECT count() FROM {database}.rollup_state FINAL").scalar()
    )
    assert_views_equal_final(store, database)


def test_the_tiers_keep_rows_as_configured(store: ChdbStore) -> None:
    database = fresh(store)

    def ddl(table: str) -> str:
        return str(
            store.query(
                "SELECT create_table_query FROM system.tables "
                "WHERE database = {db:String} AND name = {t:String}",
                {"db": database, "t": table},
            ).scalar()
        )

    rollups.apply_ttls(store, RollupSettings(minute_days=30, day_days=400))
    assert "TTL toDateTime(minute, 'UTC') + toIntervalDay(30)" in ddl("shop_minutely_rollup")
    assert "TTL business_date + toIntervalDay(400)" in ddl("agent_daily_rollup")
    assert "TTL day + toIntervalDay(400)" in ddl("refund_daily_rollup")
    rollups.apply_ttls(store, RollupSettings())
    assert " TTL " not in ddl("shop_minutely_rollup")
    assert " TTL " not in ddl("agent_daily_rollup")


def test_a_days_filter_skips_the_other_days_granules(store: ChdbStore) -> None:
    database = fresh(store)
    store.command(INQUIRIES.format(db=database, version=1))
    plan = "\n".join(
        str(row[0])
        for row in store.query(
            f"EXPLAIN indexes = 1 SELECT count() FROM {database}.inquiries FINAL "
            "WHERE business_date = '2026-11-24'"
        ).rows
    )
    assert "business_date_range" in plan


def _buyer_day(database: str, day: str, order: str, paid: str) -> str:
    return (
        f"INSERT INTO {database}.buyer_days VALUES ('s0', 'b1', '{day}', "
        f"toDateTime64('{day} 02:00:00', 3, 'UTC'), 1, 0, 0, 0, 1, '{order}', "
        f"toDateTime64('{paid}', 3, 'UTC'), 10.00, 'a1', 1, 0)"
    )


def _order(database: str, order: str, paid: str, version: int = 1) -> str:
    return (
        f"INSERT INTO {database}.orders VALUES ('{order}', 's0', 'b1', 'paid', 10.00, NULL, "
        f"toDateTime64('{paid}', 3, 'UTC'), NULL, toDateTime64('{paid}', 3, 'UTC'), {version})"
    )


def _kpi(store: ChdbStore, database: str, column: str) -> dict[str, int]:
    return {
        str(day): int(n)
        for day, n in store.query(
            f"SELECT business_date, {column} FROM {database}.agent_kpi_daily "
            "WHERE agent_id = 'a1' ORDER BY business_date"
        ).rows
    }


def test_an_earlier_first_order_makes_a_later_sale_a_repeat_purchase(store: ChdbStore) -> None:
    """Which order is a buyer's first depends on the whole history: an order arriving late
    marks the sales days of the buyer's other paid orders, however far away."""
    database = fresh(store)
    store.command(_buyer_day(database, "2026-10-01", "o2", "2026-10-01 05:00:00"))
    store.command(_buyer_day(database, "2026-11-20", "o3", "2026-11-20 05:00:00"))
    store.command(_order(database, "o2", "2026-10-01 05:00:00"))
    store.command(_order(database, "o3", "2026-11-20 05:00:00"))
    rollups.refresh(store, settle_seconds=0)
    assert _kpi(store, database, "repeat_buyers") == {"2026-10-01": 0, "2026-11-20": 1}
    store.command(_order(database, "o1", "2026-06-01 05:00:00"))
    assert _kpi(store, database, "repeat_buyers") == {"2026-10-01": 1, "2026-11-20": 1}
    rollups.refresh(store, settle_seconds=0)
    assert dirty(store, database) == 0
    assert _kpi(store, database, "repeat_buyers") == {"2026-10-01": 1, "2026-11-20": 1}
    assert_views_equal_final(store, database, ("agent_kpi_daily",))


def test_a_refund_or_work_order_moved_to_another_day_marks_both_days(store: ChdbStore) -> None:
    database = fresh(store)
    store.command(INQUIRIES.format(db=database, version=1))
    refund = (
        f"INSERT INTO {database}.refunds VALUES ('r1', 's0', 'o1', 'b1', 'a1', 'approved', "
        "5.00, toDateTime64('2026-11-20 01:00:00', 3, 'UTC'), toDateTime64('{at}', 3, 'UTC'), "
        "NULL, 0, NULL, 60, NULL, NULL, 0, toDateTime64('{at}', 3, 'UTC'), {version})"
    )
    work_order = (
        f"INSERT INTO {database}.work_orders VALUES ('w1', 's0', 'b1', 'a1', 'complaint_threat', "
        "'high', 'lead', 'resolved', toDateTime64('2026-11-20 01:00:00', 3, 'UTC'), NULL, NULL, "
        "toDateTime64('2026-11-20 02:00:00', 3, 'UTC'), "
        "toDateTime64('2026-11-21 01:00:00', 3, 'UTC'), 0, 0, '{day}', {version})"
    )
    store.command(refund.format(at="2026-11-20 02:00:00", version=1))
    store.command(work_order.format(day="2026-11-20", version=1))
    rollups.refresh(store, settle_seconds=0)
    assert _kpi(store, database, "decided_refunds")["2026-11-20"] == 1
    assert _kpi(store, database, "work_orders_met")["2026-11-20"] == 1
    store.command(refund.format(at="2026-11-22 02:00:00", version=2))
    store.command(work_order.format(day="2026-11-22", version=2))
    for column in ("decided_refunds", "work_orders_met"):
        counts = _kpi(store, database, column)
        assert counts.get("2026-11-20", 0) == 0 and counts["2026-11-22"] == 1, column
    assert_views_equal_final(store, database)


def test_a_mark_not_yet_visible_when_the_refresh_chose_its_periods_still_outranks_it(
    store: ChdbStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An insert marks its periods while it runs, before its rows can be read: a refresh
    that chose a period just before that mark became visible must not make it fresh."""
    database = fresh(store)
    store.command(INQUIRIES.format(db=database, version=1))
    settled = store.query(f"SELECT view_name, shop_id, period FROM {database}.rollup_state").rows
    store.command(f"TRUNCATE TABLE {database}.rollup_state")
    store.command(f"TRUNCATE TABLE {database}.rollup_changes")
    values = ", ".join(f"('{v}', '{s}', '{p:%Y-%m-%d %H:%M:%S}')" for v, s, p in settled)
    store.command(
        f"INSERT INTO {database}.rollup_changes SELECT v.1, v.2, toDateTime(v.3, 'UTC'), "
        f"now64(6, 'UTC') - INTERVAL 2 MINUTE FROM (SELECT arrayJoin([{values}]) AS v)"
    )
    chosen = rollups._dirty
    late: list[tuple[str, datetime]] = []

    def dirty_then_a_late_mark(
        on: Store, rollup: rollups.Rollup, settle_seconds: float, count: int
    ) -> list[tuple[str, datetime]]:
        periods = chosen(on, rollup, settle_seconds, count)
        if periods and not late:
            late.append(periods[0])
            store.command(
                f"INSERT INTO {database}.rollup_changes SELECT 'shop_daily', "
                f"'{periods[0][0]}', toDateTime('{periods[0][1]:%Y-%m-%d %H:%M:%S}', 'UTC'), "
                "now64(6, 'UTC') - INTERVAL 30 SECOND"
            )
        return periods

    monkeypatch.setattr(rollups, "_dirty", dirty_then_a_late_mark)
    assert rollups.refresh(store, settle_seconds=60) == len(settled)
    assert dirty(store, database) == 1
    assert_views_equal_final(store, database)


ORDERS = f"""INSERT INTO {{db}}.orders
SELECT concat('o', toString(number)), concat('s', toString(number % 3)),
    concat('b', toString(number % 40)), 'paid', 10.00, {T0} + toIntervalSecond(number * 3000),
    if(number % 7 = 0, NULL, {T0} + toIntervalSecond(number * 3000 + 600)), NULL,
    {T0} + toIntervalSecond(number * 3000 + 600), 1
FROM numbers(100)"""
REFUNDS = f"""INSERT INTO {{db}}.refunds
SELECT concat('r', toString(number)), concat('s', toString(number % 3)),
    concat('o', toString(number)), concat('b', toString(number % 40)),
    concat('a', toString(number % 4)), 'agreed', 5.00, {T0} + toIntervalSecond(number * 7000),
    if(number % 5 = 0, NULL, {T0} + toIntervalSecond(number * 7000 + number * 60)), NULL,
    toUInt8(number % 2), if(number % 2 = 0, NULL, if(number % 4 = 1, 'merchant', 'buyer')),
    if(number % 5 = 0, NULL, toFloat64(number * 60)), NULL,
    if(number % 2 = 0, NULL, {T0} + toIntervalSecond(number * 7000 + 90000)),
    toUInt8(number % 4 = 1), {T0} + toIntervalSecond(number * 7000), 1
FROM numbers(40)"""


def test_a_store_of_the_previous_release_gets_its_refund_rate_days_marked(
    store: ChdbStore, tmp_path: Path
) -> None:
    database = fresh(store, release_before("0027", tmp_path))
    for insert in (INQUIRIES, ORDERS, REFUNDS):
        store.command(insert.format(db=database, version=1))
    scores = "SELECT * FROM {db}.{view} ORDER BY ALL"
    rates = ("shop_refund_rates_30d", "agent_refund_rates_30d", "agent_scores")
    shown = {v: store.query(scores.format(db=database, view=v)).rows for v in rates}
    assert all(shown.values())
    assert migrate(store, database, 180)[0] == "0027_refund_rollup"
    marked = store.query(
        f"SELECT DISTINCT view_name FROM {database}.rollup_dirty "
        "WHERE view_name IN ('paid_orders_daily', 'refund_daily')"
    ).rows
    assert len(marked) == 2  # every day of the old rows is marked
    assert_views_equal_final(store, database, tuple(REFUND_RATE_VIEWS))
    assert rollups.refresh(store, settle_seconds=0) > 0
    assert dirty(store, database) == 0
    assert_views_equal_final(store, database, tuple(REFUND_RATE_VIEWS))
    for view, rows in shown.items():
        assert store.query(scores.format(db=database, view=view)).rows == rows, view


def _at(moment: str | None) -> str:
    return "NULL" if moment is None else f"toDateTime64('{moment}', 3, 'UTC')"


def _dirty_days(store: ChdbStore, database: str, view: str) -> set[str]:
    return {
        str(day)
        for (day,) in store.query(
            f"SELECT toDate(period) FROM {database}.rollup_dirty WHERE view_name = {{view:String}}",
            {"view": view},
        ).rows
    }


def _counts(store: ChdbStore, database: str, view: str, column: str) -> dict[str, int]:
    rows = store.query(f"SELECT day, sum({column}) FROM {database}.{view} GROUP BY day").rows
    return {str(day): int(n) for day, n in rows if n}


def test_an_order_paid_on_another_day_or_unpaid_marks_both_days(
    store: ChdbStore, tmp_path: Path
) -> None:
    """Its paid day is shop-local: in New York, 02:00 UTC is the day before."""
    database = fresh(store)
    zones = {"s0": ShopSettings(timezone="America/New_York")}
    apply_kpi_views(store, KefuSettings(home=tmp_path, clickhouse_database=database, shops=zones))

    def order(order_id: str, paid: str | None, version: int) -> None:
        store.command(
            f"INSERT INTO {database}.orders VALUES ('{order_id}', 's0', 'b1', 'paid', 10.00, "
            f"NULL, {_at(paid)}, NULL, {_at('2026-11-20 00:00:00')}, {version})"
        )

    order("o1", "2026-11-20 02:00:00", 1)
    order("o2", "2026-11-20 15:00:00", 1)
    rollups.refresh(store, settle_seconds=0)
    assert _counts(store, database, "paid_orders_daily", "paid_orders") == {
        "2026-11-19": 1,
        "2026-11-20": 1,
    }
    order("o1", "2026-11-25 02:00:00", 2)
    days = {"2026-11-19", "2026-11-20", "2026-11-21", "2026-11-24", "2026-11-25", "2026-11-26"}
    assert _dirty_days(store, database, "paid_orders_daily") == days
    assert _counts(store, database, "paid_orders_daily", "paid_orders") == {
        "2026-11-20": 1,
        "2026-11-24": 1,
    }
    assert_views_equal_final(store, database, ("paid_orders_daily",))
    rollups.refresh(store, settle_seconds=0)
    assert_views_equal_final(store, database, ("paid_orders_daily",))
    order("o1", None, 3)  # the payment undone: its day loses it
    # the days of every version still stored, the one it replaces among them
    assert _dirty_days(store, database, "paid_orders_daily") >= {
        "2026-11-24",
        "2026-11-25",
        "2026-11-26",
    }
    assert _counts(store, database, "paid_orders_daily", "paid_orders") == {"2026-11-20": 1}
    assert_views_equal_final(store, database, ("paid_orders_daily",))
    rollups.refresh(store, settle_seconds=0)
    assert dirty(store, database) == 0
    assert_views_equal_final(store, database, ("paid_orders_daily",))


def test_a_refunds_decision_and_dispute_close_moved_mark_both_days(store: ChdbStore) -> None:
    database = fresh(store)

    def refund(agent: str, decided: str | None, closed: str | None, version: int) -> None:
        store.command(
            f"INSERT INTO {database}.refunds VALUES ('r1', 's0', 'o1', 'b1', '{agent}', "
            f"'agreed', 5.00, {_at('2026-11-19 20:00:00')}, {_at(decided)}, NULL, 1, 'buyer', "
            f"60, NULL, {_at(closed)}, 0, {_at('2026-11-19 20:00:00')}, {version})"
        )

    refund("a1", "2026-11-20 02:00:00", "2026-11-21 02:00:00", 1)
    rollups.refresh(store, settle_seconds=0)
    assert _counts(store, database, "refund_daily", "decided_refunds") == {"2026-11-20": 1}
    assert _counts(store, database, "refund_daily", "resolved_disputes") == {"2026-11-21": 1}
    refund("a2", "2026-11-23 02:00:00", None, 2)  # decided later, the dispute reopened
    assert _dirty_days(store, database, "refund_daily") == {
        "2026-11-19",
        "2026-11-20",
        "2026-11-21",
        "2026-11-22",
        "2026-11-23",
        "2026-11-24",
    }
    assert _counts(store, database, "refund_daily", "decided_refunds") == {"2026-11-23": 1}
    assert _counts(store, database, "refund_daily", "closed_disputes") == {}
    assert_views_equal_final(store, database, ("refund_daily",))
    rollups.refresh(store, settle_seconds=0)
    assert dirty(store, database) == 0
    assert_views_equal_final(store, database, ("refund_daily",))
    agents = store.query(f"SELECT DISTINCT agent_id FROM {database}.refund_daily").rows
    assert agents == [("a2",)]


# i1 (shop s1, 2026-11-23 00:40 UTC, answered in 1 s) corrected to never answered.
UNANSWER_I1 = """INSERT INTO {db}.inquiries
SELECT * REPLACE (version + 1 AS version, NULL AS answered_at, NULL AS answered_by,
    NULL AS response_seconds, 0 AS within_30s, 0 AS within_3m, 0 AS within_5m,
    'missed' AS status, NULL AS raw_response_seconds)
FROM {db}.inquiries WHERE inquiry_id = 'i1'"""
# Filters that select the corrected period and filters that select only others.
RANGES = {
    "shop_daily": ("business_date = '2026-11-23'", "business_date = '2026-11-24'"),
    "agent_daily": ("business_date = '2026-11-23'", "business_date > '2026-11-23'"),
    "agent_kpi_daily": ("business_date <= '2026-11-24'", "business_date = '2026-11-25'"),
    "shop_hourly": ("hour = '2026-11-23 00:00:00'", "hour >= '2026-11-23 01:00:00'"),
    "agent_hourly": ("hour < '2026-11-23 02:00:00'", "hour = '2026-11-24 05:00:00'"),
    "shop_minutely": ("minute = '2026-11-23 00:40:00'", "minute >= '2026-11-23 01:00:00'"),
    "agent_minutely": ("minute < '2026-11-23 01:00:00'", "minute > '2026-11-25 00:00:00'"),
}


def _plan(store: ChdbStore, sql: str) -> str:
    return "\n".join(str(row[0]) for row in store.query(f"EXPLAIN indexes = 1 {sql}").rows)


def _rows(store: ChdbStore, database: str, view: str, where: str) -> list[tuple[object, ...]]:
    return store.query(f"SELECT * FROM {database}.{view} WHERE {where} ORDER BY ALL").rows


def test_a_view_plans_its_read_time_side_only_while_one_of_its_periods_is_changed(
    store: ChdbStore,
) -> None:
    """Planning the FINAL side costs tens of milliseconds whether or not it reads a row
    (sql/0028): with every period fresh, a view reads its rollup and nothing else."""
    database = fresh(store)
    store.command(INQUIRIES.format(db=database, version=1))
    rollups.refresh(store, settle_seconds=0)
    raw = f"ReadFromMergeTree ({database}.inquiries)"
    for view in VIEWS:
        assert raw not in _plan(store, f"SELECT * FROM {database}.{view}"), view
    store.command(UNANSWER_I1.format(db=database))
    for view in VIEWS:
        assert raw in _plan(store, f"SELECT * FROM {database}.{view}"), view
    assert_views_equal_final(store, database)


def test_a_range_computes_its_changed_periods_and_reads_the_others_from_the_rollups(
    store: ChdbStore,
) -> None:
    database = fresh(store)
    store.command(INQUIRIES.format(db=database, version=1))
    rollups.refresh(store, settle_seconds=0)
    stored = {v: _rows(store, database, v, changed) for v, (changed, _) in RANGES.items()}
    store.command(UNANSWER_I1.format(db=database))
    for view, (changed, unchanged) in RANGES.items():
        rows = _rows(store, database, view, changed)
        assert rows != stored[view], view  # the correction is read, not the stale rollup
        assert rows == _rows(store, database, f"{view}_final", changed), view
        others = _rows(store, database, view, unchanged)
        assert others, view
        assert others == _rows(store, database, f"{view}_final", unchanged), view
    rollups.refresh(store, settle_seconds=0)
    for view, (changed, _) in RANGES.items():
        assert _rows(store, database, view, changed) == _rows(
            store, database, f"{view}_final", changed
        ), view


def test_the_fresh_side_reads_the_rollup_state_of_the_queried_days_and_hours(
    store: ChdbStore,
) -> None:
    """The daily and hourly views join rollup_state on the period, so a filter on the day or
    hour reaches its sort key; the minutely views' period, the hour of a minute, cannot."""
    database = fresh(store)
    store.command(INQUIRIES.format(db=database, version=1))
    rollups.refresh(store, settle_seconds=0)
    bounded = {
        "shop_daily": ("business_date = '2026-11-24'", "toDate(period) in"),
        "agent_daily": ("business_date >= '2026-11-24'", "toDate(period) in"),
        "agent_kpi_daily": ("business_date = '2026-11-24'", "toDate(period) in"),
        "paid_orders_daily": ("day = '2026-11-24'", "toDate(period) in"),
        "refund_daily": ("day = '2026-11-24'", "toDate(period) in"),
        "shop_hourly": ("hour >= '2026-11-24 00:00:00'", "toDateTime64(period, 3) in"),
        "agent_hourly": ("hour = '2026-11-24 00:00:00'", "toDateTime64(period, 3) in"),
    }
    for view, (where, key) in bounded.items():
        plan = _plan(store, f"SELECT * FROM {database}.{view} WHERE {where}")
        assert key in plan, view


def _newest_rows(store: ChdbStore, database: str) -> dict[str, list[tuple[object, ...]]]:
    """Each rollup's newest row of every key by its stamp (merges may drop the others)."""
    found: dict[str, list[tuple[object, ...]]] = {}
    for rollup in rollups.ROLLUPS:
        table = f"{rollup.view}_rollup"
        key = store.query(
            "SELECT sorting_key FROM system.tables WHERE database = {db:String} AND name = {t:String}",
            {"db": database, "t": table},
        ).scalar()
        found[rollup.view] = store.query(
            f"SELECT * FROM (SELECT * FROM {database}.{table} "
            f"ORDER BY computed_at DESC LIMIT 1 BY {key}) ORDER BY ALL"
        ).rows
    return found


def _merge_rollups(store: ChdbStore, database: str) -> None:
    for rollup in rollups.ROLLUPS:
        store.command(f"OPTIMIZE TABLE {database}.{rollup.view}_rollup FINAL")


def test_racing_refreshers_leave_the_newer_computation_once_merged(store: ChdbStore) -> None:
    """Two refreshers of the same periods (two workers while partitions move) whose inserts
    land in the other order than their stamps: rollup_state keeps the newer stamp, so the
    rollup must keep the newer computation too, or the views lose those periods."""
    database = fresh(store)
    for insert in (INQUIRIES, ORDERS, REFUNDS):
        store.command(insert.format(db=database, version=1))
    for rollup in rollups.ROLLUPS:
        periods = rollups._dirty(store, rollup, 0, 100_000)
        assert periods, rollup.view
        rollups._store_periods(store, rollup, periods, settle_seconds=0)  # the newer stamp
        rollups._store_periods(store, rollup, periods, settle_seconds=60)  # older, inserted last
    _merge_rollups(store, database)
    assert dirty(store, database) == 0
    assert_views_equal_final(store, database, (*VIEWS, *REFUND_RATE_VIEWS))


def test_a_merge_keeps_the_computation_rollup_state_calls_fresh(store: ChdbStore) -> None:
    database = fresh(store)
    store.command(INQUIRIES.format(db=database, version=1))
    rollups.refresh(store, settle_seconds=0)
    shop, hour, inquiries = store.query(
        f"SELECT shop_id, hour, inquiries FROM {database}.shop_hourly ORDER BY ALL LIMIT 1"
    ).rows[0]
    period = f"shop_id = '{shop}' AND hour = '{hour:%Y-%m-%d %H:%M:%S}'"
    newer, older = (f"toDateTime64('2030-01-01 00:00:0{s}', 6, 'UTC')" for s in (2, 1))
    for stamp, added in ((newer, 100), (older, 50)):  # the newer computation lands first
        store.command(
            f"INSERT INTO {database}.shop_hourly_rollup SELECT * REPLACE "
            f"(inquiries + {added} AS inquiries, {stamp} AS computed_at) "
            f"FROM {database}.shop_hourly_rollup WHERE {period}"
        )
        store.command(
            f"INSERT INTO {database}.rollup_state SELECT 'shop_hourly', '{shop}', "
            f"toDateTime('{hour:%Y-%m-%d %H:%M:%S}', 'UTC'), {stamp}, 1"
        )
    store.command(f"OPTIMIZE TABLE {database}.shop_hourly_rollup FINAL")
    shown = store.query(f"SELECT inquiries FROM {database}.shop_hourly WHERE {period}").rows
    assert shown == [(inquiries + 100,)]


def test_a_store_of_the_previous_release_keeps_its_rollup_rows_under_the_new_engine(
    store: ChdbStore, tmp_path: Path
) -> None:
    database = fresh(store, release_before("0029", tmp_path))
    for insert in (INQUIRIES, ORDERS, REFUNDS):
        store.command(insert.format(db=database, version=1))
    rollups.refresh(store, settle_seconds=0)
    store.command(UNANSWER_I1.format(db=database))
    rollups.refresh(store, settle_seconds=0)  # a second, unmerged version of some rows
    stored = _newest_rows(store, database)
    views = (*VIEWS, *REFUND_RATE_VIEWS)
    shown = {v: store.query(f"SELECT * FROM {database}.{v} ORDER BY ALL").rows for v in views}
    assert migrate(store, database, 180)[0] == "0029_rollup_versions"
    assert _newest_rows(store, database) == stored
    for rollup in rollups.ROLLUPS:
        engine = store.query(
            "SELECT engine_full FROM system.tables WHERE database = {db:String} AND name = {t:String}",
            {"db": database, "t": f"{rollup.view}_rollup"},
        ).scalar()
        assert str(engine).startswith("ReplacingMergeTree(computed_at)"), rollup.view
    assert dirty(store, database) == 0  # nothing to recompute
    for view, rows in shown.items():
        assert store.query(f"SELECT * FROM {database}.{view} ORDER BY ALL").rows == rows, view
    # Run again (an earlier attempt that broke off): still every row, no copy left behind.
    again = next(m for m in migrations() if m.version == "0029_rollup_versions")
    _apply(store, again, database, 180)
    assert _newest_rows(store, database) == stored
    left = store.query(
        "SELECT count() FROM system.tables WHERE database = {db:String} AND name LIKE '%\\_v'",
        {"db": database},
    ).scalar()
    assert left == 0
    _merge_rollups(store, database)
    assert_views_equal_final(store, database, views)


def test_periods_a_race_spoiled_before_the_new_engine_are_recomputed(
    store: ChdbStore, tmp_path: Path
) -> None:
    """A store of the release before 0029 whose refreshers raced: merged, its rollups hold the
    older computations while rollup_state calls the newer ones fresh, and the views lack
    those periods. The migration marks them, so they are computed until refreshed again."""
    database = fresh(store, release_before("0029", tmp_path))
    for insert in (INQUIRIES, ORDERS, REFUNDS):
        store.command(insert.format(db=database, version=1))
    for rollup in rollups.ROLLUPS:
        periods = rollups._dirty(store, rollup, 0, 100_000)
        rollups._store_periods(store, rollup, periods, settle_seconds=0)
        rollups._store_periods(store, rollup, periods, settle_seconds=60)
    _merge_rollups(store, database)
    raced = {  # the periods with rows (a marked day may have none)
        (rollup.view, shop, period)
        for rollup in rollups.ROLLUPS
        for shop, period in store.query(
            f"SELECT DISTINCT shop_id, {rollup.period} FROM {database}.{rollup.view}_rollup"
        ).rows
    }
    views = (*VIEWS, *REFUND_RATE_VIEWS)
    assert all(
        not store.query(f"SELECT * FROM {database}.{view}").rows for view in views
    )  # the bug: every raced period is gone
    migrate(store, database, 180)
    spoiled = store.query(f"SELECT view_name, shop_id, period FROM {database}.rollup_dirty").rows
    assert set(spoiled) == raced
    assert_views_equal_final(store, database, views)
    rollups.refresh(store, settle_seconds=0)
    assert dirty(store, database) == 0
    _merge_rollups(store, database)
    assert_views_equal_final(store, database, views)


def _changes(store: ChdbStore, database: str) -> int:
    return int(store.query(f"SELECT count() FROM {database}.rollup_changes").scalar())


def test_a_refresh_leaves_in_rollup_changes_only_the_marks_its_stamp_did_not_cover(
    store: ChdbStore,
) -> None:
    database = fresh(store)
    store.command(INQUIRIES.format(db=database, version=1))
    assert _changes(store, database) >= dirty(store, database) > 0
    rollups.refresh(store, settle_seconds=0)
    assert (_changes(store, database), dirty(store, database)) == (0, 0)
    store.command(UNANSWER_I1.format(db=database))
    marked = dirty(store, database)
    assert 0 < marked <= _changes(store, database)
    assert_views_equal_final(store, database)
    assert rollups.refresh(store, settle_seconds=60) == 0  # not settled: the marks stay
    assert dirty(store, database) == marked
    rollups.refresh(store, settle_seconds=0)
    assert (_changes(store, database), dirty(store, database)) == (0, 0)
    assert_views_equal_final(store, database)


def _mark_deletes(store: ChdbStore, database: str) -> tuple[int, int]:
    """(all, unfinished) mutations on rollup_changes: the refreshes' DELETEs."""
    row = store.query(
        "SELECT count(), countIf(NOT is_done) FROM system.mutations "
        "WHERE database = {db:String} AND table = 'rollup_changes'",
        {"db": database},
    ).rows[0]
    return int(row[0]), int(row[1])


def test_the_periodic_refresher_deletes_a_cycles_marks_in_one_background_delete(
    store: ChdbStore,
) -> None:
    database = fresh(store)
    for insert in (INQUIRIES, ORDERS, REFUNDS):
        store.command(insert.format(db=database, version=1))
    assert (
        len(
            {row[0] for row in store.query(f"SELECT view_name FROM {database}.rollup_changes").rows}
        )
        > 3
    )
    assert rollups.refresh_or_log(store, settle_seconds=0) > 0
    assert dirty(store, database) == 0
    assert _mark_deletes(store, database)[0] == 1
    deadline = time.monotonic() + 30
    while _mark_deletes(store, database)[1] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _changes(store, database) == 0
    assert_views_equal_final(store, database)


def _granules(plan: str, table: str) -> tuple[int, int]:
    """(selected, total) granules of the primary key's step reading `table` in `_plan`'s text."""
    lines = [line.strip(" │└─") for line in plan.splitlines()]
    start = next(i for i, line in enumerate(lines) if line == f"ReadFromMergeTree ({table})")
    found = next(line for line in lines[start:] if line.startswith("Granules: ") and "/" in line)
    selected, total = found.removeprefix("Granules: ").split("/")
    return int(selected), int(total)


def test_the_changed_periods_are_read_at_their_keys_whatever_the_history(
    store: ChdbStore,
) -> None:
    """rollup_state keeps a row for every period ever refreshed; the readers of the changed
    periods (the views' read-time sides, the refresher) must not read them all."""
    database = fresh(store)
    store.command(INQUIRIES.format(db=database, version=1))
    rollups.refresh(store, settle_seconds=0)
    store.command(
        f"INSERT INTO {database}.rollup_state SELECT view, concat('old', toString(number % 20)), "
        "toDateTime('2024-01-01 00:00:00', 'UTC') + toIntervalHour(intDiv(number, 20)), "
        "now64(6, 'UTC') - INTERVAL 1 DAY, 1 FROM numbers(200000) "
        "ARRAY JOIN ['shop_daily', 'shop_hourly', 'shop_minutely'] AS view"
    )
    store.command(UNANSWER_I1.format(db=database))
    for view in ("shop_daily", "shop_hourly", "shop_minutely"):
        plan = _plan(store, f"SELECT * FROM {database}.rollup_dirty WHERE view_name = '{view}'")
        selected, total = _granules(plan, f"{database}.rollup_state")
        assert total > 50 and selected <= 3, (view, selected, total)
    assert_views_equal_final(store, database)


# Ranges of the minutely views' bounded forms (sql/0031), both bounds included: the
# corrected minute of i1 alone; its hour cut mid-hour with the next ones; hours refreshed
# and never refreshed but none corrected; every row; and an empty range.
MINUTE_RANGES = (
    ("2026-11-23 00:40:00", "2026-11-23 00:40:00"),
    ("2026-11-23 00:35:00", "2026-11-23 02:10:00"),
    ("2026-11-23 01:00:00", "2026-11-24 05:59:59"),
    ("2026-11-22 00:00:00", "2026-11-30 00:00:00"),
    ("2026-11-24 00:00:00", "2026-11-23 00:00:00"),
)


def _between(database: str, view: str, first: str, last: str, zone: str = "UTC") -> str:
    return (
        f"SELECT * FROM {database}.{view}_between(first = '{first}', last = '{last}') "
        f"ORDER BY ALL SETTINGS session_timezone = '{zone}'"
    )


def _view_between(database: str, view: str, first: str, last: str, zone: str = "UTC") -> str:
    return (
        f"SELECT * FROM {database}.{view} WHERE minute BETWEEN '{first}' AND '{last}' "
        f"ORDER BY ALL SETTINGS session_timezone = '{zone}'"
    )


@pytest.mark.parametrize("zone", ["UTC", "America/St_Johns"])
def test_the_minutely_views_on_a_range_equal_the_views_filtered_to_it(
    store: ChdbStore, zone: str
) -> None:
    """With some hours refreshed, some never, and a refreshed one corrected since; the bounds
    are UTC whatever the session's zone (a half-hour offset moves every hour's start)."""
    database = fresh(store)
    store.command(INQUIRIES.format(db=database, version=1))
    rollups.refresh(store, settle_seconds=0, limit=20)
    store.command(UNANSWER_I1.format(db=database))
    assert 0 < dirty(store, database)
    for view in ("shop_minutely", "agent_minutely"):
        for first, last in MINUTE_RANGES:
            rows = store.query(_between(database, view, first, last, zone)).rows
            assert rows == store.query(_view_between(database, view, first, last, zone)).rows
            assert bool(rows) == (first <= last), (view, first)
    rollups.refresh(store, settle_seconds=0)
    for view in ("shop_minutely", "agent_minutely"):
        first, last = MINUTE_RANGES[1]
        rows = store.query(_between(database, view, first, last, zone)).rows
        assert rows == store.query(_view_between(database, view, first, last, zone)).rows


def _marks(store: ChdbStore, sql: str) -> int:
    """Granules `sql` selects in all its reads, the sets and scalar sub-selects ClickHouse
    runs while planning included (EXPLAIN shows none of those)."""
    counter = "SELECT sum(value) FROM system.events WHERE event = 'SelectedMarks'"
    before = int(store.query(counter).scalar())
    store.query(sql)
    return int(store.query(counter).scalar()) - before


def test_the_minutely_views_on_a_range_read_its_hours_whatever_the_history(
    store: ChdbStore,
) -> None:
    """The bounded forms read rollup_state, rollup_changes, the rollups and inquiries at the
    range's hours: an earlier year of refreshed hours costs them no granule. The interface
    views' fresh side reads every fresh hour of the view (sql/0031)."""
    database = fresh(store)
    store.command(INQUIRIES.format(db=database, version=1))
    rollups.refresh(store, settle_seconds=0)
    store.command(UNANSWER_I1.format(db=database))
    first, last = MINUTE_RANGES[1]  # the changed hour and fresh ones: both sides read
    views = ("shop_minutely", "agent_minutely")
    store.command(f"OPTIMIZE TABLE {database}.rollup_state FINAL")
    before = {v: _marks(store, _between(database, v, first, last)) for v in views}
    whole = f"SELECT count() FROM {database}.rollup_state FINAL WHERE view_name = 'shop_minutely'"
    history_before = _marks(store, whole)
    store.command(
        f"INSERT INTO {database}.rollup_state SELECT view, concat('old', toString(number % 20)), "
        "toDateTime('2024-01-01 00:00:00', 'UTC') + toIntervalHour(intDiv(number, 20)), "
        "now64(6, 'UTC') - INTERVAL 1 DAY, 1 FROM numbers(200000) "
        "ARRAY JOIN ['shop_minutely', 'agent_minutely'] AS view"
    )
    store.command(f"OPTIMIZE TABLE {database}.rollup_state FINAL")
    assert _marks(store, whole) > history_before + 20  # the history is many granules
    for view in views:
        rows = store.query(_between(database, view, first, last)).rows
        assert rows == store.query(_view_between(database, view, first, last)).rows
        assert _marks(store, _between(database, view, first, last)) <= before[view] + 2, view


def test_a_store_of_the_previous_release_keeps_its_changed_periods(
    store: ChdbStore, tmp_path: Path
) -> None:
    database = fresh(store, release_before("0030", tmp_path))
    for insert in (INQUIRIES, ORDERS, REFUNDS):
        store.command(insert.format(db=database, version=1))
    rollups.refresh(store, settle_seconds=0)
    store.command(UNANSWER_I1.format(db=database))
    changed = store.query(f"SELECT * FROM {database}.rollup_dirty ORDER BY ALL").rows
    views = (*VIEWS, *REFUND_RATE_VIEWS)
    shown = {v: store.query(f"SELECT * FROM {database}.{v} ORDER BY ALL").rows for v in views}
    assert changed
    assert migrate(store, database, 180)[0] == "0030_rollup_changes"
    assert store.query(f"SELECT * FROM {database}.rollup_dirty ORDER BY ALL").rows == changed
    for view, rows in shown.items():
        assert store.query(f"SELECT * FROM {database}.{view} ORDER BY ALL").rows == rows, view
    store.command(INQUIRIES.format(db=database, version=3).replace("numbers(400)", "numbers(1)"))
    assert_views_equal_final(store, database, views)
    rollups.refresh(store, settle_seconds=0)
    assert (_changes(store, database), dirty(store, database)) == (0, 0)
    assert_views_equal_final(store, database, views)


# A row of every fact table with a marking view but orders (kept as it was), spread over
# days and shops, some corrected on another day: what 0033's merged views must mark alike.
STEP = f"{T0} + toIntervalSecond(number * 13000)"
FACTS = (
    f"""INSERT INTO {{db}}.chat_messages (event_id, shop_id, buyer_id, sender, agent_id,
        occurred_at, msg_type)
    SELECT concat('m', toString(number)), concat('s', toString(number % 3)), 'b1',
        if(number % 3 = 0, 'buyer', 'agent'), concat('a', toString(number % 4)), {STEP}, 'text'
    FROM numbers(40)""",
    f"""INSERT INTO {{db}}.buyer_days (shop_id, buyer_id, business_date, first_inquiry_at,
        inquiries, version)
    SELECT concat('s', toString(number % 3)), concat('b', toString(number)),
        toDate({STEP}), {STEP}, 1, {{version}}
    FROM numbers(40)""",
    f"""INSERT INTO {{db}}.ratings
    SELECT concat('e', toString(number)), concat('s', toString(number % 3)), 'b1',
        concat('a', toString(number % 4)), 5, {STEP}, toDate({STEP})
    FROM numbers(40)""",
    f"""INSERT INTO {{db}}.qc_findings
    SELECT concat('e', toString(number)), concat('s', toString(number % 3)), 'b1',
        concat('a', toString(number % 4)), 'agent', {STEP}, toDate({STEP}), 'rude', 'high',
        'r1', 'x'
    FROM numbers(40)""",
    f"""INSERT INTO {{db}}.complaints
    SELECT concat('c', toString(number)), concat('s', toString(number % 3)), 'b1',
        concat('a', toString(number % 4)), NULL, 'service', {STEP}, concat('e', toString(number)),
        toDate({STEP}) + {{version}}
    FROM numbers(40)""",
)


def _marked(store: ChdbStore, database: str) -> list[tuple[object, ...]]:
    return store.query(
        f"SELECT DISTINCT view_name, shop_id, period FROM {database}.rollup_changes ORDER BY ALL"
    ).rows


def test_one_marking_view_per_fact_table_marks_what_the_two_did(
    store: ChdbStore, tmp_path: Path
) -> None:
    """sql/0033 merges each fact table's daily and KPI marking views into one."""
    marked = []
    for sql_dir in (release_before("0033", tmp_path), SQL_DIR):
        database = fresh(store, sql_dir)
        for version in (1, 2):
            for insert in (INQUIRIES, REFUNDS, *FACTS):
                store.command(insert.format(db=database, version=version))
        marked.append(_marked(store, database))
    assert marked[0] == marked[1]
    assert {row[0] for row in marked[1]} == {*VIEWS, "refund_daily"}


def test_a_cycle_whose_marks_one_delete_cannot_name_takes_several(
    store: ChdbStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A backlog's cycle covers more marks than a statement of max_query_size can name: here
    the store's limit and the refresher's bound are scaled down to the test's few periods."""
    database = fresh(store)
    for insert in (INQUIRIES, ORDERS, REFUNDS):
        store.command(insert.format(db=database, version=1))
    monkeypatch.setattr(rollups, "DELETE_CHARS", 8_000)
    store.command("SET max_query_size = 10000")
    try:
        rollups.refresh(store, settle_seconds=0)
    finally:
        store.command("SET max_query_size = DEFAULT")
    assert _mark_deletes(store, database)[0] > 2
    assert (_changes(store, database), dirty(store, database)) == (0, 0)
    assert_views_equal_final(store, database, (*VIEWS, *REFUND_RATE_VIEWS))


def test_conditions_are_grouped_in_order_within_the_bound() -> None:
    assert rollups._within(["aa", "bb", "c", "dddd", "e"], 4) == [
        ["aa", "bb"],
        ["c"],
        ["dddd"],
        ["e"],
    ]
    assert rollups._within(["toolong", "a"], 3) == [["toolong"], ["a"]]
    assert rollups._within([], 3) == []
