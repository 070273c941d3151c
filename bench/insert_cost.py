"""`python -m bench.insert_cost`: what one insert into each fact table costs on the embedded store.

An insert into a fact table also runs the table's materialized views (the marking views of
the rollups, and through `rollup_changes` the forward to `rollup_state`), each a block of its
own. This migrates one store up to `--before` and another fully, then times `--inserts`
inserts of 300 rows into each fact table on both (a store of its own per process: chDB
opens one data directory per process), in alternating rounds so that the machine's load
falls on both alike. Prints the median wall time of an insert per table and store.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sinks.chdb_store import ChdbStore
from sinks.migrate import SQL_DIR, migrate

ROWS = 300
DAY = "toDateTime64('2026-12-01 10:00:00', 3, 'UTC')"
INSERTS = {
    "chat_messages": (
        "INSERT INTO kefu.chat_messages"
        " (event_id, shop_id, buyer_id, sender, agent_id, occurred_at, msg_type, text)"
        " SELECT toString(number + {base}), 'shop' || toString(number % 7),"
        " 'b' || toString(number), if(number % 2 = 0, 'agent', 'buyer'), 'a1',"
        f" {DAY} + number, 'text', 'hi' FROM numbers({ROWS})"
    ),
    "inquiries": (
        "INSERT INTO kefu.inquiries (shop_id, buyer_id, inquiry_id, agent_id, opened_at,"
        " effective_opened_at, business_date, status, version)"
        " SELECT 'shop' || toString(number % 7), 'b' || toString(number),"
        f" toString(number + {{base}}), 'a1', {DAY} + number, {DAY} + number,"
        f" toDate('2026-12-01'), 'open', {{base}} FROM numbers({ROWS})"
    ),
    "buyer_days": (
        "INSERT INTO kefu.buyer_days"
        " (shop_id, buyer_id, business_date, first_inquiry_at, inquiries, version)"
        " SELECT 'shop' || toString(number % 7), 'b' || toString(number + {base}),"
        f" toDate('2026-12-01'), {DAY}, 1, {{base}} FROM numbers({ROWS})"
    ),
    "ratings": (
        "INSERT INTO kefu.ratings SELECT toString(number + {base}),"
        f" 'shop' || toString(number % 7), 'b', 'a1', 5, {DAY}, toDate('2026-12-01')"
        f" FROM numbers({ROWS})"
    ),
    "qc_findings": (
        "INSERT INTO kefu.qc_findings SELECT toString(number + {base}),"
        f" 'shop' || toString(number % 7), 'b', 'a1', 'agent', {DAY}, toDate('2026-12-01'),"
        f" 'c', 'low', 'r', 'x' FROM numbers({ROWS})"
    ),
    "refunds": (
        "INSERT INTO kefu.refunds (refund_id, shop_id, order_id, buyer_id, agent_id, status,"
        " amount, decided_at, disputed, merchant_responsible, updated_at, version)"
        " SELECT toString(number + {base}), 'shop' || toString(number % 7), 'o', 'b', 'a1',"
        f" 'approved', 1, {DAY}, 0, 0, {DAY}, {{base}} FROM numbers({ROWS})"
    ),
}


def _sql_dir_upto(version: str, into: Path) -> Path:
    into.mkdir()
    for path in SQL_DIR.glob("*.sql"):
        if path.name[:4] <= version:
            shutil.copy(path, into / path.name)
    return into


def _measure(upto: str | None, inserts: int, round_: int) -> dict[str, list[float]]:
    """Milliseconds of each insert per table, on a store of this process."""
    work = Path(tempfile.mkdtemp(prefix="insert-cost-"))
    try:
        sql_dir = _sql_dir_upto(upto, work / "sql") if upto else SQL_DIR
        store = ChdbStore(work / "store")
        migrate(store, "kefu", 30, sql_dir)
        times: dict[str, list[float]] = {}
        for table, sql in INSERTS.items():
            cpu = time.process_time()
            for i in range(inserts):
                base = (round_ * inserts + i) * 1000 + 1
                started = time.perf_counter()
                store.command(sql.format(base=base))
                times.setdefault(table, []).append((time.perf_counter() - started) * 1000)
            times[f"{table} cpu"] = [(time.process_time() - cpu) * 1000 / inserts]
        store.close()
        return times
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _child(upto: str | None, inserts: int) -> dict[str, list[float]]:
    args = [sys.executable, "-m", "bench.insert_cost", "--child", "--inserts", str(inserts)]
    if upto:
        args += ["--upto", upto]
    done = subprocess.run(args, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="0032", help="the older store's last migration")
    parser.add_argument("--inserts", type=int, default=15, help="inserts per table and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--upto", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_measure(args.upto, args.inserts, 0)))
        return
    labels = {f"up to {args.before}": args.before, "latest": None}
    times: dict[str, dict[str, list[float]]] = {label: {} for label in labels}
    for _ in range(args.rounds):
        for label, upto in labels.items():
            for table, ms in _child(upto, args.inserts).items():
                times[label].setdefault(table, []).extend(ms)
    print(f"{'ms an insert':15s}" + "".join(f"{label:>14s}" for label in labels) * 2)
    print(f"{'':15s}" + f"{'wall (median)':>28s}" + f"{'CPU (mean)':>28s}")
    for table in INSERTS:
        walls = [statistics.median(times[label][table]) for label in labels]
        cpus = [statistics.mean(times[label][f"{table} cpu"]) for label in labels]
        print(f"{table:15s}" + "".join(f"{m:14.1f}" for m in walls + cpus))


if __name__ == "__main__":
    main()
