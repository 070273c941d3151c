"""`kefu alerts silence|ack`: on-call controls, sent as events to the alert-controls topic.

Every worker reads that topic whole (agents.controls): a silenced alert is still stored
(with `silenced` = 1) but not notified; an acked alert sends no more reminders and later
changes of it carry `acked_by`.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import re
import time
import uuid
from typing import Any

from core.errors import KefuError

_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400}


def duration_seconds(text: str) -> int:
    """'90s', '30m', '2h', '1d' in seconds; a clear error otherwise."""
    found = _DURATION.match(text.strip())
    if found is None or int(found.group(1)) == 0:
        msg = f"--for {text!r}: give a positive duration such as 30m, 2h or 1d"
        raise KefuError(msg)
    return int(found.group(1)) * _UNIT_SECONDS[found.group(2)]


def register(commands: Any) -> None:
    parser = commands.add_parser("alerts", help="silence or acknowledge alerts (on-call)")
    sub = parser.add_subparsers(dest="alerts_command", required=True, metavar="ACTION")
    silence = sub.add_parser("silence", help="stop notifying a shop's (or an agent's) alerts")
    silence.add_argument("--shop", required=True, help="the shop to silence")
    silence.add_argument("--agent", default="", help="only this agent's alerts")
    silence.add_argument("--for", dest="duration", required=True, help="e.g. 30m, 2h, 1d")
    silence.add_argument("--reason", required=True, help="why, for the board and the table")
    silence.add_argument("--by", default=None, help="who (default: the login name)")
    silence.set_defaults(handler=handle_silence)
    ack = sub.add_parser("ack", help="acknowledge an alert: no more reminders of it")
    ack.add_argument("alert_id", help="the alert_id from the message or the alerts table")
    ack.add_argument("--by", default=None, help="who (default: the login name)")
    ack.set_defaults(handler=handle_ack)


def handle_silence(args: argparse.Namespace) -> int:
    from agents.controls.model import SILENCE, Control

    seconds = duration_seconds(args.duration)
    if not args.shop.strip():
        msg = "--shop must name a shop"
        raise KefuError(msg)
    now = int(time.time() * 1000)
    control = Control(f"silence:{uuid.uuid4().hex}", SILENCE, args.shop, args.agent, "",
                      now + seconds * 1000, args.reason, _who(args), now)  # fmt: skip
    bootstrap = asyncio.run(_send(args, control))
    whom = f"shop {args.shop}" + (f" agent {args.agent}" if args.agent else "")
    print(f"silenced {whom} for {args.duration} ({control.control_id}) on {bootstrap}")
    return 0


def handle_ack(args: argparse.Namespace) -> int:
    from agents.controls.model import ACK, Control

    if not args.alert_id.strip():
        msg = "give the alert_id to acknowledge"
        raise KefuError(msg)
    shop, agent = _shop_and_agent(args.alert_id)
    now = int(time.time() * 1000)
    control = Control(f"ack:{args.alert_id}", ACK, shop, agent, args.alert_id, None, "",
                      _who(args), now)  # fmt: skip
    bootstrap = asyncio.run(_send(args, control))
    print(f"acked {args.alert_id} as {control.author} on {bootstrap}")
    return 0


def _shop_and_agent(alert_id: str) -> tuple[str, str]:
    """From a reply-rate id (rule:shop:agent:time), for the table; other rules may differ."""
    parts = alert_id.split(":")
    if len(parts) != 4:
        return "", ""
    return parts[1], "" if parts[2] == "*" else parts[2]


def _who(args: argparse.Namespace) -> str:
    return str(args.by or getpass.getuser())


async def _send(args: argparse.Namespace, control: Any) -> str:
    from aiokafka import AIOKafkaProducer
    from aiokafka.errors import KafkaError

    from core.errors import ServiceUnavailable
    from core.topics import ensure_topics, topics_for
    from pipeline.commands.options import settings_from

    settings = settings_from(args)
    bootstrap = settings.kafka_bootstrap
    if bootstrap is None:
        msg = (
            "alerts commands need KEFU_KAFKA_BOOTSTRAP (the embedded broker lives only in kefu run)"
        )
        raise KefuError(msg)
    await ensure_topics(bootstrap, settings)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    try:
        await producer.start()
        await producer.send_and_wait(
            topics_for(settings).alert_controls, control.to_json(), key=control.control_id.encode()
        )
    except KafkaError as exc:
        msg = f"cannot send to Kafka at {bootstrap}: {exc}"
        raise ServiceUnavailable(msg) from exc
    finally:
        await producer.stop()
    return bootstrap
