"""`python -m bench.storage`: how fast and how small the ClickHouse store is.

Three measurements, written to docs/storage-benchmarks.md:

1. bytes per stored message and inquiry: a generated day replayed through the real
   pipeline into chDB, merged (OPTIMIZE FINAL), sizes from system.parts and system.columns;
2. insert rows/s into ChdbStore (in this process) and into ServerStore (clickhouse-connect
   over HTTP to sinks.chdb_http serving chDB in a child process) at batch sizes 1k, 10k and
   100k, rows copied from that day with fresh ids, one dedup token per batch as the sink does;
3. the views and boards at 10M and 100M synthetic inquiries (bench/storage_scale.py).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import storage_scale
from bench.machine import machine
from core.settings import KefuSettings
from pipeline.embedded_broker import TansuBroker
from pipeline.generator import GenConfig, generate, write_jsonl
from pipeline.replay import replay
from sinks.chdb_store import ChdbStore
from sinks.migrate import migrate
from sinks.server_store import ServerStore
from sinks.store import Store
from sinks.tables import CHAT_MESSAGES, INQUIRIES

log = logging.getLogger("bench.storage")
REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "docs" / "storage-benchmarks.md"
TABLES = {"chat_messages": CHAT_MESSAGES, "inquiries": INQUIRIES}
ID_COLUMN = {"chat_messages": "event_id", "inquiries": "inquiry_id"}
TTL_DAYS = 180
DAY = "2026-11-23"  # the last business date of the synthetic inquiries


@dataclass(frozen=True)
class Plan:
    shops: int = 6
    buyers_per_shop_day: float = 900.0
    batches: tuple[int, ...] = (1_000, 10_000, 100_000)
    rows_per_size: int = 300_000  # rows inserted per (backend, table, batch size)
    scales: tuple[int, ...] = (10_000_000, 100_000_000)
    repeats: int = 3


QUICK = Plan(
    shops=2,
    buyers_per_shop_day=200.0,
    batches=(1_000, 10_000),
    rows_per_size=20_000,
    scales=(400_000, 1_000_000),
    repeats=2,
)


Rows = list[tuple[Any, ...]]


@dataclass
class Results:
    machine: str = ""
    events: int = 0
    sizes: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # rows, raw, packed
    top_columns: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    rates: dict[tuple[str, str, int], float] = field(default_factory=dict)
    scales: list[storage_scale.Scale] = field(default_factory=list)


# -- 1. a replayed day and what it costs on disk ----------------------------------------


async def replay_day(plan: Plan, work: Path) -> int:
    config = GenConfig(seed=3, shops=plan.shops, buyers_per_shop_day=plan.buyers_per_shop_day)
    path = work / "day.jsonl"
    write_jsonl(generate(config), path)
    name = f"bench-storage-{uuid.uuid4().hex[:8]}"
    with TansuBroker(log_dir=work / "tansu", ready_timeout=20.0) as broker:
        settings = KefuSettings(
            kafka_bootstrap=broker.bootstrap,
            home=work / "home",
            store_path=work / "day",
            app_id=name,
            topic_prefix=name,
        )
        counts = await replay(settings, [path])
    return counts.events


def measure_sizes(store: Store, results: Results) -> dict[str, Rows]:
    """Merge each table, note its compressed bytes per row; return its rows for the inserts."""
    rows: dict[str, Rows] = {}
    for table, columns in TABLES.items():
        # Wide parts (one file per column, as every large part is) give per-column sizes.
        store.command(
            f"ALTER TABLE kefu.{table} MODIFY SETTING min_bytes_for_wide_part = 0,"
            " min_rows_for_wide_part = 0"
        )
        store.command(f"OPTIMIZE TABLE kefu.{table} FINAL")
        count, raw, packed = store.query(
            "SELECT sum(rows), sum(data_uncompressed_bytes), sum(data_compressed_bytes)"
            " FROM system.parts WHERE database = 'kefu' AND table = {t:String} AND active",
            {"t": table},
        ).rows[0]
        results.sizes[table] = (int(count), int(raw), int(packed))
        results.top_columns[table] = [
            (str(name), int(size))
            for name, size in store.query(
                "SELECT name, data_compressed_bytes FROM system.columns"
                " WHERE database = 'kefu' AND table = {t:String}"
                " ORDER BY data_compressed_bytes DESC LIMIT 3",
                {"t": table},
            ).rows
        ]
        rows[table] = store.query(f"SELECT {', '.join(columns)} FROM kefu.{table} FINAL").rows
    return rows


# -- 2. insert rates ---------------------------------------------------------------------


def copies(table: str, source: Rows, count: int) -> Rows:
    """`count` rows cycling through `source`, each with a fresh id (a new logical row)."""
    at = TABLES[table].index(ID_COLUMN[table])
    out: Rows = []
    for i in range(count):
        row = list(source[i % len(source)])
        row[at] = f"{row[at]}-{i}"
        out.append(tuple(row))
    return out


def insert_rate(store: Store, database: str, table: str, rows: Rows, size: int) -> float:
    columns = TABLES[table]
    started = time.perf_counter()
    for start in range(0, len(rows), size):
        batch = rows[start : start + size]
        store.insert(f"{database}.{table}", columns, batch, dedup_token=uuid.uuid4().hex)
    elapsed = time.perf_counter() - started
    stored = store.query(f"SELECT count() FROM {database}.{table}").scalar()
    if stored != len(rows):
        msg = f"{table}: {stored} rows stored, {len(rows)} inserted"
        raise RuntimeError(msg)
    return len(rows) / elapsed


def measure_inserts(
    backend: str,
    store: Store,
    plan: Plan,
    source: dict[str, list[tuple[Any, ...]]],
    results: Results,
) -> None:
    for table in TABLES:
        rows = copies(table, source[table], plan.rows_per_size)
        for size in plan.batches:
            database = f"bench_{uuid.uuid4().hex[:8]}"
            migrate(store, database, TTL_DAYS)
            rate = insert_rate(store, database, table, rows, size)
            results.rates[(backend, table, size)] = rate
            log.info("%s %s batches of %d: %.0f rows/s", backend, table, size, rate)
            store.command(f"DROP DATABASE {database}")


def serve_child(store_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    """This module's `--serve` mode in a child process; returns it and its URL."""
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.storage", "--serve", str(store_dir)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert child.stdout is not None
    line = child.stdout.readline().decode().strip()
    if not line.startswith("http://"):
        child.kill()
        msg = f"the store server did not start: {line!r}"
        raise RuntimeError(msg)
    return child, line


