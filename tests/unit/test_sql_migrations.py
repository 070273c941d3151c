"""sql/ migrations on a real embedded store: idempotent, recorded once, clear, complete."""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from sinks.chdb_store import ChdbStore
from sinks.errors import StoreError
from sinks.migrate import SQL_DIR, migrate, migrations
from sinks.tables import COLUMNS

SPEC = Path(__file__).resolve().parents[3] / "shared" / "spec" / "interfaces.md"

# The contract's table of ClickHouse tables and its table of views (checked against SPEC when present).
REQUIRED: dict[str, tuple[str, ...]] = {
    "chat_messages": tuple(
        "event_id shop_id buyer_id sender agent_id occurred_at msg_type text".split()
    ),
    "inquiries": tuple(
        "shop_id buyer_id agent_id opened_at effective_opened_at answered_at answered_by "
        "response_seconds within_30s within_3m within_5m business_date".split()
    ),
    "refunds": tuple(
        "refund_id shop_id order_id buyer_id agent_id status amount requested_at decided_at "
        "refunded_at disputed responsibility".split()
    ),
    "orders": tuple("order_id shop_id buyer_id status amount created_at paid_at".split()),
    "ratings": tuple("event_id shop_id buyer_id agent_id score occurred_at".split()),
    "complaints": tuple(
        "complaint_id shop_id buyer_id agent_id order_id category occurred_at".split()
    ),
    "buyer_days": tuple(
        "shop_id buyer_id business_date first_inquiry_at inquiries missed_30s missed_3m "
        "missed_5m converted order_id paid_at order_amount conversion_agent_id".split()
    ),
    "alerts": tuple(
        "alert_id rule shop_id agent_id state value threshold inquiries window_start "
        "window_end event_time raised_at".split()
    ),
    "dead_letters": tuple("topic partition offset reason raw received_at".split()),
}
DAILY = tuple(
    "inquiries answered consulting_buyers rate_30s rate_3m rate_5m avg_response_seconds "
    "p50_response_seconds p90_response_seconds buyer_rate_30s buyer_rate_3m buyer_rate_5m "
    "converted_buyers conversion_rate converted_amount avg_order_value ratings "
    "positive_rating_rate complaints complaint_rate is_final".split()
)
MINUTELY = tuple(
    "minute inquiries answered rate_30s rate_3m rate_5m avg_response_seconds is_final".split()
)
VIEWS: dict[str, tuple[str, ...]] = {
    "shop_daily": ("shop_id", "business_date", *DAILY),
    "agent_daily": ("shop_id", "agent_id", "business_date", *DAILY),
    "shop_minutely": ("shop_id", *MINUTELY),
    "agent_minutely": ("shop_id", "agent_id", *MINUTELY),
}
RATES = {c for c in DAILY if "rate" in c}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChdbStore]:
    # chDB hosts one store directory per process: one store for the module, one database per test.
    with ChdbStore(tmp_path_factory.mktemp("migrations")) as opened:
        yield opened


@pytest.fixture
def database() -> str:
    return f"kefu_test_{uuid.uuid4().hex[:10]}"


def _schema(store: ChdbStore, database: str) -> list[tuple[str, str]]:
    return store.query(
        "SELECT name, create_table_query FROM system.tables WHERE database = {db:String}"
        " ORDER BY name",
        {"db": database},
    ).rows


def _columns(store: ChdbStore, database: str, table: str) -> list[tuple[str, str]]:
    return store.query(
        "SELECT name, type FROM system.columns WHERE database = {db:String} AND table = {t:String}"
        " ORDER BY position",
        {"db": database, "t": table},
    ).rows


def test_migrating_twice_changes_nothing_and_records_each_once(
    store: ChdbStore, database: str
) -> None:
    every = [m.version for m in migrations()]
    assert migrate(store, database, 180) == every
    before = _schema(store, database)
    assert migrate(store, database, 180) == []
    assert _schema(store, database) == before
    recorded = store.query(
        f"SELECT version, count() FROM {database}.schema_migrations GROUP BY version ORDER BY 1"
    ).rows
    assert recorded == [(version, 1) for version in every]


