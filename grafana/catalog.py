"""Walk the committed boards: every ClickHouse query with the panel that shows it.

Tests and previews both start here, so they check and draw exactly what Grafana
would run: the committed JSON, not the Python that generated it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from grafana import alerting, datasources
from grafana.boards import BOARDS
from grafana.render import load_dashboard

# What a panel draws from a ClickHouse result (format 0 is a time series).
TIME_SERIES_PANELS = frozenset({"timeseries"})
VALUE_PANELS = frozenset({"stat", "bargauge", "gauge"})


@dataclass(frozen=True)
class Query:
    """One ClickHouse SQL target and what its panel needs from the result."""

    board: str
    panel_id: int
    title: str
    panel_type: str
    sql: str
    format: int
    named_columns: tuple[str, ...]  # columns the panel's overrides refer to by name

    @property
    def key(self) -> str:
        return f"{self.board}:{self.panel_id}:{self.title}"


@dataclass(frozen=True)
class Variable:
    board: str
    name: str
    query: str


def dashboards() -> Iterator[tuple[str, dict[str, Any]]]:
    for name in BOARDS:
        yield name, load_dashboard(name)


def clickhouse_queries() -> Iterator[Query]:
    for board, data in dashboards():
        for panel in data.get("panels", []):
            named = tuple(
                override["matcher"]["options"]
                for override in panel["fieldConfig"].get("overrides", [])
                if override["matcher"]["id"] == "byName"
            )
            for target in panel.get("targets", []):
                if target.get("datasource", {}).get("type") != datasources.CLICKHOUSE_TYPE:
                    continue
                yield Query(
                    board,
                    panel["id"],
                    panel["title"],
                    panel["type"],
                    target["rawSql"],
                    target["format"],
                    named,
                )


def alert_query() -> Query:
    """The alert rule's ClickHouse query, as a table the rule reads labels and values from."""
    model = next(q["model"] for q in alerting.api_payload()["data"] if q["refId"] == "A")
    return Query("alert", 0, alerting.RULE_UID, "alert", model["rawSql"], model["format"], ())


def clickhouse_variables() -> Iterator[Variable]:
    for board, data in dashboards():
        for variable in data["templating"].get("list", []):
            source = variable.get("datasource") or {}
            if source.get("type") == datasources.CLICKHOUSE_TYPE:
                yield Variable(board, variable["name"], variable["query"])


def panels(board: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = load_dashboard(board).get("panels", [])
    return found
