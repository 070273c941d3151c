"""The peer's virtual environment: Quix Streams cannot share .venv (its pydantic pins clash).

`.cache/bench-peer` is made from `bench/peer-requirements.txt` the first time it is
needed (`make bench` does it up front) and reused while that file is unchanged.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from pathlib import Path

from bench.spawn import REPO

log = logging.getLogger(__name__)

PEER_DIR = REPO / ".cache" / "bench-peer"
REQUIREMENTS = REPO / "bench" / "peer-requirements.txt"
_STAMP = PEER_DIR / ".requirements"


def peer_python() -> Path | None:
    """The peer venv's interpreter if it is installed from the current requirements."""
    python = PEER_DIR / "bin" / "python"
    if not python.exists() or not _STAMP.exists():
        return None
    if _STAMP.read_text() != REQUIREMENTS.read_text():
        return None
    return python


def ensure_peer() -> Path:
    """Create or refresh the peer venv (needs PyPI once); returns its interpreter."""
    found = peer_python()
    if found is not None:
        return found
    log.info("creating the peer environment in %s", PEER_DIR)
    shutil.rmtree(PEER_DIR, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(PEER_DIR)], check=True)
    pip = [str(PEER_DIR / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "-r", str(REQUIREMENTS)], check=True)
    _STAMP.write_text(REQUIREMENTS.read_text())
    return PEER_DIR / "bin" / "python"
