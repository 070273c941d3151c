"""`kefu sql QUERY`: on the embedded store directly, through a running worker, or on a server."""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path
from typing import Any

import orjson

from sinks.store import QueryResult


def register(commands: Any) -> None:
    parser = commands.add_parser("sql", help="run SQL on the store and print the result")
    parser.add_argument("query", help="one SQL statement")
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table")
    parser.add_argument("--store", type=Path, help="embedded store directory (default .kefu/store)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from pipeline.commands.options import settings_from
    from sinks.open import open_store_for_reading

    store = open_store_for_reading(settings_from(args))
    try:
        result = store.query(args.query)
    finally:
        store.close()
    {"table": print_table, "csv": _csv, "json": _json}[args.format](result)
    return 0


def print_table(result: QueryResult) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(*result.columns, show_lines=False)
    for row in result.rows:
        table.add_row(*("NULL" if v is None else str(v) for v in row))
    Console(width=max(120, 16 * len(result.columns))).print(table)


def _csv(result: QueryResult) -> None:
    writer = csv.writer(sys.stdout)
    writer.writerow(result.columns)
    writer.writerows(result.rows)


def _json(result: QueryResult) -> None:
    rows = [dict(zip(result.columns, row, strict=True)) for row in result.rows]
    sys.stdout.write(orjson.dumps(rows, option=orjson.OPT_INDENT_2, default=str).decode() + "\n")
