"""The work-order book: escalations and lifecycle events in, the `work_orders` fold out.

Per batch: store the escalations and lifecycle events as they came (both tables collapse
a redelivery), then fold every order the batch touched from all its stored events, raise
an SLA alert for each clock that newly breached, store the new order rows, and only then
ack. The fold reads only stored events, so a crash anywhere replays into the same rows and
alert ids, and the table is always the fold of the events (docs/metrics.md, "Work orders").
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

import faust
from faust.types import EventT, StreamT

from agents.alarms.model import FIRING, Alert
from agents.escalation.rules import Escalation
from agents.escalation.wire import decode, lifecycle_id
from agents.escalation.work_orders import Lifecycle, WorkOrder, fold_all, open_order
from agents.inquiries.hours import HoursFor
from agents.manual_acks import manual_acks, unacked_batches
from core.settings import KefuSettings
from core.topics import topics_for
from schemas.timestamps import from_epoch_ms
from sinks.store import Store
from sinks.writer import BatchWriter

log = logging.getLogger(__name__)

BATCH = 500
# A batch costs two inserts and three FINAL reads whatever its size (about 0.1 s of the
# store's time under load, measured on a paced worker): a second bounds that to a tenth of
# the store's time, and SLA clocks run in minutes.
WITHIN_SECONDS = 1.0
FIRST_ACTION_SLA = "work_order_first_action_sla"
RESOLVE_SLA = "work_order_resolve_sla"
SLA_RULES = (FIRST_ACTION_SLA, RESOLVE_SLA)
IDS_PER_QUERY = 50

_ESCALATIONS = """
SELECT escalation_id, shop_id, buyer_id, agent_id, rule, severity,
    toUnixTimestamp64Milli(occurred_at), business_date, detail
FROM escalations FINAL WHERE escalation_id IN {ids:Array(String)}
"""
_EVENTS = """
SELECT work_order_id, action, toUnixTimestamp64Milli(at), by, to
FROM work_order_events FINAL WHERE work_order_id IN {ids:Array(String)}
"""
_BREACHED = """
SELECT work_order_id, breached_first_action, breached_resolve
FROM work_orders FINAL WHERE work_order_id IN {ids:Array(String)}
"""


def escalation_row(e: Escalation) -> tuple[object, ...]:
    return (
        e.escalation_id,
        e.shop_id,
        e.buyer_id,
        e.agent_id,
        e.rule,
        e.severity,
        from_epoch_ms(e.occurred_at),
        e.business_date,
        e.detail,
    )


def event_row(e: Lifecycle, received: datetime) -> tuple[object, ...]:
    return (lifecycle_id(e), e.work_order_id, e.action, from_epoch_ms(e.at), e.by, e.to, received)


def order_row(o: WorkOrder, version: int) -> tuple[object, ...]:
    def maybe(ms: int | None) -> datetime | None:
        return None if ms is None else from_epoch_ms(ms)

    return (
        o.work_order_id,
        o.shop_id,
        o.buyer_id,
        o.agent_id,
        o.rule,
        o.priority,
        o.owner,
        o.state,
        from_epoch_ms(o.opened_at),
        maybe(o.first_action_at),
        maybe(o.resolved_at),
        from_epoch_ms(o.first_action_due),
        from_epoch_ms(o.resolve_due),
        o.breached_first_action,
        o.breached_resolve,
        o.business_date,
        version,
    )


def sla_alerts(order: WorkOrder, before: tuple[int, int], now_ms: int) -> list[Alert]:
    """An alert per clock this fold breached first; its id is the order's, so once ever."""
    found = []
    clocks = (
        (FIRST_ACTION_SLA, order.breached_first_action, before[0], order.first_action_due),
        (RESOLVE_SLA, order.breached_resolve, before[1], order.resolve_due),
    )
    for rule, now_breached, was_breached, due in clocks:
        if now_breached and not was_breached:
            found.append(_alert(order, rule, due, now_ms))
    return found


def _alert(order: WorkOrder, rule: str, due: int, now_ms: int) -> Alert:
    what = "首次处理" if rule == FIRST_ACTION_SLA else "解决"
    message = (
        f"【工单超时】店铺 {order.shop_id} 工单 {order.work_order_id} {what}超时\n"
        f"规则 {order.rule}，优先级 {order.priority}，负责人 {order.owner}，买家 {order.buyer_id}"
        + (f"，客服 {order.agent_id}" if order.agent_id else "")
        + f"\n处理：kefu orders act {order.work_order_id} --by 姓名"
    )
    return Alert(
        alert_id=f"{rule}:{order.work_order_id}",
        rule=rule,
        shop_id=order.shop_id,
        agent_id=order.agent_id,
        state=FIRING,
        value=None,
        threshold=None,
        inquiries=0,
        window_start_ms=order.opened_at,
        window_end_ms=due,
        event_time_ms=due,
        raised_at_ms=now_ms,
        message=message,
    )


