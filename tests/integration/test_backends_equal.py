"""One generated day replayed into both backends gives the same answers everywhere.

(a) embedded: the worker writes to chDB directly (settings.store_path);
(b) server: the worker writes through clickhouse-connect over real HTTP to a chDB store
    served by sinks.chdb_http (settings.clickhouse_url), and migrates it that way too;
    the answers are read back over HTTP as well.

chDB hosts one store directory per process at a time, so (a) runs and is read and closed
before (b) opens. Compared: every table (FINAL) and view of the database, whole rows in
order, and every query of docs/analysts.md. Left out, because they differ between any two
runs: wall-clock columns (ingested_at, raised_at, received_at, applied_at), `version` (it
counts the writes a row went through, which depends on how batches were cut), and the
Kafka position of a dead letter (partition, offset: malformed lines carry no key) and its
topic prefix (each replay has its own topics), and when and on which topic a state generation
started. Floats compare to 1e-9 relative: sums over
parts read in a different order differ in the last bits.
"""

from __future__ import annotations

import math
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from core.settings import KefuSettings
from pipeline import sample_day as sample
from pipeline.embedded_broker import TansuBroker
from pipeline.replay import ReplayCounts, replay
from sinks import rollups
from sinks.chdb_http import serve
from sinks.chdb_store import ChdbStore
from sinks.migrate import SQL_DIR
from sinks.server_store import ServerStore
from sinks.store import Store
from tests.integration.guide_support import GuideQuery, day_file, guide_queries
from tests.relations import ARGUMENTS, MERGE_DEPENDENT

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

DATABASE = "kefu"
VOLATILE = frozenset(
    {
        "ingested_at",
        "raised_at",
        "received_at",
        "applied_at",
        "started_at",
        "events_topic",
        "version",
        "partition",
        "offset",
        "changed_at",
        "computed_at",
    }
)
_RELATION = re.compile(
    r"CREATE (?:TABLE IF NOT EXISTS|OR REPLACE VIEW) \{database\}\.(\w+)", re.IGNORECASE
)
RELATIONS = sorted({m for p in SQL_DIR.glob("*.sql") for m in _RELATION.findall(p.read_text())})
# No roles or stages configured, and silences, acks and staffing plans and shifts (`kefu
# plan`) are people's doing: none on a replay.
EMPTY_BY_DEFAULT = {
    "kpi_agent_roles",
    "kpi_shop_stages",
    "alert_controls",
    "staffing_plan",
    "staffing_shifts",
    "rollup_dirty",  # every period refreshed before the comparison
    "rollup_dirty_between",
    "rollup_changes",  # and every mark deleted by its refresh
    # the rollup-backed views' read-time sides, likewise
    *(f"{rollup.view}_changed" for rollup in rollups.ROLLUPS),
}
# Guide queries whose answers depend on the run, not on the data: stored rows before FINAL
# (how batches were cut and merged) and the wall-clock receive times of dead letters.
RUN_DEPENDENT = ("FINAL: one logical row per key", "Dead letters by reason")
GUIDE = [q for q in guide_queries() if not q.heading.endswith(RUN_DEPENDENT)]


@dataclass(frozen=True)
class Replayed:
    """What one backend stored, as answers to the same queries."""

    counts: ReplayCounts
    relations: list[str]
    tables: dict[str, list[tuple[Any, ...]]]
    guide: dict[int, list[tuple[Any, ...]]]


def relation_sql(store: Store, name: str) -> str:
    """Every stable column of `name`, FINAL for tables, in a total order."""
    engine = store.query(
        "SELECT engine FROM system.tables WHERE database = {db:String} AND name = {t:String}",
        {"db": DATABASE, "t": name},
    ).scalar()
    relation = f"{name}{ARGUMENTS.get(name, '')}"
    # DESCRIBE of a query: system.columns lists no columns for a parameterized view.
    columns = [
        row[0]
        for row in store.query(f"DESCRIBE (SELECT * FROM {relation})").rows
        if row[0] not in VOLATILE
    ]
    exprs = [
        "replaceRegexpOne(topic, '^.*\\\\.raw\\\\.', 'raw.') AS topic" if c == "topic" else f"`{c}`"
        for c in columns
    ]
    final = "" if engine == "View" else " FINAL"
    return f"SELECT {', '.join(exprs)} FROM {relation}{final} ORDER BY ALL"


