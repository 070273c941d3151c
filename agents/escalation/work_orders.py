"""Work orders (工单): opened by an escalation, then the fold of their lifecycle events.

The `work_orders` table is always this fold, so a card button, an ERP and `kefu orders`
change an order the same way: by publishing an event (docs/metrics.md, "Work orders").
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Literal

from agents.escalation.rules import Escalation
from agents.inquiries.hours import HoursFor
from core.settings import KefuSettings

Action = Literal["assigned", "acted", "resolved", "reopened", "first_action_due", "resolve_due"]
ACTIONS: tuple[Action, ...] = (
    "assigned",
    "acted",
    "resolved",
    "reopened",
    "first_action_due",
    "resolve_due",
)
# Who may publish which: people act on orders, the stream stage runs their clocks.
PERSON_ACTIONS = ACTIONS[:4]
CLOCKS = ACTIONS[4:]
State = Literal["open", "assigned", "acted", "resolved"]


@dataclass(slots=True, frozen=True)
class WorkOrder:
    work_order_id: str
    shop_id: str
    buyer_id: str
    agent_id: str
    rule: str
    priority: str
    owner: str
    state: State
    opened_at: int  # UTC epoch ms, as every time here
    first_action_at: int | None
    resolved_at: int | None
    first_action_due: int
    resolve_due: int
    breached_first_action: int
    breached_resolve: int
    business_date: date


@dataclass(slots=True, frozen=True)
class Lifecycle:
    """One lifecycle event; `to` names the new owner of an `assigned`."""

    work_order_id: str
    action: Action
    at: int
    by: str = ""
    to: str = ""


def open_order(escalation: Escalation, settings: KefuSettings, hours_for: HoursFor) -> WorkOrder:
    """The order an escalation opens; its id is the escalation's, so it opens once."""
    config = settings.work_orders
    priority = config.priorities[escalation.severity]
    sla = config.sla[priority]
    hours = hours_for(escalation.shop_id)
    opened = escalation.occurred_at
    owner = config.leads.get(escalation.agent_id) or settings.shop(escalation.shop_id).oncall_owner
    return WorkOrder(
        work_order_id=escalation.escalation_id,
        shop_id=escalation.shop_id,
        buyer_id=escalation.buyer_id,
        agent_id=escalation.agent_id,
        rule=escalation.rule,
        priority=priority,
        owner=owner,
        state="open",
        opened_at=opened,
        first_action_at=None,
        resolved_at=None,
        first_action_due=hours.add_service_ms(opened, sla.first_action_minutes * 60_000),
        resolve_due=hours.add_service_ms(opened, sla.resolve_minutes * 60_000),
        breached_first_action=0,
        breached_resolve=0,
        business_date=escalation.business_date,
    )


def fold(order: WorkOrder, event: Lifecycle) -> WorkOrder:
    """The order after one event; a late first action or resolution is a breach by itself."""
    action = event.action
    if action == "assigned":
        state: State = order.state if order.state in ("acted", "resolved") else "assigned"
        return replace(order, owner=event.to or order.owner, state=state)
    if action == "acted":
        return _first_action(replace(order, state="acted"), event.at)
    if action == "resolved":
        done = _first_action(order, event.at)
        late = 1 if event.at > order.resolve_due else order.breached_resolve
        return replace(done, state="resolved", resolved_at=event.at, breached_resolve=late)
    if action == "reopened":
        state = "acted" if order.first_action_at is not None else "open"
        return replace(order, state=state, resolved_at=None)
    if action == "first_action_due":
        return replace(order, breached_first_action=1) if order.first_action_at is None else order
    return replace(order, breached_resolve=1) if order.resolved_at is None else order


def _first_action(order: WorkOrder, at: int) -> WorkOrder:
    if order.first_action_at is not None:
        return order
    late = 1 if at > order.first_action_due else order.breached_first_action
    return replace(order, first_action_at=at, breached_first_action=late)


def clocks(order: WorkOrder) -> list[Lifecycle]:
    """Its SLA clocks running out, as events; the fold marks a breach if the work is not done.

    The stream stage publishes each once its event time passes it, so folding all of an
    order's events in time order gives the same flags whatever order they arrived in.
    """
    ident = order.work_order_id
    return [
        Lifecycle(ident, "first_action_due", order.first_action_due),
        Lifecycle(ident, "resolve_due", order.resolve_due),
    ]


def fold_all(order: WorkOrder, events: list[Lifecycle]) -> WorkOrder:
    """The order after all its events in time order; an action in a clock's last ms is in time."""
    for event in sorted(events, key=lambda e: (e.at, e.action in CLOCKS)):
        order = fold(order, event)
    return order