def test_text_ttl_follows_the_setting(store: ChdbStore, database: str) -> None:
    migrate(store, database, 180)
    assert "toIntervalDay(180)" in dict(_schema(store, database))["chat_messages"]
    assert migrate(store, database, 30) == []
    assert "toIntervalDay(30)" in dict(_schema(store, database))["chat_messages"]


def test_a_broken_file_names_itself_and_the_clickhouse_message(
    store: ChdbStore, database: str, tmp_path: Path
) -> None:
    sql_dir = tmp_path / "sql"
    shutil.copytree(SQL_DIR, sql_dir)
    broken = sql_dir / "0999_broken.sql"
    broken.write_text(
        "-- broken on purpose\nCREATE TABLE {database}.broken (a NoSuchType) ENGINE = Memory;\n"
    )
    with pytest.raises(StoreError, match=r"0999_broken\.sql.*NoSuchType") as caught:
        migrate(store, database, 180, sql_dir)
    assert caught.value.code is not None
    applied = store.query(f"SELECT count() FROM {database}.schema_migrations").scalar()
    assert applied == len(migrations())  # the good files stay applied
    broken.write_text("CREATE TABLE IF NOT EXISTS {database}.broken (a UInt8) ENGINE = Memory;\n")
    assert migrate(store, database, 180, sql_dir) == ["0999_broken"]


def test_every_interface_table_and_view_has_its_columns(store: ChdbStore, database: str) -> None:
    migrate(store, database, 180)
    for name, required in {**REQUIRED, **VIEWS}.items():
        present = {column for column, _ in _columns(store, database, name)}
        missing = [c for c in required if c not in present]
        assert not missing, f"{name} lacks {missing}"


def test_times_are_utc_milliseconds_and_rates_nullable_floats(
    store: ChdbStore, database: str
) -> None:
    migrate(store, database, 180)
    for table in (*REQUIRED, *VIEWS):
        for column, kind in _columns(store, database, table):
            if "DateTime" in kind:
                assert "DateTime64(3, 'UTC')" in kind, f"{table}.{column} is {kind}"
    for view in ("shop_daily", "agent_daily"):
        types = dict(_columns(store, database, view))
        for rate in RATES:
            assert types[rate] == "Nullable(Float64)", f"{view}.{rate} is {types[rate]}"


def test_producer_column_orders_match_the_tables(store: ChdbStore, database: str) -> None:
    migrate(store, database, 180)
    for table, columns in COLUMNS.items():
        assert tuple(c for c, _ in _columns(store, database, table)) == columns, table


def test_required_columns_match_the_spec() -> None:
    if not SPEC.exists():
        pytest.skip(f"{SPEC} is not here (it lives beside the repository)")
    parsed = _spec_tables(SPEC.read_text(encoding="utf-8"))
    for table, columns in REQUIRED.items():
        assert tuple(parsed[table]) == columns, table
    assert tuple(parsed["shop_daily"]) == DAILY
    assert tuple(parsed["shop_minutely"]) == MINUTELY[1:]


def _spec_tables(text: str) -> dict[str, list[str]]:
    """First-column names and third-column backticked column lists of the spec's tables."""
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[2].startswith("`"):
            continue
        columns_text = cells[2]
        while re.search(r"\([^()]*\)", columns_text):  # innermost first: "(Decimal(18,2))"
            columns_text = re.sub(r"\([^()]*\)", "", columns_text)
        columns_text = columns_text.replace("`", "")
        columns = [c.strip() for c in columns_text.split(",") if c.strip()]
        for name in re.findall(r"`([a-z_]+)`", cells[0]):
            found[name] = columns
    return found
