"""`kefu replay FILE...`"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from core.errors import KefuError


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "replay",
        help="send JSON-lines files through the real path and wait until all is stored",
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help=".jsonl or .jsonl.gz")
    parser.add_argument("--store", type=Path, help="embedded store directory (default .kefu/store)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from pipeline.commands.options import settings_from
    from pipeline.replay import replay

    missing = [str(f) for f in args.files if not f.is_file()]
    if missing:
        msg = f"no such file: {', '.join(missing)}"
        raise KefuError(msg)
    counts = asyncio.run(replay(settings_from(args), args.files))
    print(
        f"events: {counts.events}  duplicates: {counts.duplicates}  "
        f"dead letters: {counts.dead_letters}  inquiries: {counts.inquiries}  alerts: {counts.alerts}"
    )
    return 0
