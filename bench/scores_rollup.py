"""The scorecard before and after its rollup (sql/0032), on one store, side by side.

    PYTHONPATH=. .venv/bin/python -m bench.scores_rollup [inquiries]

The store is migrated to the release before 0032, filled (`bench.storage_scale.fill`),
refreshed and read; then 1,000 live inquiries leave today's periods changed, as on any live
store, and it is read again. Then the same store is migrated to 0032, refreshed, and read
in both states again, with the bounded form too. Wall seconds, median of 7. Results:
docs/storage-benchmarks.md, "The targets at 100M inquiries".
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench import storage_scale as sb
from sinks import rollups
from sinks.chdb_store import ChdbStore
from sinks.migrate import SQL_DIR, migrate
from sinks.store import Store

BOUNDED = {
    "agent_scores_between, that day": "SELECT * FROM kefu.agent_scores_between("
    f"first = '{sb.DAY}', last = '{sb.DAY}') WHERE period = 'day'",
    "agent_scores_between, that month": "SELECT * FROM kefu.agent_scores_between("
    f"first = toStartOfMonth(toDate('{sb.DAY}')), last = toStartOfMonth(toDate('{sb.DAY}'))) "
    "WHERE period = 'month'",
}


def _seconds(store: Store, sql: str, repeats: int = 7) -> float:
    runs = []
    for _ in range(repeats):
        started = time.perf_counter()
        store.query(sql)
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def _release_before_0032(work: Path) -> Path:
    before = work / "sql"
    before.mkdir()
    for path in SQL_DIR.glob("*.sql"):
        if path.name < "0032":
            shutil.copy(path, before)
    return before


def _read(store: Store, queries: dict[str, str], release: str) -> dict[tuple[str, str], float]:
    found = {
        (name, f"{release}, every period fresh"): _seconds(store, q) for name, q in queries.items()
    }
    store.command(sb.LIVE_INSERT)
    found |= {
        (name, f"{release}, today changed"): _seconds(store, q) for name, q in queries.items()
    }
    return found


def main(inquiries: int) -> None:
    work = Path(tempfile.mkdtemp())
    try:
        with ChdbStore(work / "store") as store:
            migrate(store, "kefu", sb.TTL_DAYS, _release_before_0032(work))
            sb.fill(store, sb.Scale(inquiries, max(1, round(inquiries / sb.PER_DAY))), "kefu")
            store.database = "kefu"
            rollups.refresh(store, settle_seconds=0)
            before = {n: store.query(q + " ORDER BY ALL").rows for n, q in sb.SCORES.items()}
            found = _read(store, sb.SCORES, "before 0032")
            migrate(store, "kefu", sb.TTL_DAYS)
            rollups.refresh(store, settle_seconds=0)
            after = {n: store.query(q + " ORDER BY ALL").rows for n, q in sb.SCORES.items()}
            found |= _read(store, {**sb.SCORES, **BOUNDED}, "0032")
        print(f"same rows before and after: {before == after}")
        for (name, state), seconds in found.items():
            print(f"{name:34} {state:36} {seconds:.3f}")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
