"""Escalations and lifecycle events as JSON on their topics: the contract between the
escalation stage, the work-order book, `kefu orders` and the HTTP endpoint."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

import orjson

from agents.escalation.rules import Escalation
from agents.escalation.work_orders import ACTIONS, PERSON_ACTIONS, Lifecycle

FORMAT_VERSION = 1


def escalation_json(escalation: Escalation) -> bytes:
    return orjson.dumps(
        {
            "v": FORMAT_VERSION,
            "escalation_id": escalation.escalation_id,
            "shop_id": escalation.shop_id,
            "buyer_id": escalation.buyer_id,
            "agent_id": escalation.agent_id,
            "rule": escalation.rule,
            "severity": escalation.severity,
            "occurred_at": escalation.occurred_at,
            "business_date": escalation.business_date.isoformat(),
            "detail": escalation.detail,
        }
    )


def lifecycle_json(event: Lifecycle) -> bytes:
    return orjson.dumps(
        {
            "v": FORMAT_VERSION,
            "work_order_id": event.work_order_id,
            "action": event.action,
            "at": event.at,
            "by": event.by,
            "to": event.to,
        }
    )


def lifecycle_id(event: Lifecycle) -> str:
    """The same event sent twice (a retried button, a replayed clock) is stored once."""
    key = f"{event.work_order_id}\x1f{event.action}\x1f{event.at}\x1f{event.by}\x1f{event.to}"
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def decode(raw: bytes) -> Escalation | Lifecycle:
    """Either message; ValueError with a readable reason for anything else."""
    try:
        body: dict[str, Any] = orjson.loads(raw)
        if body.get("v") != FORMAT_VERSION:
            msg = f"format {body.get('v')!r} is not {FORMAT_VERSION}"
            raise ValueError(msg)
        if "escalation_id" in body:
            return Escalation(
                str(body["escalation_id"]),
                str(body["shop_id"]),
                str(body["buyer_id"]),
                str(body["agent_id"]),
                body["rule"],
                body["severity"],
                int(body["occurred_at"]),
                date.fromisoformat(body["business_date"]),
                str(body["detail"]),
            )
        action = body["action"]
        if action not in ACTIONS:
            msg = f"unknown work-order action {action!r}"
            raise ValueError(msg)
        return Lifecycle(
            str(body["work_order_id"]),
            action,
            int(body["at"]),
            str(body.get("by") or ""),
            str(body.get("to") or ""),
        )
    except (KeyError, TypeError, orjson.JSONDecodeError) as exc:
        msg = f"not an escalation or work-order event: {exc!r}"
        raise ValueError(msg) from exc


def person_event(work_order_id: str, action: str, by: str, to: str, at_ms: int) -> Lifecycle:
    """A person's action from the CLI or the HTTP endpoint; ValueError says what is wrong."""
    if not work_order_id.strip():
        msg = "a work order id is required"
        raise ValueError(msg)
    if action not in PERSON_ACTIONS:
        msg = f"unknown action {action!r}; one of {', '.join(PERSON_ACTIONS)}"
        raise ValueError(msg)
    if action == "assigned" and not to.strip():
        msg = "assign needs the new owner (--to, or `to` in the request body)"
        raise ValueError(msg)
    return Lifecycle(work_order_id.strip(), action, at_ms, by.strip(), to.strip())
