"""`python -m bench.rollup_reads`: what a migration changes in reading the rollup-backed views.

One chDB store holds the synthetic inquiries of bench/storage_scale.py twice: database
`kefu_before` migrated up to the migration before --migration, `kefu` to the latest, each
with every period refreshed. Every query runs on both, interleaved (one round runs each
query once on each, the side that goes first alternating), so load on a shared machine
falls on both alike; the medians over the rounds are printed as a Markdown table, in
seconds of wall time and of this process's CPU time (chDB runs in it): on a shared machine
the CPU time moves less with the other load.
Three states, in this order:

- every period fresh: the views, the scorecard, and the live-floor and agents boards'
  panels for the last hour and the last 7 days before the synthetic history ends;
- today changed: 1,000 inquiries inserted now, outside the queried days, so today's day
  and hour are computed at read time, as on a live store; the views, the scorecard, and
  the panels' last hour up to now;
- the queried day changed: a newer version of 0.1 % of the last day's inquiries.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench import storage_scale as scale_bench
from sinks import rollups
from sinks.chdb_store import ChdbStore
from sinks.migrate import SQL_DIR, migrate
from sinks.store import Store

log = logging.getLogger("bench.rollup_reads")
AFTER = "kefu"
BEFORE = "kefu_before"
CORRECT_DAY = f"""INSERT INTO kefu.inquiries
    SELECT * REPLACE (version + 1 AS version) FROM kefu.inquiries
    WHERE business_date = '{scale_bench.DAY}' AND cityHash64(inquiry_id) % 1000 = 0"""

# (wall, CPU) seconds of each run, before and after
Runs = list[tuple[float, float]]
Timings = dict[tuple[str, str], tuple[Runs, Runs]]


def _on(database: str, sql: str) -> str:
    return sql.replace("kefu.", f"{database}.")


def _make(store: Store, database: str, scale: scale_bench.Scale, sql_dir: Path) -> None:
    migrate(store, database, scale_bench.TTL_DAYS, sql_dir)
    made = scale_bench.fill(store, scale, database)
    store.database = database
    started = time.perf_counter()
    refreshed = rollups.refresh(store, settle_seconds=0)
    log.info(
        "%s: %d inquiries made in %.0f s, %d periods refreshed in %.0f s",
        database,
        scale.inquiries,
        made,
        refreshed,
        time.perf_counter() - started,
    )


def _time(store: Store, sql: str) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    store.query(sql)
    return time.perf_counter() - wall, time.process_time() - cpu


def _median(runs: Runs, which: int) -> float:
    return statistics.median(run[which] for run in runs)


def _measure(
    store: Store, state: str, queries: dict[str, str], rounds: int, timings: Timings
) -> None:
    for name, sql in queries.items():
        before: Runs = []
        after: Runs = []
        for database in (BEFORE, AFTER):  # a first read of each, untimed
            store.query(_on(database, sql))
        for i in range(rounds):
            sides = [(BEFORE, before), (AFTER, after)]
            for database, runs in sides if i % 2 == 0 else reversed(sides):
                runs.append(_time(store, _on(database, sql)))
        timings[(name, state)] = (before, after)
        log.info(
            "%s, %s: %.3f -> %.3f s",
            name,
            state,
            _median(before, 0),
            _median(after, 0),
        )


def measure(inquiries: int, rounds: int, migration: str, work: Path) -> Timings:
    scale = scale_bench.Scale(inquiries, max(1, round(inquiries / scale_bench.PER_DAY)))
    before_sql = work / "sql-before"
    before_sql.mkdir()
    for path in SQL_DIR.glob("*.sql"):
        if path.name < migration:
            shutil.copy(path, before_sql)
    timings: Timings = {}
    with ChdbStore(work / "store") as store:
        _make(store, BEFORE, scale, before_sql)
        _make(store, AFTER, scale, SQL_DIR)
        reads = {**scale_bench.views(""), **scale_bench.SCORES}
        _measure(
            store, "every period fresh", {**reads, **scale_bench.panels(store)}, rounds, timings
        )
        for database in (BEFORE, AFTER):
            store.command(_on(database, scale_bench.LIVE_INSERT))
        live = {k: v for k, v in scale_bench.panels(store, live=True).items() if "last hour" in k}
        _measure(store, "today changed", {**reads, **live}, rounds, timings)
        for database in (BEFORE, AFTER):
            store.command(_on(database, CORRECT_DAY))
        _measure(store, "the queried day changed", reads, rounds, timings)
    return timings


def render(timings: Timings, migration: str) -> list[str]:
    out = [
        f"| query | state | wall, before {migration} | wall, after | CPU, before | CPU, after |",
        "|---|---|---|---|---|---|",
    ]
    for (name, state), (before, after) in timings.items():
        seconds = [_median(runs, which) for which in (0, 1) for runs in (before, after)]
        out.append(f"| {name} | {state} | " + " | ".join(f"{s:.3f}" for s in seconds) + " |")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.rollup_reads", description=__doc__)
    parser.add_argument("--inquiries", type=int, default=2_000_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--migration", default="0028", help="the migration measured")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for noisy in ("sinks", "pipeline"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="kefu-bench-rollup-reads-") as work:
        timings = measure(args.inquiries, args.rounds, args.migration, Path(work))
    sys.stdout.write("\n".join([*render(timings, args.migration), ""]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
