"""Every ```sql block of docs/analysts.md runs as written on a replayed, generated day.

The day is the boards' sample day (two shops, agent s1-a1 silent from 10:00 to 10:45
Shanghai time, so alerts fire) with delivery noise added: disorder, duplicates and
malformed lines (dead letters). It is replayed once for this module through the real path
(session Tansu broker, ingest, stateful agents, sink) into an embedded store. A block
returns at least one row unless it carries the comment `-- may return no rows`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import KefuSettings
from pipeline import sample_day as sample
from pipeline.embedded_broker import TansuBroker
from pipeline.replay import replay
from sinks.chdb_store import ChdbStore
from tests.integration.guide_support import GUIDE, TOPICS, GuideQuery, day_file, guide_queries

pytestmark = pytest.mark.kafka

QUERIES = guide_queries()


@pytest.fixture(scope="module")
async def guide_day(tmp_path_factory: pytest.TempPathFactory, tansu_broker: TansuBroker) -> Path:
    work = tmp_path_factory.mktemp("guide-day")
    name = f"kefu-test-{uuid.uuid4().hex[:12]}"
    settings = KefuSettings(
        kafka_bootstrap=tansu_broker.bootstrap,
        home=work / "home",
        store_path=work / "store",
        app_id=name,
        topic_prefix=name,
        qc=sample.qc_settings(work),
    )
    counts = await replay(settings, [day_file(work)])
    assert counts.inquiries > 0 and counts.alerts > 0 and counts.dead_letters > 0
    return work / "store"


@pytest.fixture(scope="module")
def guide_store(guide_day: Path) -> Iterator[ChdbStore]:
    with ChdbStore(guide_day, "kefu") as store:
        yield store


@pytest.mark.parametrize("query", QUERIES, ids=[q.key for q in QUERIES])
def test_guide_query_runs_and_returns_rows(query: GuideQuery, guide_store: ChdbStore) -> None:
    result = guide_store.query(query.sql)
    if not query.may_be_empty:
        assert result.rows, f"query {query.number} ({query.heading}) returned no rows"


def test_guide_has_a_worked_query_for_every_topic() -> None:
    assert len(QUERIES) >= 12
    headings = " | ".join(q.heading.lower() for q in QUERIES)
    missing = [topic for topic in TOPICS if topic not in headings]
    assert missing == []


def test_guide_queries_name_tables_without_the_database() -> None:
    qualified = [q.key for q in QUERIES if re.search(r"\bkefu\.\w", q.sql)]
    assert qualified == []


def test_guide_describes_every_table_and_view(guide_store: ChdbStore) -> None:
    text = GUIDE.read_text(encoding="utf-8")
    names = [
        row[0]
        for row in guide_store.query(
            "SELECT name FROM system.tables WHERE database = 'kefu' ORDER BY name"
        ).rows
    ]
    assert len(names) > 20
    assert [n for n in names if f"`{n}`" not in text] == []


def test_the_extractor_sees_blocks_and_markers() -> None:
    text = "## A\n```sql\nSELECT 1\n```\n### B\n```sql\n-- may return no rows\nSELECT 2\n```\n"
    found = guide_queries(text)
    assert [(q.heading, q.may_be_empty) for q in found] == [("A", False), ("B", True)]
