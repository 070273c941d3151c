"""core.collector: survivors of a young collection are frozen; held_out freezes what it makes;
uninstall puts the collector back.

The collector is the process's (thresholds, gc.callbacks, the frozen generation), and a test
process may have run a worker before (pipeline.runtime.running), or run threads beside this
test (pytest-xdist): so each test's body runs in an interpreter of its own.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PRELUDE = """
import gc

from core import collector


def made():
    return [[i] for i in range(1000)]


assert gc.get_freeze_count() == 0 and not collector.installed()
"""


def _run(tmp_path: Path, body: str) -> None:
    """In a file, so that a failed assert shows its line."""
    script = tmp_path / "collector_check.py"
    script.write_text(PRELUDE + textwrap.dedent(body))
    path = filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
    done = subprocess.run(  # noqa: S603 - this interpreter, a script of this file
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


def test_held_out_does_nothing_unless_survivors_are_frozen(tmp_path: Path) -> None:
    _run(
        tmp_path,
        """
        with collector.held_out():
            kept = made()
        assert gc.get_freeze_count() == 0
        assert kept
    """,
    )


def test_survivors_of_a_young_collection_are_frozen(tmp_path: Path) -> None:
    _run(
        tmp_path,
        """
        collector.freeze_survivors(100_000)
        collector.freeze_survivors(100_000)  # a second install adds no callback
        assert gc.get_threshold()[0] == 100_000
        assert gc.callbacks.count(collector._freeze_after_young) == 1
        kept = made()
        frozen = gc.get_freeze_count()
        gc.collect(0)
        assert gc.get_freeze_count() >= frozen + len(kept)
        assert gc.get_count()[0] < 100
    """,
    )


def test_held_out_freezes_what_is_made_inside_after_a_young_collection(tmp_path: Path) -> None:
    _run(
        tmp_path,
        """
        collector.freeze_survivors(100_000)
        cycle = []
        cycle.append(cycle)
        del cycle  # young garbage made before: collected, not frozen
        collected = []
        gc.callbacks.append(lambda phase, info: collected.append(info.get("collected", 0)))
        frozen = gc.get_freeze_count()
        with collector.held_out():
            kept = made()
        assert sum(collected) >= 1
        assert gc.get_freeze_count() >= frozen + len(kept)
        del kept
        assert gc.get_freeze_count() < frozen + 1000  # frozen objects are still freed
    """,
    )


def test_the_last_uninstall_puts_the_collector_back(tmp_path: Path) -> None:
    _run(
        tmp_path,
        """
        gc.set_threshold(1234, 5, 6)
        callbacks = list(gc.callbacks)
        collector.freeze_survivors(100_000)
        collector.freeze_survivors(200_000)  # a second runtime in the same process
        collector.uninstall()
        assert collector.installed()
        assert gc.get_threshold() == (200_000, 50, 100)
        assert gc.get_freeze_count() > 0
        collector.uninstall()
        assert not collector.installed()
        assert gc.get_threshold() == (1234, 5, 6)
        assert gc.callbacks == callbacks
        assert gc.get_freeze_count() == 0  # frozen garbage cycles are collectable again
        with collector.held_out():
            kept = made()
        assert gc.get_freeze_count() == 0 and kept
        collector.uninstall()  # none installed: nothing to undo
        assert gc.get_threshold() == (1234, 5, 6)
    """,
    )
