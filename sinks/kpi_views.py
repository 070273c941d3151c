"""The settings the scorecard views read, written into the store as small constant views.

`agent_scores` and the refund-rate views (sql/0008) join these instead of hard-coding
weights, roles, stages or time zones, so a changed config file changes the boards once
`apply_kpi_views` has run (at start-up after migrate, and by `kefu score`). sql/0008
creates them with the default settings, so a migrated store works before that; a unit
test keeps the two identical.

The time-zone views exist because ClickHouse takes a time zone only as a constant: the
shop-local dates of refunds and orders are computed with one `toDate(…, 'zone')` branch per
configured zone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from core.kpi.metrics import NAMES
from core.kpi.settings import KpiSettings
from core.settings import KefuSettings
from sinks import rollups
from sinks.sql_text import sql_string
from sinks.store import Store

log = logging.getLogger(__name__)

WEIGHT_COLUMNS = (
    "role String, stage String, metric String, weight Float64, floor Float64, target Float64"
)


def apply_kpi_views(store: Store, settings: KefuSettings) -> None:
    """(Re)create the settings views in the configured database; idempotent.

    Views that now read other settings change what the rollups stored, so every period
    is marked for a refresh then (docs/analysts.md "Rollups").
    """
    database = settings.clickhouse_database
    before = _view_texts(store, database)
    for statement in config_view_statements(settings, database):
        store.command(statement)
    if before != _view_texts(store, database) and "rollup_dirty" in before:
        rollups.invalidate(store)
        log.info("settings views changed: every rollup period will be refreshed")
    log.info("KPI settings views written to %s", database)


def _view_texts(store: Store, database: str) -> dict[str, str]:
    rows = store.query(
        "SELECT name, create_table_query FROM system.tables"
        " WHERE database = {db:String} AND engine = 'View'",
        {"db": database},
    ).rows
    return {str(name): str(text) for name, text in rows}


def config_view_statements(settings: KefuSettings, database: str) -> list[str]:
    kpi = settings.kpi
    return [
        _weights(kpi, database),
        _defaults(kpi, database),
        _pairs(database, "kpi_agent_roles", ("agent_id", "role"), kpi.agent_roles.items()),
        _pairs(database, "kpi_shop_stages", ("shop_id", "stage"), kpi.shop_stages.items()),
        _refund_days(settings, database),
        _paid_order_days(settings, database),
        _qc_weights(settings, database),
        _agent_reply_days(settings, database),
        _inquiry_local_times(settings, database),
        _agent_message_local_times(settings, database),
    ]


def _number(value: float) -> str:
    return repr(float(value))


def _weights(kpi: KpiSettings, database: str) -> str:
    rows = [
        f"({sql_string(role)}, {sql_string(stage)}, {sql_string(metric)}, "
        f"{_number(t.weight)}, {_number(t.floor)}, {_number(t.target)})"
        for role, stages in kpi.weights.items()
        for stage, table in stages.items()
        for metric, t in sorted(table.items(), key=lambda item: NAMES.index(item[0]))
    ]
    body = ",\n    ".join(rows)
    return (
        f"-- settings: kpi.weights (role, stage, metric, weight, floor, target)\n"
        f"CREATE OR REPLACE VIEW {database}.kpi_weights AS\n"
        f"SELECT * FROM values('{WEIGHT_COLUMNS}',\n    {body})"
    )


def _defaults(kpi: KpiSettings, database: str) -> str:
    pairs = ",\n        ".join(f"{sql_string(m)}, {sql_string(kpi.topic(m))}" for m in NAMES)
    return (
        f"-- settings: kpi.default_role, kpi.default_stage, kpi.coaching (metric -> topic)\n"
        f"CREATE OR REPLACE VIEW {database}.kpi_defaults AS\n"
        f"SELECT {sql_string(kpi.default_role)} AS default_role, "
        f"{sql_string(kpi.default_stage)} AS default_stage,\n"
        f"    map(\n        {pairs}\n    ) AS coaching"
    )


def _pairs(
    database: str, view: str, columns: tuple[str, str], items: Iterable[tuple[str, str]]
) -> str:
    head = f"-- settings: kpi.{view.removeprefix('kpi_')}\nCREATE OR REPLACE VIEW {database}.{view} AS\n"
    rows = sorted(items)
    if not rows:
        return head + f"SELECT '' AS {columns[0]}, '' AS {columns[1]} WHERE 0"
    body = ", ".join(f"({sql_string(k)}, {sql_string(v)})" for k, v in rows)
    return head + f"SELECT * FROM values('{columns[0]} String, {columns[1]} String', {body})"


def local_date(settings: KefuSettings, column: str) -> str:
    """`column`'s shop-local date: one constant-zone branch per zone other than the default."""
    return _per_zone(settings, lambda zone: f"toDate({column}, {zone})")


