"""What every command reads from its parsed arguments."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from core.settings import KefuSettings, load_settings


def settings_from(args: argparse.Namespace, **extra: Any) -> KefuSettings:
    """Settings with the command line's overrides; `--store DIR` picks the embedded store."""
    overrides = dict(extra)
    store: Path | None = getattr(args, "store", None)
    if store is not None:
        overrides["store_path"] = store
    return load_settings(**overrides)
