"""`kefu db migrate` and `kefu db rollup`"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path
from typing import Any

from core.errors import KefuError

log = logging.getLogger(__name__)


def register(commands: Any) -> None:
    parser = commands.add_parser("db", help="database maintenance")
    sub = parser.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    migrate = sub.add_parser("migrate", help="apply the numbered files in sql/; safe to run twice")
    migrate.add_argument(
        "--store", type=Path, help="embedded store directory (default .kefu/store)"
    )
    migrate.set_defaults(handler=handle_migrate)
    register_rollup(sub)


def handle_migrate(args: argparse.Namespace) -> int:
    from pipeline.commands.options import settings_from
    from sinks.migrate import migrate
    from sinks.open import open_store

    settings = settings_from(args)
    store = open_store(settings)
    try:
        applied = migrate(store, settings.clickhouse_database, settings.raw_text_ttl_days)
    finally:
        store.close()
    print(f"applied {len(applied)} migration(s)" + (": " + ", ".join(applied) if applied else ""))
    return 0


def register_rollup(sub: Any) -> None:
    rollup = sub.add_parser(
        "rollup",
        help="store the FINAL computation of every changed period in the rollups "
        "(a worker does it every rollups.refresh_seconds)",
    )
    rollup.add_argument("--store", type=Path, help="embedded store directory (default .kefu/store)")
    rollup.add_argument(
        "--every",
        type=float,
        metavar="SECONDS",
        help="keep refreshing at this interval, periods settled for rollups.settle_seconds "
        "(the refresher of a deployment whose workers do not refresh)",
    )
    rollup.set_defaults(handler=handle_rollup)


def handle_rollup(args: argparse.Namespace) -> int:
    from pipeline.commands.options import settings_from
    from sinks import rollups
    from sinks.open import open_store

    settings = settings_from(args)
    store = open_store(settings)
    try:
        if args.every is None:
            print(f"refreshed {rollups.refresh(store, settle_seconds=0)} period(s)")
            return 0
        while True:
            try:
                rollups.refresh_or_log(store, settings.rollups.settle_seconds)
            except (KefuError, OSError) as exc:
                log.warning("rollup refresh failed; the next one tries again: %s", exc)
            time.sleep(args.every)
    finally:
        store.close()
