"""`kefu scripts suggest`: frequent agent replies that match no script (library candidates)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from core.errors import KefuError

# The stored days are read back from the newest reply, so a replayed past week works too.
_REPLIES = """
SELECT shop_id, text FROM chat_messages FINAL
WHERE sender = 'agent' AND text != '' AND ({shop:String} = '' OR shop_id = {shop:String})
  AND occurred_at >= (SELECT max(occurred_at) FROM chat_messages) - toIntervalDay({days:UInt32})
"""


def register(commands: Any) -> None:
    parser = commands.add_parser("scripts", help="the script library (话术库)")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    suggest = actions.add_parser(
        "suggest", help="frequent agent replies that match no script: candidates for the library"
    )
    suggest.add_argument("--shop", default="", help="one shop (default: all)")
    suggest.add_argument("--days", type=int, default=7, help="the newest N days of replies")
    suggest.add_argument("--min-count", type=int, default=3, help="sent at least this often")
    suggest.add_argument("--limit", type=int, default=30)
    suggest.add_argument(
        "--store", type=Path, help="embedded store directory (default .kefu/store)"
    )
    suggest.set_defaults(handler=handle_suggest)


def handle_suggest(args: argparse.Namespace) -> int:
    from agents.qc.live_rules import LiveRules
    from pipeline.commands.options import settings_from
    from pipeline.commands.sql import print_table
    from sinks.open import open_store_for_reading
    from sinks.store import QueryResult

    if args.days < 1 or args.min_count < 1:
        msg = "--days and --min-count must be at least 1"
        raise KefuError(msg)
    settings = settings_from(args)
    if settings.qc.scripts_file is None:
        print("no script library configured (qc.scripts_file): every frequent reply is a candidate")
    library = LiveRules(settings.qc).library
    store = open_store_for_reading(settings)
    try:
        replies = store.query(_REPLIES, {"shop": args.shop, "days": args.days}).rows
    finally:
        store.close()
    found = library.suggest(((shop, text) for shop, text in replies), min_count=args.min_count)
    rows = [(s.shop_id, s.count, s.text) for s in found[: args.limit]]
    print_table(QueryResult(["shop_id", "sent", "reply"], rows))
    return 0
