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

Action = Literal[
    "assigned", "acted", "resolved", "reopened", "breached_first_action", "breached_resolve"
]
ACTIONS: tuple[Action, ...] = (
    "assigned",
    "acted",
    "resolved",
    "reopened",
    "breached_first_action",
    "breached_resolve",
)
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
    if action == "breached_first_action":
        return replace(order, breached_first_action=1)
    return replace(order, breached_resolve=1)


def _first_action(order: WorkOrder, at: int) -> WorkOrder:
    if order.first_action_at is not None:
        return order
    late = 1 if at > order.first_action_due else order.breached_first_action
    return replace(order, first_action_at=at, breached_first_action=late)


def due_breaches(order: WorkOrder, horizon_ms: int) -> list[Lifecycle]:
    """Breach events of SLA clocks that ran out by the horizon with the work not done."""
    found: list[Lifecycle] = []
    if (
        order.first_action_at is None
        and not order.breached_first_action
        and order.first_action_due <= horizon_ms
    ):
        found.append(
            Lifecycle(order.work_order_id, "breached_first_action", order.first_action_due)
        )
    if order.resolved_at is None and not order.breached_resolve and order.resolve_due <= horizon_ms:
        found.append(Lifecycle(order.work_order_id, "breached_resolve", order.resolve_due))
    return found
