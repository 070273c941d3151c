"""Escalations and the work orders they open, in one batch pass over a day's events.

Deliberately plain and independent of agents/escalation: conversations are sorted lists,
waits and runs are found by walking them, SLA due times by walking service windows with
datetimes. Only the settings model and the threat dictionary are shared: a threat is a QC
`complaint_threat` finding, the matching itself is tested with QC. Work orders carry no person's action; a clock breached if it ran out by `horizon_ms`.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from agents.qc.live_rules import LiveRules
from agents.qc.threats import complaint_threats
from core.settings import KefuSettings
from schemas.events import BaseEvent, ChatMessage, Rating, Refund


@dataclass(frozen=True)
class ExpectedOrder:
    work_order_id: str
    shop_id: str
    buyer_id: str
    agent_id: str
    rule: str
    priority: str
    owner: str
    opened_at: int
    first_action_due: int
    resolve_due: int
    breached_first_action: int
    breached_resolve: int
    business_date: date


def _local(ms: int, settings: KefuSettings, shop: str) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC).astimezone(settings.shop(shop).zone)


def _ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def _service_after(ms: int, minutes: float, settings: KefuSettings, shop: str) -> int:
    conf = settings.shop(shop)
    t = _local(ms, settings, shop)
    left = timedelta(minutes=minutes)
    while True:
        if t.time() < conf.service_start:
            t = datetime.combine(t.date(), conf.service_start, tzinfo=conf.zone)
        elif t.time() >= conf.service_end:
            t = datetime.combine(t.date() + timedelta(days=1), conf.service_start, tzinfo=conf.zone)
        close = datetime.combine(t.date(), conf.service_end, tzinfo=conf.zone)
        if t + left <= close:
            return _ms(t + left)
        left -= close - t
        t = close


def _found(
    events: list[BaseEvent], settings: KefuSettings, horizon_ms: int
) -> list[tuple[int, str, str]]:
    """(time, rule, agent) of every rule match of one conversation, in time order."""
    shop = settings.shop(events[0].shop_id)
    rules = LiveRules(settings.qc).rules
    found: list[tuple[int, str, str]] = []
    agent = ""
    run = 0
    wait: tuple[int, str] | None = None  # (due, agent)
    rejected: dict[str, int] = defaultdict(int)
    for e in events:
        at = e.occurred_at
        if isinstance(e, ChatMessage):
            agent = e.agent_id or agent
            if e.sender == "agent":
                if wait is not None and at >= wait[0]:
                    found.append((wait[0], "long_wait", wait[1]))
                wait, run = None, 0
            elif e.sender == "buyer":
                run += 1
                if wait is None:
                    opened = _service_after(at, 0, settings, e.shop_id)
                    wait = (opened + shop.escalate_after_seconds * 1000, agent)
                if run >= shop.unanswered_messages:
                    found.append((at, "repeated_unanswered", agent))
                if complaint_threats(rules, e.shop_id, e.text or ""):
                    found.append((at, "complaint_threat", agent))
        elif isinstance(e, Refund):
            who = e.agent_id or ""
            if e.status == "dispute_opened":
                found.append((at, "dispute_opened", who))
            if e.status == "rejected":
                rejected[e.refund_id] += 1
                if rejected[e.refund_id] == 2:
                    found.append((at, "refund_rejected_twice", who))
        elif isinstance(e, Rating):
            comment = (e.extra_fields() or {}).get("comment")
            if e.score <= 2 and isinstance(comment, str) and comment.strip():
                found.append((at, "low_rating", e.agent_id or ""))
    if wait is not None and wait[0] <= horizon_ms:
        found.append((wait[0], "long_wait", wait[1]))
    return found


def expected_orders(
    events: list[BaseEvent], settings: KefuSettings, horizon_ms: int
) -> list[ExpectedOrder]:
    conversations: dict[tuple[str, str], list[BaseEvent]] = defaultdict(list)
    for e in sorted(events, key=lambda e: e.occurred_at):
        buyer: Any = getattr(e, "buyer_id", "")
        conversations[(e.shop_id, buyer)].append(e)
    orders: dict[str, ExpectedOrder] = {}
    for (shop_id, buyer), conv in conversations.items():
        severities = settings.shop(shop_id).escalation_rules
        for at, rule, agent in sorted(_found(conv, settings, horizon_ms)):
            if rule not in severities:
                continue
            day = _local(at, settings, shop_id).date()
            key = f"{shop_id}\x1f{buyer}\x1f{rule}\x1f{day.isoformat()}"
            ident = hashlib.sha256(key.encode()).hexdigest()[:24]
            if ident in orders:
                continue
            priority = settings.work_orders.priorities[severities[rule]]
            sla = settings.work_orders.sla[priority]
            first = _service_after(at, sla.first_action_minutes, settings, shop_id)
            resolve = _service_after(at, sla.resolve_minutes, settings, shop_id)
            owner = settings.work_orders.leads.get(agent) or settings.shop(shop_id).oncall_owner
            orders[ident] = ExpectedOrder(
                ident,
                shop_id,
                buyer,
                agent,
                rule,
                priority,
                owner,
                at,
                first,
                resolve,
                int(first <= horizon_ms),
                int(resolve <= horizon_ms),
                day,
            )
    return sorted(orders.values(), key=lambda o: o.work_order_id)


def breach_rates(orders: list[ExpectedOrder]) -> dict[tuple[str, str, date], tuple[int, int, int]]:
    """(orders, first-action breaches, resolve breaches) per shop, agent and business date."""
    out: dict[tuple[str, str, date], list[int]] = defaultdict(lambda: [0, 0, 0])
    for o in orders:
        row = out[(o.shop_id, o.agent_id, o.business_date)]
        row[0] += 1
        row[1] += o.breached_first_action
        row[2] += o.breached_resolve
    return {k: (v[0], v[1], v[2]) for k, v in out.items()}