def serve_until_stdin_closes(store_dir: Path) -> None:
    from sinks.chdb_http import serve

    with ChdbStore(store_dir) as store, serve(store, "127.0.0.1", 0) as server:
        sys.stdout.write(f"{server.url}\n")
        sys.stdout.flush()
        sys.stdin.read()


# -- the run and the report --------------------------------------------------------------


def run(plan: Plan, work: Path) -> tuple[Results, list[str]]:
    results, notes = Results(machine=machine(None, "Tansu").describe()), []
    results.events = asyncio.run(replay_day(plan, work))
    with ChdbStore(work / "day") as store:
        source = measure_sizes(store, results)
    with ChdbStore(work / "inserts") as store:
        measure_inserts("chDB (ChdbStore)", store, plan, source, results)
    child, url = serve_child(work / "served")
    try:
        with ServerStore(url, "default", "") as client:
            measure_inserts("HTTP (ServerStore)", client, plan, source, results)
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=60)
    results.scales = storage_scale.measure(plan.scales, plan.repeats, work)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    notes.append(f"Load average at the end: {load} (other work shares these cores).")
    return results, notes


ABOUT = [
    "- *Bytes per row*: a generated day replayed through broker, agents and sink into chDB;",
    "  each table merged to one wide part (OPTIMIZE FINAL, so one row per logical row), then",
    "  system.parts (data_compressed_bytes, data_uncompressed_bytes) / rows, and the three",
    "  largest columns from system.columns. Production tables are bigger, so compress better.",
    "- *Insert rate*: rows of that day copied with fresh ids, inserted through the Store",
    "  interface the sink uses (one insert_deduplication_token per batch) into a freshly",
    "  migrated database. chDB: ChdbStore in the bench process. HTTP: ServerStore",
    "  (clickhouse-connect, lz4) in the bench process talking to sinks.chdb_http serving chDB",
    "  in a child process, as a worker talks to a ClickHouse server. Time from the first",
    "  batch to the last insert returned; the row count is checked afterwards.",
    "- *At scale*: 10M and 100M synthetic inquiries at the same daily density (about 333k a",
    "  day in 20 shops, 8 agents each, about 3 inquiries per buyer-day), so the larger store",
    "  holds ten times the history before the queried day (30 and 300 days); inserted in",
    "  1M-row INSERT ... SELECT FROM numbers(), plus a newer version of 5 % of them, their",
    "  buyer-days and ratings (bench/storage_scale.py). Round 1 is the FINAL computation the",
    "  views had (the `*_final` views); rollups are the interface views once every period",
    '  is refreshed (docs/analysts.md "Rollups"). Board panels: every ClickHouse panel of',
    '  the live-floor and agents boards, all shops and agents selected; "live hour changed"',
    "  inserts 1,000 inquiries now, so the live hour and day are computed at read time.",
    "  Median of 3 runs; round 1 runs once. After merges (OPTIMIZE FINAL) is measured at",
    "  10M only: merging 100M takes longer than the rest of the run, and the 10M figures",
    "  show merges do not move the rollup side. The converted buyer-days' orders are",
    "  inserted as paid, so the scorecard's 30-day refund rates read a realistic",
    "  `orders`: the rows-read table shows it as what `agent_scores` still reads whole.",
    "",
]


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _count(value: float) -> str:
    return f"{value:,.0f}"