def answers(store: Store, counts: ReplayCounts, guide: list[GuideQuery]) -> Replayed:
    """After a refresh, so the views read their rollups (refreshed over HTTP for the server)."""
    rollups.refresh(store, settle_seconds=0)
    # Materialized views hold no rows: what they write (rollup_state) is compared.
    relations = [
        row[0]
        for row in store.query(
            "SELECT name FROM system.tables WHERE database = {db:String}"
            " AND engine != 'MaterializedView' ORDER BY name",
            {"db": DATABASE},
        ).rows
    ]
    tables = {name: store.query(relation_sql(store, name)).rows for name in RELATIONS}
    return Replayed(counts, relations, tables, {q.number: store.query(q.sql).rows for q in guide})


def worker_settings(broker: TansuBroker, work: Path, day: Path, **store: Any) -> KefuSettings:
    name = f"kefu-test-{uuid.uuid4().hex[:12]}"
    return KefuSettings(
        kafka_bootstrap=broker.bootstrap,
        home=work / "home",
        app_id=name,
        topic_prefix=name,
        qc=sample.qc_settings(day.parent),
        **store,
    )


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return day_file(tmp_path_factory.mktemp("day"))


@pytest.fixture(scope="module")
async def embedded(
    tmp_path_factory: pytest.TempPathFactory, tansu_broker: TansuBroker, day: Path
) -> Replayed:
    work = tmp_path_factory.mktemp("embedded")
    settings = worker_settings(tansu_broker, work, day, store_path=work / "store")
    counts = await replay(settings, [day])
    with ChdbStore(work / "store", DATABASE) as store:
        return answers(store, counts, GUIDE)


@pytest.fixture(scope="module")
async def server(
    tmp_path_factory: pytest.TempPathFactory,
    tansu_broker: TansuBroker,
    day: Path,
    embedded: Replayed,  # first: one chDB store directory per process at a time
) -> Replayed:
    work = tmp_path_factory.mktemp("server")
    with ChdbStore(work / "store", DATABASE) as chdb, serve(chdb, "127.0.0.1", 0) as http:
        settings = worker_settings(tansu_broker, work, day, clickhouse_url=http.url)
        counts = await replay(settings, [day])
        with ServerStore(http.url, "default", "", DATABASE) as client:
            return answers(client, counts, GUIDE)


def close(a: Any, b: Any) -> bool:
    """Equal, floats to 1e-9 relative (NaN equals NaN)."""
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
    return type(a) is type(b) and bool(a == b)


def first_difference(a: list[tuple[Any, ...]], b: list[tuple[Any, ...]]) -> str:
    if len(a) != len(b):
        return f"{len(a)} rows embedded, {len(b)} over HTTP"
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        if not close(x, y):
            return f"row {i}: {x!r} != {y!r}"
    return "none"


def test_same_counts(embedded: Replayed, server: Replayed) -> None:
    assert embedded.counts == server.counts
    assert embedded.counts.alerts > 0 and embedded.counts.dead_letters > 0


def test_same_relations_and_every_one_compared(embedded: Replayed, server: Replayed) -> None:
    assert embedded.relations == server.relations
    assert sorted(embedded.relations) == RELATIONS


@pytest.mark.parametrize("name", RELATIONS)
def test_table_or_view_is_identical(name: str, embedded: Replayed, server: Replayed) -> None:
    if name in MERGE_DEPENDENT:
        pytest.skip("the marking views' lookups show the versions merges have left")
    a, b = embedded.tables[name], server.tables[name]
    assert a or name in EMPTY_BY_DEFAULT, f"{name} is empty: nothing compared"
    assert close(a, b), first_difference(a, b)


@pytest.mark.parametrize("query", GUIDE, ids=[q.key for q in GUIDE])
def test_guide_query_is_identical(query: GuideQuery, embedded: Replayed, server: Replayed) -> None:
    a, b = embedded.guide[query.number], server.guide[query.number]
    assert close(a, b), first_difference(a, b)


def test_only_the_run_dependent_guide_queries_are_left_out() -> None:
    headings = [q.heading for q in guide_queries()]
    assert [sum(h.endswith(end) for h in headings) for end in RUN_DEPENDENT] == [1, 1]
    assert len(headings) - len(GUIDE) == len(RUN_DEPENDENT)


def test_the_comparison_can_fail() -> None:
    assert close([(1, 0.1 + 0.2, None)], [(1, 0.3, None)])
    assert not close([(1, 0.3)], [(1, 0.31)])
    assert not close([(1,)], [(1.0,)])
    assert not close([("a", 1)], [("a", 1), ("b", 2)])
