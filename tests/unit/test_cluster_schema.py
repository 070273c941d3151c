"""deploy/clickhouse (the cluster schema) parses, matches sql/, and answers like a single node.

The cluster files cannot run here as written (no Keeper, no second server), so a child
process starts chDB with a one-shard cluster `kefu` on the loopback (the shard counts as
local, so the Distributed tables work), then:

1. parses every statement of 01_tables.sql and 02_views.sql exactly as written
   (`formatQuery`, parse only: ON CLUSTER and the Replicated engines included);
2. runs them with ON CLUSTER dropped and ReplicatedReplacingMergeTree(path, replica, ...)
   turned into ReplacingMergeTree(...), next to the single-node schema of sql/ in
   database kefu_single;
3. compares the two: the same relations, the same DDL for every local table, a
   Distributed table under every interface name, and the same rows from every table
   (FINAL) and view after the same inserts, some of them newer versions, deletions and
   redeliveries of earlier rows.

A child process because chDB reads its configuration once per process, at first use.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.relations import ARGUMENTS, MERGE_DEPENDENT

ROOT = Path(__file__).resolve().parents[2]
CLUSTER_DIR = ROOT / "deploy" / "clickhouse"
FILES = ("01_tables.sql", "02_views.sql")
SINGLE = "kefu_single"
CONFIG = """<clickhouse>
  <tcp_port>9000</tcp_port>
  <remote_servers><kefu><shard><replica>
    <host>127.0.0.1</host><port>9000</port>
  </replica></shard></kefu></remote_servers>
  <macros><shard>01</shard><replica>r1</replica></macros>
