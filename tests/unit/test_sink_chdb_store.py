"""The embedded store: one owner per directory, data kept across reopening, typed errors."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.errors import StoreLocked
from sinks.chdb_store import ChdbStore
from sinks.errors import StoreError

HOLD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from sinks.chdb_store import ChdbStore
    store = ChdbStore(Path(sys.argv[1]))
    print("ready", flush=True)
    sys.stdin.readline()
    store.close()
    """
)


def test_another_process_holding_the_store_is_named(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreLocked, match=rf"in use by process {holder.pid}.*`kefu sql`"):
            ChdbStore(tmp_path)
    finally:
        holder.communicate("stop\n", timeout=60)
    with ChdbStore(tmp_path) as store:  # released on exit
        assert store.query("SELECT 1").scalar() == 1


def test_data_survives_reopening_and_a_closed_store_says_so(tmp_path: Path) -> None:
    when = datetime(2026, 11, 23, 2, 0, 0, 250000, tzinfo=UTC)
    with ChdbStore(tmp_path, "kefu") as store:
        store.command("CREATE DATABASE IF NOT EXISTS kefu")
        store.command(
            "CREATE TABLE kefu.t (at DateTime64(3, 'UTC'), s String) ENGINE = MergeTree ORDER BY at"
        )
        store.insert("t", ("at", "s"), [(when, "a\n\nb")])
    store = ChdbStore(tmp_path, "kefu")
    try:
        assert store.query("SELECT at, s FROM t").rows == [(when, "a\n\nb")]
        with pytest.raises(StoreError, match="no column"):
            store.insert("t", ("at", "nope"), [(when, "x")])
        with pytest.raises(StoreError, match="FORMAT"):
            store.query("SELECT 1 FORMAT JSON")
    finally:
        store.close()
    with pytest.raises(StoreError, match="closed"):
        store.query("SELECT 1")
