"""The terminal view of `kefu run`: per-shop numbers from the store, redrawn every few seconds."""

from __future__ import annotations

import math

from rich.console import Group
from rich.table import Table
from rich.text import Text

from sinks.store import QueryResult, Store

# Event time, not wall time: the window trails the newest inquiry the store has seen.
SHOPS_SQL = """
WITH (SELECT max(effective_opened_at) FROM inquiries FINAL) AS now_et
SELECT
    shop_id,
    count() AS inquiries,
    countIf(status = 'open') AS waiting,
    round(avgIf(within_5m, status != 'open' OR within_5m = 1), 3) AS rate_5m,
    round(avgIf(within_3m, status != 'open' OR within_3m = 1), 3) AS rate_3m,
    round(avgIf(response_seconds, answered_at IS NOT NULL), 1) AS avg_response_s
FROM inquiries FINAL
WHERE effective_opened_at >= now_et - INTERVAL 15 MINUTE
GROUP BY shop_id
ORDER BY shop_id
"""
TOTALS_SQL = """
SELECT
    (SELECT count() FROM chat_messages) AS messages,
    (SELECT count() FROM inquiries FINAL) AS inquiries,
    (SELECT count() FROM dead_letters) AS dead_letters,
    (SELECT count() FROM alerts) AS alerts
"""


def snapshot(store: Store) -> tuple[QueryResult, QueryResult]:
    return store.query(SHOPS_SQL), store.query(TOTALS_SQL)


def render(shops: QueryResult, totals: QueryResult, where: str) -> Group:
    table = Table(title="Kefu Pulse · last 15 minutes of event time, per shop")
    for column in shops.columns:
        table.add_column(column, justify="left" if column == "shop_id" else "right")
    for row in shops.rows:
        table.add_row(
            *(_cell(column, value) for column, value in zip(shops.columns, row, strict=True))
        )
    summary = "  ".join(f"{c}: {v}" for c, v in zip(totals.columns, totals.rows[0], strict=True))
    return Group(table, Text(summary), Text(where, style="dim"))


def _cell(column: str, value: object) -> str | Text:
    # avgIf over no rows is nan in ClickHouse: nothing decided yet in the window.
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if column == "rate_5m" and isinstance(value, float):
        return Text(f"{value:.1%}", style="red" if value < 0.8 else "green")
    return str(value)