def local_wall_time(settings: KefuSettings, column: str) -> str:
    """`column`'s shop-local wall-clock reading, typed DateTime64(3, 'UTC').

    The UTC label lets shops of different zones share one column; the value is what a clock
    on the shop's wall showed (docs/analysts.md, "Staffing intervals").
    """
    return _per_zone(
        settings,
        lambda zone: (
            f"fromUnixTimestamp64Milli(toUnixTimestamp64Milli({column})"
            f" + 1000 * timeZoneOffset(toTimeZone({column}, {zone})), 'UTC')"
        ),
    )


def _per_zone(settings: KefuSettings, expression: Callable[[str], str]) -> str:
    """expression(zone) with one branch per configured zone other than the default."""
    default = settings.shop_defaults.timezone
    zones: dict[str, list[str]] = {}
    for shop_id, shop in sorted(settings.shops.items()):
        if shop.timezone != default:
            zones.setdefault(shop.timezone, []).append(shop_id)
    branches = [
        f"shop_id IN ({', '.join(sql_string(s) for s in shops)}), {expression(sql_string(zone))}"
        for zone, shops in sorted(zones.items())
    ]
    fallback = expression(sql_string(default))
    return f"multiIf({', '.join([*branches, fallback])})" if branches else fallback


def _refund_days(settings: KefuSettings, database: str) -> str:
    return (
        f"-- settings: shop time zones. Refunds (latest state) with the shop-local dates of\n"
        f"-- their decision and of their dispute's close (metrics.md 4).\n"
        f"CREATE OR REPLACE VIEW {database}.refund_days AS\n"
        f"SELECT *, {local_date(settings, 'decided_at')} AS decided_date,\n"
        f"    {local_date(settings, 'dispute_closed_at')} AS closed_date\n"
        f"FROM {database}.refunds FINAL"
    )


def _paid_order_days(settings: KefuSettings, database: str) -> str:
    return (
        f"-- settings: shop time zones. Paid orders with the shop-local date of payment.\n"
        f"CREATE OR REPLACE VIEW {database}.paid_order_days AS\n"
        f"SELECT *, {local_date(settings, 'paid_at')} AS paid_date\n"
        f"FROM {database}.orders FINAL\n"
        f"WHERE paid_at IS NOT NULL"
    )


def _qc_weights(settings: KefuSettings, database: str) -> str:
    rows = ", ".join(
        f"({sql_string(severity)}, {_number(weight)})"
        for severity, weight in settings.qc.severity_weights.items()
    )
    return (
        f"-- settings: qc.severity_weights\n"
        f"CREATE OR REPLACE VIEW {database}.qc_weights AS\n"
        f"SELECT * FROM values('severity String, weight Float64',\n    {rows})"
    )


def _agent_reply_days(settings: KefuSettings, database: str) -> str:
    return (
        f"-- settings: shop time zones. Each agent's human replies per shop-local day.\n"
        f"CREATE OR REPLACE VIEW {database}.agent_reply_days AS\n"
        f"SELECT shop_id, agent_id, {local_date(settings, 'occurred_at')} AS business_date, "
        f"count() AS replies\n"
        f"FROM {database}.chat_messages FINAL\n"
        f"WHERE sender = 'agent' AND agent_id != ''\n"
        f"GROUP BY shop_id, agent_id, business_date"
    )


def _inquiry_local_times(settings: KefuSettings, database: str) -> str:
    return (
        f"-- settings: shop time zones. Inquiries (latest state) with the shop-local wall-clock\n"
        f"-- times of their clock start and answer, for shop_intervals.\n"
        f"CREATE OR REPLACE VIEW {database}.inquiry_local_times AS\n"
        f"SELECT *, {local_wall_time(settings, 'effective_opened_at')} AS local_clock_start,\n"
        f"    {local_wall_time(settings, 'answered_at')} AS local_answered_at\n"
        f"FROM {database}.inquiries FINAL"
    )


def _agent_message_local_times(settings: KefuSettings, database: str) -> str:
    return (
        f"-- settings: shop time zones. Human agents' chat messages with their shop-local\n"
        f"-- wall-clock time, for shop_intervals.\n"
        f"CREATE OR REPLACE VIEW {database}.agent_message_local_times AS\n"
        f"SELECT shop_id, buyer_id, agent_id, event_id, occurred_at,\n"
        f"    {local_wall_time(settings, 'occurred_at')} AS local_at\n"
        f"FROM {database}.chat_messages FINAL\n"
        f"WHERE sender = 'agent'"
    )
