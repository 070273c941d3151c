"""The generated boards: stable, complete, and valid for the SDK's own models."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.alerting import Rule
from grafana_foundation_sdk.models.dashboard import Dashboard

from grafana import alerting, build, catalog, datasources, render, tiers
from grafana.boards import BOARDS
from grafana.macros import TimeRange, expand
from pipeline.sample_day import ROLES
from sinks import rollups
from sinks.chdb_store import ChdbStore
from sinks.migrate import migrate
from tests.unit.test_rollups import INQUIRIES, UNANSWER_I1

CJK = re.compile(r"[\u4e00-\u9fff]")
BOARD_DATA = dict(catalog.dashboards())
UIDS = {
    "live_floor": "kefu-live-floor",
    "agents": "kefu-agents",
    "after_sales": "kefu-after-sales",
    "pipeline_health": "kefu-pipeline-health",
    "on_call": "kefu-on-call",
    "quality": "kefu-quality",
    "staffing": "kefu-staffing",
}


def _panels() -> list[tuple[str, dict[str, Any]]]:
    return [(b, p) for b, data in BOARD_DATA.items() for p in data["panels"]]


def test_regenerating_gives_no_diff() -> None:
    assert build.stale() == [], "run `python -m grafana.build` and commit the result"


@pytest.mark.parametrize("board", BOARDS)
def test_json_round_trips_through_the_sdk_models(board: str) -> None:
    render.register_models()
    data = BOARD_DATA[board]
    model = Dashboard.from_json(data)
    again = json.loads(json.dumps(model, cls=JSONEncoder))
    assert again | {"id": None} == data  # the model drops a null id; nothing else changes


def test_alert_rule_round_trips_through_the_sdk_model() -> None:
    render.register_models()
    payload = alerting.api_payload()
    assert json.loads(json.dumps(Rule.from_json(payload), cls=JSONEncoder)) == payload


@pytest.mark.parametrize("board", BOARDS)
def test_board_identity(board: str) -> None:
    data = BOARD_DATA[board]
    assert data["id"] is None and data["uid"] == UIDS[board]
    assert data["description"] and CJK.search(data["title"])
    ids = [p["id"] for p in data["panels"]]
    assert ids == list(range(1, len(ids) + 1))


@pytest.mark.parametrize(
    ("board", "panel"),
    _panels(),
    ids=lambda v: str(v.get("title", v)) if isinstance(v, dict) else v,
)
def test_every_panel_is_described_with_units_and_thresholds(
    board: str, panel: dict[str, Any]
) -> None:
    assert CJK.search(panel["title"]), "titles are Chinese"
    assert panel["description"] and not CJK.search(panel["description"]), "English description"
    defaults = panel["fieldConfig"]["defaults"]
    assert defaults["thresholds"]["steps"][0]["value"] is None
    if panel["type"] != "table":
        assert defaults["unit"]
    assert panel["datasource"]["uid"] in (datasources.CLICKHOUSE_UID, datasources.PROMETHEUS_UID)
    for target in panel["targets"]:
        assert target["datasource"] == panel["datasource"]


def test_variables_for_shop_agent_and_role() -> None:
    names = {b: [v["name"] for v in d["templating"]["list"]] for b, d in BOARD_DATA.items()}
    assert names["agents"] == ["shop", "agent", "role"]
    assert all("shop" in n for n in names.values())
    sql = [q.sql for q in catalog.clickhouse_queries()]
    assert all("${shop:singlequote}" in s for s in sql), (
        "every ClickHouse panel follows the shop picker"
    )


def test_provisioning_files_name_the_fixed_uids() -> None:
    files = render.render_all()
    sources = yaml.safe_load(files[render.Path("provisioning/datasources/kefu.yaml")])
    by_uid = {s["uid"]: s for s in sources["datasources"]}
    assert by_uid[datasources.CLICKHOUSE_UID]["type"] == "grafana-clickhouse-datasource"
    assert by_uid[datasources.CLICKHOUSE_UID]["jsonData"]["protocol"] == "http"
    assert by_uid[datasources.PROMETHEUS_UID]["type"] == "prometheus"
    rules = yaml.safe_load(files[render.Path("provisioning/alerting/kefu.yaml")])
    (rule,) = rules["groups"][0]["rules"]
    assert rule["uid"] == alerting.RULE_UID and rule["condition"] == "B"
    providers = yaml.safe_load(files[render.Path("provisioning/dashboards/kefu.yaml")])
    assert providers["providers"][0]["folderUid"] == datasources.FOLDER_UID


# -- the minute tier on the dashboard's range (grafana/tiers.py, sql/0031) ------------------

TIERED = [q for q in catalog.clickhouse_queries() if "_minutely" in q.sql]


def test_panels_read_the_minutely_views_on_the_dashboards_range() -> None:
    """The interface views look up every fresh hour of their history; their bounded forms
    only the range's."""
    assert {q.board for q in TIERED} == {"live_floor", "agents"}
    for query in catalog.clickhouse_queries():
        assert not re.search(r"_minutely\b(?!_between)", query.sql), query.key


