"""`kefu orders assign|act|resolve|reopen ID [--by NAME] [--to OWNER]`, and `kefu orders list`.

An action is published as an event on the work-order topic (KEFU_KAFKA_BOOTSTRAP), or, with
the embedded broker of a running `kefu run`, posted to that worker's endpoint with the
token of KEFU_WORK_ORDERS__HTTP_TOKEN. The worker folds it into `work_orders`.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path
from typing import Any

from core.errors import BadMessage, ServiceUnavailable
from core.settings import KefuSettings

VERBS = ("assign", "act", "resolve", "reopen")
_OPEN = """
SELECT work_order_id, shop_id, buyer_id, agent_id, rule, priority, owner, state,
    opened_at, first_action_due, resolve_due, sla_state
FROM open_work_orders
WHERE {shop:String} = '' OR shop_id = {shop:String}
ORDER BY opened_at
"""


def register(commands: Any) -> None:
    parser = commands.add_parser("orders", help="act on work orders (工单), or list the open ones")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="ACTION")
    for verb in VERBS:
        sub = verbs.add_parser(verb, help=f"{verb} a work order")
        sub.add_argument("work_order_id", metavar="ID")
        sub.add_argument("--by", default="", help="who acts (default: $USER)")
        sub.add_argument("--to", default="", help="assign: the new owner")
        sub.add_argument("--at", help="when it happened (RFC 3339); default now")
        sub.set_defaults(handler=handle_action)
    listing = verbs.add_parser("list", help="open work orders with their SLA state")
    listing.add_argument("--shop", default="", help="only this shop")
    listing.add_argument("--store", type=Path, help="embedded store directory")
    listing.set_defaults(handler=handle_list)


def handle_action(args: argparse.Namespace) -> int:
    import os

    from agents.escalation.wire import person_event
    from pipeline.commands.options import settings_from
    from pipeline.work_order_endpoint import VERBS as ACTIONS
    from schemas.timestamps import to_epoch_ms

    settings = settings_from(args)
    try:
        at = int(time.time() * 1000) if args.at is None else to_epoch_ms(args.at)
        by = args.by or os.environ.get("USER", "")
        event = person_event(args.work_order_id, ACTIONS[args.verb], by, args.to, at)
    except ValueError as exc:
        raise BadMessage(str(exc)) from exc
    if settings.kafka_bootstrap is None:
        _post(settings, args.verb, event.work_order_id, {"by": by, "to": args.to, "at": at})
    else:
        asyncio.run(_publish(settings, settings.kafka_bootstrap, event))
    print(f"{event.work_order_id}: {event.action}")
    return 0


async def _publish(settings: KefuSettings, bootstrap: str, event: Any) -> None:
    from aiokafka import AIOKafkaProducer
    from aiokafka.errors import KafkaError

    from agents.escalation.wire import lifecycle_json
    from core.topics import topics_for

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    try:
        await producer.start()
        topic = topics_for(settings).work_order_events
        await producer.send_and_wait(topic, lifecycle_json(event), key=event.work_order_id.encode())
    except KafkaError as exc:
        msg = f"cannot publish to Kafka at {bootstrap}: {exc}"
        raise ServiceUnavailable(msg) from exc
    finally:
        await producer.stop()


def _post(settings: KefuSettings, verb: str, work_order_id: str, body: dict[str, Any]) -> None:
    import urllib.error
    import urllib.request
    from urllib.parse import quote

    import orjson

    token = settings.work_orders.http_token.get_secret_value()
    if not token:
        msg = "set KEFU_WORK_ORDERS__HTTP_TOKEN (the running worker's) or KEFU_KAFKA_BOOTSTRAP"
        raise ServiceUnavailable(msg)
    url = f"http://{settings.web_host}:{settings.web_port}/work-orders/{quote(work_order_id, safe='')}/{verb}/"
    request = urllib.request.Request(  # noqa: S310 - our own worker's endpoint, http by design
        url,
        data=orjson.dumps(body),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10):  # noqa: S310
            return
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")
        msg = f"the worker refused the action ({exc.code}): {detail}"
        raise BadMessage(msg) from exc
    except OSError as exc:
        msg = f"cannot reach the worker at {url}: {exc}"
        raise ServiceUnavailable(msg) from exc


def handle_list(args: argparse.Namespace) -> int:
    from pipeline.commands.options import settings_from
    from pipeline.commands.sql import print_table
    from sinks.open import open_store_for_reading

    store = open_store_for_reading(settings_from(args))
    try:
        result = store.query(_OPEN, {"shop": args.shop})
    finally:
        store.close()
    print_table(result)
    return 0
