"""A non-editable install carries everything the worker needs at run time, the migrations too."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_wheel_ships_every_migration_and_package(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("kefu_pulse-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    shipped_sql = {Path(n).name for n in names if ".data/data/share/kefu-pulse/sql/" in n}
    assert shipped_sql == {p.name for p in (ROOT / "sql").glob("*.sql")}
    packages = {n.split("/")[0] for n in names if n.endswith("__init__.py")}
    assert packages >= {"core", "schemas", "sinks", "agents", "grafana", "pipeline"}
    assert not packages & {"tests", "bench"}