</clickhouse>
"""
_REPLICATED = re.compile(r"Replicated(\w*MergeTree)\('[^']*',\s*'[^']*'(?:,\s*)?")
_ON_CLUSTER = re.compile(r"\s+ON CLUSTER kefu\b")

# The same rows for both databases: inserted into kefu_single, then copied into the
# Distributed tables of kefu (every version, not FINAL).
T0 = "toDateTime64('2026-11-23 00:30:00', 3, 'UTC')"
SEED_ROWS = [
    f"""INSERT INTO {SINGLE}.inquiries
    SELECT concat('s', toString(number % 2)), concat('b', toString(number % 120)),
        concat('i', toString(number)), if(number % 7 = 0, '', concat('a', toString(number % 5))),
        {T0} + toIntervalSecond(number * 97), {T0} + toIntervalSecond(number * 97 + number % 3),
        if(number % 9 = 0, NULL, {T0} + toIntervalSecond(number * 97 + number % 400)),
        if(number % 9 = 0, NULL, concat('a', toString(number % 5))),
        if(number % 9 = 0, NULL, toFloat64(number % 400) + 0.125),
        toUInt8(number % 9 != 0 AND number % 400 <= 30), toUInt8(number % 9 != 0 AND number % 400 <= 180),
        toUInt8(number % 9 != 0 AND number % 400 <= 300),
        toDate({T0} + toIntervalSecond(number * 97), 'Asia/Shanghai'),
        multiIf(number % 9 != 0, 'answered', number % 2 = 0, 'missed', 'open'),
        toUInt8(number % 11 != 0), if(number % 9 = 0, NULL, toFloat64(number % 400) + 1.5), 1, 0
    FROM numbers(900)""",
    f"""INSERT INTO {SINGLE}.inquiries
    SELECT * REPLACE (version + 1 AS version, toUInt8(cityHash64(inquiry_id) % 3 = 0) AS is_deleted,
        'answered' AS status)
    FROM {SINGLE}.inquiries WHERE cityHash64(inquiry_id) % 5 = 0""",
    f"""INSERT INTO {SINGLE}.buyer_days
    SELECT shop_id, buyer_id, business_date, min(opened_at), count(),
        max(1 - within_30s), max(1 - within_3m), max(1 - within_5m),
        toUInt8(cityHash64(buyer_id, business_date) % 3 = 0) AS conv,
        if(conv = 1, concat('o-', buyer_id), NULL), if(conv = 1, min(opened_at) + toIntervalHour(2), NULL),
        if(conv = 1, toDecimal64(cityHash64(buyer_id) % 20000, 2) / 100, NULL),
        if(conv = 1, any(agent_id), ''), 1, 0
    FROM {SINGLE}.inquiries GROUP BY shop_id, buyer_id, business_date""",
    f"""INSERT INTO {SINGLE}.orders
    SELECT concat('o-', buyer_id), shop_id, buyer_id, 'paid', assumeNotNull(order_amount),
        first_inquiry_at + toIntervalMinute(30), paid_at, NULL, assumeNotNull(paid_at), 1
    FROM {SINGLE}.buyer_days WHERE converted = 1""",
    f"""INSERT INTO {SINGLE}.orders
    SELECT concat('x', toString(number)), concat('s', toString(number % 2)),
        concat('b', toString(number % 150)), if(number % 4 = 0, 'created', 'paid'),
        toDecimal64(number, 2), {T0} + toIntervalMinute(number * 3),
        if(number % 4 = 0, NULL, {T0} + toIntervalMinute(number * 3 + 5)), NULL,
        {T0} + toIntervalMinute(number * 3 + 5), number % 3
    FROM numbers(200)""",
    f"""INSERT INTO {SINGLE}.refunds
    SELECT concat('r', toString(number)), concat('s', toString(number % 2)),
        concat('x', toString(number)), concat('b', toString(number % 150)),
        concat('a', toString(number % 5)),
        multiIf(number % 6 = 0, 'requested', number % 4 = 0, 'refunded', 'agreed'),
        toDecimal64(number + 1, 2), {T0} + toIntervalMinute(number * 11),
        if(number % 6 = 0, NULL, {T0} + toIntervalMinute(number * 11) + toIntervalSecond(number * 37)),
        if(number % 4 = 0, {T0} + toIntervalHour(number), NULL), toUInt8(number % 4 = 1),
        if(number % 4 = 1, if(number % 8 = 1, 'merchant', 'buyer'), NULL),
        if(number % 6 = 0, NULL, toFloat64(number * 37)), if(number % 4 = 0, toFloat64(number * 3600), NULL),
        if(number % 4 = 1, {T0} + toIntervalDay(1), NULL), toUInt8(number % 8 = 1),
        {T0} + toIntervalMinute(number * 11), 1
    FROM numbers(120)""",
    f"""INSERT INTO {SINGLE}.refunds
    SELECT * REPLACE (2 AS version, 'rejected' AS status, concat('a', toString(cityHash64(refund_id) % 5)) AS agent_id)
    FROM {SINGLE}.refunds WHERE cityHash64(refund_id) % 4 = 0""",
    f"""INSERT INTO {SINGLE}.ratings
    SELECT concat('e', toString(number)), concat('s', toString(number % 2)),
        concat('b', toString(number % 120)), concat('a', toString(number % 5)), number % 5 + 1,
        {T0} + toIntervalSecond(number * 401), toDate({T0} + toIntervalSecond(number * 401), 'Asia/Shanghai')
    FROM numbers(150)""",
    f"""INSERT INTO {SINGLE}.complaints
    SELECT concat('c', toString(number)), concat('s', toString(number % 2)),
        concat('b', toString(number % 120)), concat('a', toString(number % 5)),
        if(number % 2 = 0, NULL, concat('x', toString(number))), ['attitude', 'slow', 'refund'][number % 3 + 1],
        {T0} + toIntervalMinute(number * 29), concat('ce', toString(number)),
        toDate({T0} + toIntervalMinute(number * 29), 'Asia/Shanghai')
    FROM numbers(30)""",
    f"""INSERT INTO {SINGLE}.chat_messages
    SELECT concat('m', toString(number % 700)), concat('s', toString(number % 2)),
        concat('b', toString(number % 120)), ['buyer', 'agent', 'bot'][number % 3 + 1],
        concat('a', toString(number % 5)), {T0} + toIntervalSecond((number % 700) * 67), 'text',
        if(number % 10 = 0, NULL, concat('hello ', toString(number % 700))), NULL, '{{}}',
        {T0} + toIntervalDay(3)
    FROM numbers(800)""",
    f"""INSERT INTO {SINGLE}.alerts
    SELECT concat('reply_rate_5m:s', toString(number % 2), ':*:', toString(intDiv(number, 3))),
        if(number % 5 = 0, 'waiting_buyer', 'reply_rate_5m'), concat('s', toString(number % 2)),
        if(number % 4 = 0, concat('a', toString(number % 5)), ''),
        ['firing', 'resolved', 'warning'][number % 3 + 1], 0.5 + number / 100, 0.8, number % 40,
        {T0} + toIntervalMinute(number * 5), {T0} + toIntervalMinute(number * 5 + 15),
        {T0} + toIntervalMinute(number * 5 + 20), {T0} + toIntervalDay(3), 'msg',
        ['', 'recovered', 'no inquiries'][number % 3 + 1], number % 2, if(number % 3 = 0, 'lead', '')
    FROM numbers(40)""",
    f"""INSERT INTO {SINGLE}.alert_controls
    SELECT concat('c', toString(number % 9)), ['silence', 'ack'][number % 2 + 1],
        concat('s', toString(number % 2)), if(number % 4 = 0, 'a1', ''),
        concat('reply_rate_5m:s0:*:', toString(number)),
        if(number % 2 = 0, {T0} + toIntervalMinute(30), NULL), 'busy', 'lead',
        {T0} + toIntervalMinute(number)
    FROM numbers(12)""",
    f"""INSERT INTO {SINGLE}.dead_letters
    SELECT 'kefu.raw.chat', toInt32(number % 3), toInt64(number), concat('reason ', toString(number % 4)),
        concat('{{"bad": ', toString(number), '}}'), {T0} + toIntervalSecond(number)
    FROM numbers(25)""",
    f"""INSERT INTO {SINGLE}.generations
    SELECT toUInt32(number / 4 + 1), toUInt32(number % 4), 'kefu.events', {T0}
    FROM numbers(12)""",
    f"""INSERT INTO {SINGLE}.escalations
    SELECT concat('w', toString(number)), concat('s', toString(number % 2)),
        concat('b', toString(number % 120)), concat('a', toString(number % 5)),
        ['complaint_threat', 'long_wait', 'dispute_opened'][number % 3 + 1], 'critical',
        {T0} + toIntervalMinute(number * 7), toDate({T0} + toIntervalMinute(number * 7), 'Asia/Shanghai'), ''
    FROM numbers(30)""",
    f"""INSERT INTO {SINGLE}.work_order_events
    SELECT concat('we', toString(number)), concat('w', toString(number % 30)),
        ['acted', 'resolved', 'first_action_due'][number % 3 + 1],
        {T0} + toIntervalMinute(number * 3), 'lead', '', {T0} + toIntervalDay(3)
    FROM numbers(60)""",
    f"""INSERT INTO {SINGLE}.work_orders
    SELECT concat('w', toString(number % 30)), concat('s', toString(number % 2)),
        concat('b', toString(number % 120)), concat('a', toString(number % 5)), 'long_wait',
        ['p1', 'p2'][number % 2 + 1], 'oncall', ['open', 'acted', 'resolved'][number % 3 + 1],
        {T0} + toIntervalMinute(number * 7),
        if(number % 3 = 0, NULL, {T0} + toIntervalMinute(number * 7 + 20)),
        if(number % 3 = 2, {T0} + toIntervalMinute(number * 7 + 90), NULL),
        {T0} + toIntervalMinute(number * 7 + 15), {T0} + toIntervalMinute(number * 7 + 240),
        number % 3 = 1, 0, toDate({T0} + toIntervalMinute(number * 7), 'Asia/Shanghai'),
        intDiv(number, 30) + 1
    FROM numbers(60)""",
    f"""INSERT INTO {SINGLE}.qc_findings
    SELECT concat('m', toString(number)), concat('s', toString(number % 2)),
        concat('b', toString(number % 120)), concat('a', toString(number % 5)),
        ['agent', 'buyer', 'bot'][number % 3 + 1],
        {T0} + toIntervalMinute(number * 5), toDate({T0} + toIntervalMinute(number * 5), 'Asia/Shanghai'),
        ['off_platform', 'complaint_threat', 'vague_answer'][number % 3 + 1],
        ['critical', 'critical', 'info'][number % 3 + 1], 'rule', 'span'
    FROM numbers(40)""",
    f"""INSERT INTO {SINGLE}.scripts
    SELECT concat('s', toString(number % 2)), concat('k', toString(number % 4)), 'presale',
        concat('text ', toString(number)), number
    FROM numbers(8)""",
    f"""INSERT INTO {SINGLE}.script_uses
    SELECT concat('m', toString(number)), concat('s', toString(number % 2)),
        concat('b', toString(number % 120)), concat('a', toString(number % 5)),
        {T0} + toIntervalMinute(number * 5), toDate({T0} + toIntervalMinute(number * 5), 'Asia/Shanghai'),
        concat('k', toString(number % 4)), 90.0
    FROM numbers(60)""",
    f"""INSERT INTO {SINGLE}.staffing_plan
    SELECT concat('s', toString(number % 2)), toDateTime('2026-12-07 00:00:00', 'UTC') + number * 900,
        toDate(toDateTime('2026-12-07 00:00:00', 'UTC') + number * 900), number / 3, number / 4,
        number / 2, number % 7 = 0, 30 + number, 1.5, 0.8, 180, number % 5, number % 5 + 1,
        {T0} + toIntervalSecond(number % 3)
    FROM numbers(40)""",
    f"""INSERT INTO {SINGLE}.staffing_shifts
    SELECT concat('s', toString(number % 2)), toDate('2026-12-07') + intDiv(number, 6),
        toDateTime('2026-12-07 08:00:00', 'UTC') + intDiv(number, 6) * 86400 + number % 6 * 1800,
        [8.0, 4.0][number % 2 + 1], if(number % 2 = 0, 150, 0), number % 4 + 1,
        {T0} + toIntervalSecond(number % 3)
    FROM numbers(30)""",
]
TABLES = (
    "chat_messages",
    "ratings",
    "complaints",
    "dead_letters",
    "inquiries",
    "buyer_days",
    "refunds",
    "orders",
    "alerts",
    "generations",
    "escalations",
    "work_order_events",
    "work_orders",
    "alert_controls",
    "qc_findings",
    "scripts",
    "script_uses",
    "staffing_plan",
    "staffing_shifts",
)


VIEWS = ("View", "MaterializedView")
# Rows that differ by design: the ledger, and the rollup state (times of inserts).
UNCOMPARED = {
    "schema_migrations",
    "rollup_state",
    "rollup_changes",
    "rollup_dirty",
    "rollup_dirty_between",
} | MERGE_DEPENDENT


def single_process(statement: str) -> str:
    """The statement for one chDB process: no ON CLUSTER, no Keeper path and replica."""
    return _REPLICATED.sub(r"\1(", _ON_CLUSTER.sub("", statement))


def _normal(value: Any) -> Any:
    if isinstance(value, float):
        return "nan" if math.isnan(value) else float(f"{value:.9g}")
    if isinstance(value, list | tuple):
        return [_normal(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _normal(v) for k, v in value.items()}
    return value if value is None or isinstance(value, int | str) else str(value)


def probe(work: Path) -> dict[str, Any]:
    """Everything the tests check, computed in this (fresh) process; JSON-friendly."""
    import chdb

    from sinks import rollups
    from sinks.chdb_store import ChdbStore
    from sinks.errors import StoreError
    from sinks.migrate import migrate
    from sinks.sql_text import split_statements

    (work / "config.xml").write_text(CONFIG, encoding="utf-8")
    # The first connection starts the engine with the cluster; keep it open meanwhile.
    first = chdb.connect(f"file:{work / 'db'}?config-file={work / 'config.xml'}")
    out: dict[str, Any] = {"parse_errors": [], "statements": 0}

    class OneServer(ChdbStore):
        """The refresher deletes covered marks ON CLUSTER, which needs Keeper: here the one
        server's local tables are the cluster's."""

        def command(self, sql: str) -> None:
            super().command(single_process(sql))

    with OneServer(work / "db", "default") as store:
        statements = [
            s
            for name in FILES
            for s in split_statements((CLUSTER_DIR / name).read_text(encoding="utf-8"))
        ]
        out["statements"] = len(statements)
        for statement in statements:
            try:
                store.query("SELECT formatQuery({q:String})", {"q": statement})
            except StoreError as exc:
                out["parse_errors"].append(f"{statement[:80]}: {exc}")
        for statement in statements:
            store.command(single_process(statement))
        migrate(store, SINGLE, 180)

        def relations(db: str) -> dict[str, list[Any]]:
            rows = store.query(
                "SELECT name, engine, engine_full, create_table_query FROM system.tables"
                " WHERE database = {db:String} ORDER BY name",
                {"db": db},
            ).rows
            return {r[0]: list(r[1:]) for r in rows}

        out["single"] = relations(SINGLE)
        out["cluster"] = relations("kefu")
        out["local"] = relations("kefu_local")
        for sql in SEED_ROWS:
            store.command(sql)
        for table in TABLES:
            store.command(
                f"INSERT INTO kefu.{table} SETTINGS distributed_foreground_insert = 1"
                f" SELECT * FROM {SINGLE}.{table}"
            )

        # Half of each rollup's periods refreshed: the views read rollups and FINAL
        # computations at once (the read-time sides, <view>_changed, are not empty).
        def changes(db: str) -> int:
            return int(store.query(f"SELECT count() FROM {db}.rollup_changes FINAL").scalar())

        for db in (SINGLE, "kefu"):
            store.database = db
            out.setdefault("changes_before", []).append(changes(db))
            refreshed = 0
            covered: list[str] = []
            for rollup in rollups.ROLLUPS:
                dirty = store.query(
                    f"SELECT count() FROM {db}.rollup_dirty WHERE view_name = {{v:String}}",
                    {"v": rollup.view},
                ).scalar()
                refreshed += rollups._refresh_rollup(store, rollup, 0, int(dirty) // 2, covered)
            rollups._delete_covered_marks(store, covered, wait=True)
            out.setdefault("refreshed", []).append(refreshed)
            out.setdefault("changes_after", []).append(changes(db))
        answers: dict[str, Any] = {}
        for name, (engine, *_rest) in out["single"].items():
            if name in UNCOMPARED or engine == "MaterializedView":
                continue
            final = "" if engine == "View" else "FINAL"
            columns = "* EXCEPT (computed_at)" if name.endswith("_rollup") else "*"
            answers[name] = [
                _normal(
                    store.query(
                        f"SELECT {columns} FROM {db}.{name}{ARGUMENTS.get(name, '')} {final} "
                        "ORDER BY ALL"
                    ).rows
                )
                for db in (SINGLE, "kefu")
            ]
        out["answers"] = answers
        try:
            migrate(store, "kefu", 180)
            out["migrate_error"] = None
        except StoreError as exc:
            out["migrate_error"] = str(exc)
        out["cluster_migrated"] = relations("kefu")
    first.close()
    return out


@pytest.fixture(scope="module")
def probed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    work = tmp_path_factory.mktemp("cluster")
    done = subprocess.run(
        [sys.executable, "-m", "tests.unit.test_cluster_schema", str(work)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"the probe failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads((work / "result.json").read_text(encoding="utf-8"))
    return result


def test_every_statement_parses_as_written(probed: dict[str, Any]) -> None:
    assert probed["statements"] > 30
    assert probed["parse_errors"] == []


def test_views_file_is_rendered_from_sql() -> None:
    done = subprocess.run(
        [sys.executable, str(CLUSTER_DIR / "render_views.py"), "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_same_relations_under_the_interface_names(probed: dict[str, Any]) -> None:
    single = set(probed["single"]) - {"schema_migrations"}
    assert set(probed["cluster"]) == single
    for name, (engine, *_rest) in probed["single"].items():
        if name == "schema_migrations":
            continue
        cluster_engine = probed["cluster"][name][0]
        assert cluster_engine == (engine if engine in VIEWS else "Distributed"), name


def test_local_tables_match_the_single_node_ddl(probed: dict[str, Any]) -> None:
    def ddl(text: str, db: str) -> str:
        text = text.replace(f"{db}.", "DB.")
        return re.sub(r"\s+SETTINGS .*$", "", text, flags=re.DOTALL)

    tables = {n for n, (engine, *_r) in probed["single"].items() if engine not in VIEWS}
    assert set(probed["local"]) == tables - {"schema_migrations"}
    for name in probed["local"]:
        assert ddl(probed["local"][name][2], "kefu_local") == ddl(
            probed["single"][name][2], SINGLE
        ), name


@pytest.mark.parametrize("table", TABLES)
def test_distributed_tables_shard_by_the_rows_identity(probed: dict[str, Any], table: str) -> None:
    engine_full = probed["cluster"][table][1]
    key = {
        "alerts": "cityHash64(shop_id)",
        "staffing_plan": "cityHash64(shop_id)",
        "staffing_shifts": "cityHash64(shop_id)",
        "alert_controls": "cityHash64(kind, control_id)",
        "dead_letters": "cityHash64(topic, partition, offset)",
        "generations": "cityHash64(generation, partition)",
        "work_order_events": "cityHash64(work_order_id)",
        "scripts": "cityHash64(shop_id, script_id)",
    }
    expected = key.get(table, "cityHash64(shop_id, buyer_id)")
    assert engine_full == f"Distributed('kefu', 'kefu_local', '{table}', {expected})"


def test_every_table_and_view_answers_like_the_single_node(probed: dict[str, Any]) -> None:
    answers = probed["answers"]
    assert answers["inquiries"][0], "the seed rows reached no table"
    differ = [name for name, (single, cluster) in answers.items() if single != cluster]
    assert differ == []
    single_refreshed, cluster_refreshed = probed["refreshed"]
    assert single_refreshed == cluster_refreshed > 0
    # A refresh deletes the marks it covers, on a cluster from the local tables.
    before, after = probed["changes_before"], probed["changes_after"]
    assert before[0] == before[1] > after[0] == after[1]
    empty = {name for name, (single, _) in answers.items() if not single}
    assert empty == {"kpi_agent_roles", "kpi_shop_stages"}  # no roles or stages configured


def test_kefu_db_migrate_on_a_cluster_node_changes_nothing(probed: dict[str, Any]) -> None:
    # Workers run migrate at start-up; the text TTL must not be altered on a Distributed table,
    # nor a rollup rebuilt (sql/0029) into one server's copy under the Distributed name.
    assert probed["migrate_error"] is None, probed["migrate_error"]
    engines = {name: found[1] for name, found in probed["cluster"].items()}
    migrated = {name: found[1] for name, found in probed["cluster_migrated"].items()}
    migrated.pop("schema_migrations")  # the ledger is the one table migrate adds
    assert migrated == engines


if __name__ == "__main__":
    target = Path(sys.argv[1])
    (target / "result.json").write_text(json.dumps(probe(target)), encoding="utf-8")