def render(plan: Plan, results: Results, notes: list[str], command: str) -> str:
    out = ["## Storage", "", f"Measured with `{command}` on {results.machine}.", "", *ABOUT]
    out += [f"### Bytes per stored row ({results.events:,} events of a generated day, merged)", ""]
    out += _table(
        ["table", "rows", "compressed bytes/row", "uncompressed bytes/row", "largest columns"],
        [
            [
                t,
                _count(n),
                f"{packed / n:.1f}",
                f"{raw / n:.1f}",
                ", ".join(f"{c} {s / n:.1f}" for c, s in results.top_columns[t]),
            ]
            for t, (n, raw, packed) in results.sizes.items()
        ],
    )
    out += ["", f"### Insert rate, rows/s ({plan.rows_per_size:,} rows per cell)", ""]
    backends = sorted({b for b, _, _ in results.rates})
    out += _table(
        ["backend", "table", *(f"batches of {s:,}" for s in plan.batches)],
        [
            [b, t, *(_count(results.rates[(b, t, s)]) for s in plan.batches)]
            for b in backends
            for t in TABLES
        ],
    )
    out += ["", *storage_scale.render(results.scales)]
    return "\n".join([*out, "", *notes, ""])


def scale_only(plan: Plan, out: Path) -> str:
    """`out` with its scale section measured now; the other sections are kept as they are."""
    with tempfile.TemporaryDirectory(prefix="kefu-bench-storage-") as work:
        scales = storage_scale.measure(plan.scales, plan.repeats, Path(work))
    text = out.read_text(encoding="utf-8")
    start = text.index("### Bytes per stored row")
    ends = [
        i for i in (text.find(storage_scale.HEADING), text.find("### Daily scorecard")) if i > 0
    ]
    kept = text[start : min(ends)] if ends else text[start:]
    head = text[: text.index("- *Bytes per row*")]
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    note = (
        f"The scale section was measured with `python -m bench.storage --scale-only` on "
        f"{datetime.now(UTC):%Y-%m-%d}; load average at its end {load}."
    )
    section = storage_scale.render(scales)
    return "\n".join([head.rstrip("\n"), "", *ABOUT, kept.rstrip("\n"), "", *section, "", note, ""])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.storage", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes; writes nothing")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--scale-only",
        action="store_true",
        help="measure only the views and boards at scale; keep the rest of --out as it is",
    )
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve is not None:
        serve_until_stdin_closes(args.serve)
        return 0
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for noisy in ("sinks", "pipeline", "agents", "faust", "aiokafka", "mode"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    plan = QUICK if args.quick else Plan()
    if args.scale_only:
        text = scale_only(plan, args.out)
    else:
        with tempfile.TemporaryDirectory(prefix="kefu-bench-storage-") as work:
            results, notes = run(plan, Path(work))
        command = "python -m bench.storage" + (" --quick" if args.quick else "")
        text = render(plan, results, notes, command)
    sys.stdout.write(text)
    if not args.quick:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