@pytest.fixture(scope="module")
def tier_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChdbStore]:
    """Inquiries of three shops over three days; the first hours refreshed, one of them
    corrected since."""
    with ChdbStore(tmp_path_factory.mktemp("tiers") / "store", "kefu") as store:
        migrate(store, "kefu", 180)
        store.command(INQUIRIES.format(db="kefu", version=1))
        rollups.refresh(store, settle_seconds=0, limit=20)
        store.command(UNANSWER_I1.format(db="kefu"))
        yield store


def _when(start: str, end: str, interval: timedelta) -> TimeRange:
    shops = ["s0", "s1", "s2"]
    variables = {"shop": shops, "agent": ["a0", "a1", "a2", "a3"], "role": list(ROLES)}
    return TimeRange(
        datetime.fromisoformat(start).replace(tzinfo=UTC),
        datetime.fromisoformat(end).replace(tzinfo=UTC),
        interval,
        variables,
    )


def _filtered_view(sql: str) -> str:
    """The panel reading the interface views filtered to the range, as before sql/0031."""
    for family in ("shop", "agent"):
        sql = sql.replace(
            tiers.minutes(family),
            f"(SELECT * FROM kefu.{family}_minutely WHERE $__timeFilter(minute))",
        )
    return sql


@pytest.mark.parametrize("query", TIERED, ids=[q.key for q in TIERED])
@pytest.mark.parametrize(
    "when",
    [
        _when("2026-11-23 00:35:00", "2026-11-23 02:10:00", timedelta(minutes=1)),
        _when("2026-11-23 00:00:00", "2026-11-25 12:00:00", timedelta(minutes=5)),
        _when("2026-11-23 00:00:00", "2026-11-25 12:00:00", timedelta(hours=2)),
    ],
    ids=["changed-hour", "two-days", "hours"],
)
def test_a_tiered_panel_draws_what_the_interface_views_hold(
    query: catalog.Query, when: TimeRange, tier_store: ChdbStore
) -> None:
    rows = tier_store.query(expand(query.sql, when)).rows
    assert rows
    assert rows == tier_store.query(expand(_filtered_view(query.sql), when)).rows


def test_the_minute_tier_reads_nothing_when_the_interval_draws_hours(
    tier_store: ChdbStore,
) -> None:
    when = _when("2026-11-23 00:00:00", "2026-11-25 12:00:00", timedelta(hours=2))
    counter = "SELECT sum(value) FROM system.events WHERE event = 'SelectedMarks'"
    for family in ("shop", "agent"):
        before = int(tier_store.query(counter).scalar())
        assert tier_store.query(expand(f"SELECT * FROM {tiers.minutes(family)}", when)).rows == []
        assert int(tier_store.query(counter).scalar()) == before, family