class WorkOrderBook:
    def __init__(self, settings: KefuSettings, store: Store, hours_for: HoursFor) -> None:
        self.settings = settings
        self.store = store
        self.hours_for = hours_for
        self.writer = BatchWriter(store)

    async def store_inputs(self, batch: Sequence[EventT], token: str) -> set[str]:
        """Stores the batch's messages; returns the ids of the orders they touch."""
        received = datetime.now(UTC)
        touched: set[str] = set()
        for event in batch:
            try:
                item = decode(event.value or b"")
            except ValueError:
                # Only our stage, `kefu orders` and the endpoint write these topics, and
                # the last two validate first: a bad message here is our bug, not input.
                log.exception(
                    "skipping a bad work-order message at offset %d", event.message.offset
                )
                continue
            if isinstance(item, Escalation):
                self.writer.add("escalations", escalation_row(item))
                touched.add(item.escalation_id)
            else:
                self.writer.add("work_order_events", event_row(item, received))
                touched.add(item.work_order_id)
        await self.writer.flush(token_prefix=f"wo-in:{token}")
        return touched

    async def refold(self, ids: set[str]) -> list[Alert]:
        """Folds the touched orders from the store; returns the alerts to raise first."""
        wanted = sorted(ids)
        # Through the writer: a store that is away is waited for, not a crash of the stage.
        orders, before = await self.writer.call(lambda _: self._fold_from_store(wanted))
        now_ms = int(datetime.now(UTC).timestamp() * 1000)
        alerts: list[Alert] = []
        for order, version in orders:
            alerts += sla_alerts(order, before.get(order.work_order_id, (0, 0)), now_ms)
            self.writer.add("work_orders", order_row(order, version))
        return alerts

    async def store_orders(self, token: str) -> None:
        await self.writer.flush(token_prefix=f"wo-out:{token}")

    def _fold_from_store(
        self, ids: list[str]
    ) -> tuple[list[tuple[WorkOrder, int]], dict[str, tuple[int, int]]]:
        orders: list[tuple[WorkOrder, int]] = []
        before: dict[str, tuple[int, int]] = {}
        # Query parameters travel in the URL of a ClickHouse server: keep each list short.
        for start in range(0, len(ids), IDS_PER_QUERY):
            some, was = self._fold_some(ids[start : start + IDS_PER_QUERY])
            orders += some
            before |= was
        return orders, before

    def _fold_some(
        self, ids: list[str]
    ) -> tuple[list[tuple[WorkOrder, int]], dict[str, tuple[int, int]]]:
        params = {"ids": ids}
        events: dict[str, list[Lifecycle]] = {}
        for oid, action, at, by, to in self.store.query(_EVENTS, params).rows:
            events.setdefault(oid, []).append(Lifecycle(oid, action, int(at), by, to))
        before = {r[0]: (int(r[1]), int(r[2])) for r in self.store.query(_BREACHED, params).rows}
        orders = []
        for row in self.store.query(_ESCALATIONS, params).rows:
            ident, shop, buyer, agent, rule, severity, at, day, detail = row
            escalation = Escalation(ident, shop, buyer, agent, rule, severity, int(at), day, detail)
            opened = open_order(escalation, self.settings, self.hours_for)
            mine = events.get(escalation.escalation_id, [])
            # Events only accumulate, so their count orders the versions of a row.
            orders.append((fold_all(opened, mine), len(mine) + 1))
        return orders, before


def install(app: faust.App, book: WorkOrderBook) -> None:
    topics = topics_for(book.settings)
    source = app.topic(
        topics.escalations, topics.work_order_events, value_serializer="raw", key_serializer="raw"
    )
    alerts = app.topic(topics.alerts, value_serializer="raw", key_serializer="raw")

    @app.agent(source, name="kefu.work-orders")
    async def work_orders(stream: StreamT) -> None:
        manual = manual_acks(stream)
        async for batch in unacked_batches(manual, BATCH, WITHIN_SECONDS):
            first, last = batch[0].message, batch[-1].message
            token = f"{first.topic}:{first.offset}-{last.topic}:{last.offset}"
            touched = await book.store_inputs(batch, token)
            raised = await book.refold(touched) if touched else []
            sent = [await alerts.send(key=a.shop_id.encode(), value=a.to_json()) for a in raised]
            for future in sent:
                await future
            await book.store_orders(token)
            for event in batch:
                await manual.ack(event)
