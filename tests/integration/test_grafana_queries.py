"""Every ClickHouse panel's SQL, macros expanded as the plugin does, on a replayed day.

Each query must run, return the columns its panel type draws, and return rows.
Panels on relations other issues still build (agent_scores, alerts written by the
alarm agent) skip with the reason instead of failing while those are missing.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from grafana import catalog
from grafana.catalog import Query
from grafana.macros import TimeRange, expand
from pipeline import board_preview as preview
from pipeline import sample_day as sample
from sinks.chdb_store import ChdbStore
from tests.integration import grafana_day

replayed_day = grafana_day.replayed_day
day_store = grafana_day.day_store

# Silences and acks are people's doing: a replayed day has none.
MAY_BE_EMPTY = {"alert_controls"}
QUERIES = list(catalog.clickhouse_queries())
WINDOW = timedelta(minutes=20)  # the alert rule's relative time range


@pytest.fixture(scope="module")
def when(day_store: ChdbStore) -> TimeRange:
    return sample.time_range(sample.variable_values(day_store))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _check_shape(query: Query, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """What Grafana needs to draw the panel from this frame."""
    values = [[row[i] for row in rows] for i in range(len(columns))]
    numeric = [c for c, vs in zip(columns, values, strict=True) if any(_is_number(v) for v in vs)]
    if query.format == 0:  # time series: a time column first, then labels and numbers
        assert query.panel_type in catalog.TIME_SERIES_PANELS
        assert columns[0] == "time" and all(isinstance(v, datetime) for v in values[0])
        assert numeric, f"no numeric column in {columns}"
        times = values[0]
        assert times == sorted(times), "rows must come in time order"
    elif query.panel_type in catalog.VALUE_PANELS:
        assert numeric or all(v is None for v in values[-1]), f"no value column in {columns}"
    for name in query.named_columns:
        assert name in columns, f"an override names {name!r}, absent from {columns}"


@pytest.mark.parametrize("query", QUERIES, ids=[q.key for q in QUERIES])
def test_panel_query_runs_and_fits_its_panel(
    query: Query, day_store: ChdbStore, when: TimeRange
) -> None:
    result = day_store.query(expand(query.sql, when))
    if not result.rows and set(re.findall(r"\bkefu\.(\w+)", query.sql)) & MAY_BE_EMPTY:
        return
    assert result.rows, f"{query.key} returned no rows"
    _check_shape(query, result.columns, result.rows)


def test_every_variable_lists_values(day_store: ChdbStore) -> None:
    values = sample.variable_values(day_store)
    assert values["shop"] == ["s1", "s2"]
    assert "s1-a1" in values["agent"] and "" not in values["agent"]


def test_the_alert_query_fires_for_the_silent_agents_shop_only(day_store: ChdbStore) -> None:
    """Evaluated mid-incident only s1 is below 80 %; late in the day no shop is."""
    query = catalog.alert_query()
    mid_incident = sample.INCIDENT_START + timedelta(minutes=30)
    during = TimeRange(mid_incident - WINDOW, mid_incident)
    rates = dict(day_store.query(expand(query.sql, during)).rows)
    assert rates["s1"] < 0.80 <= rates["s2"]
    calm = TimeRange(sample.RANGE_END - WINDOW, sample.RANGE_END)
    late = dict(day_store.query(expand(query.sql, calm)).rows)
    assert late and all(rate >= 0.80 for rate in late.values())


def test_previews_render_every_board(day_store: ChdbStore, tmp_path: Path) -> None:
    written = preview.render(day_store, tmp_path)
    assert sorted(p.name for p in written) == sorted(f"{b}.png" for b, _ in catalog.dashboards())
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in written)


TIERED = [q for q in QUERIES if "_hourly" in q.sql]


@pytest.mark.parametrize("query", TIERED, ids=[q.key for q in TIERED])
@pytest.mark.parametrize("interval", [timedelta(minutes=1), timedelta(hours=2), timedelta(days=1)])
def test_a_tiered_panel_draws_from_each_tier(
    query: Query, interval: timedelta, day_store: ChdbStore, when: TimeRange
) -> None:
    """Minutes for short intervals, hours up to a day, days beyond (grafana/tiers.py)."""
    wide = TimeRange(when.start - timedelta(days=1), when.end, interval, when.variables)
    result = day_store.query(expand(query.sql, wide))
    assert result.rows, f"{query.key} at {interval} returned no rows"
    _check_shape(query, result.columns, result.rows)
    step = {row[0] - result.rows[0][0] for row in result.rows[1:]}
    assert all(s % interval == timedelta(0) for s in step)
