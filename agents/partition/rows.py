"""Table rows from canonical events and engine output, in the column order of sinks.tables.

Time columns (all DateTime64(3)) carry epoch milliseconds as ints: the Native codec writes
an int as the column's ticks, so no datetime is made here only to be taken apart again in
the sink thread.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import orjson

from agents.facts.orders import OrderState
from agents.facts.refunds import RefundState
from schemas.inquiry import Inquiry

Row = tuple[Any, ...]
BusinessDate = Callable[[str, int], date]

_CHAT_FIELDS = frozenset(
    {
        "event_id",
        "type",
        "shop_id",
        "occurred_at",
        "buyer_id",
        "sender",
        "agent_id",
        "msg_type",
        "text",
        "order_id",
    }
)


def _extra(event: dict[str, Any], known: frozenset[str]) -> str:
    if known.issuperset(event):  # the usual case, checked in C
        return "{}"
    extra = {k: v for k, v in event.items() if k not in known}
    return orjson.dumps(extra).decode()


def chat_row(event: dict[str, Any], ingested_ms: int) -> Row:
    return (
        event["event_id"],
        event["shop_id"],
        event["buyer_id"],
        event["sender"],
        event.get("agent_id") or "",
        event["occurred_at"],
        event.get("msg_type") or "text",
        event.get("text"),
        event.get("order_id"),
        _extra(event, _CHAT_FIELDS),
        ingested_ms,
    )


def rating_row(event: dict[str, Any], business_date: BusinessDate) -> Row:
    return (
        event["event_id"],
        event["shop_id"],
        event["buyer_id"],
        event.get("agent_id") or "",
        event["score"],
        event["occurred_at"],
        business_date(event["shop_id"], event["occurred_at"]),
    )


def complaint_row(event: dict[str, Any], business_date: BusinessDate) -> Row:
    return (
        event["complaint_id"],
        event["shop_id"],
        event["buyer_id"],
        event.get("agent_id") or "",
        event.get("order_id"),
        event["category"],
        event["occurred_at"],
        event["event_id"],
        business_date(event["shop_id"], event["occurred_at"]),
    )


def refund_row(state: RefundState, version: int) -> Row:
    closed = state.closed_stamp[0] if state.closed_stamp else None
    return (
        state.refund_id,
        state.shop_id,
        state.order_id,
        state.buyer_id,
        state.agent_id,
        state.status,
        Decimal(state.amount),
        state.requested_at,
        state.decided_at,
        state.refunded_at,
        int(state.disputed),
        state.responsibility,
        state.processing_seconds,
        state.completion_seconds,
        closed,
        int(state.merchant_responsible),
        state.latest[0],
        version,
    )


def order_row(state: OrderState, version: int) -> Row:
    return (
        state.order_id,
        state.shop_id,
        state.buyer_id,
        state.status,
        Decimal(state.amount),
        state.created_at,
        state.paid_at,
        state.grouped_at,
        state.latest[0],
        version,
    )


def inquiry_row(inquiry: Inquiry, version: int, deleted: bool) -> Row:
    return (
        inquiry.shop_id,
        inquiry.buyer_id,
        inquiry.inquiry_id,
        inquiry.agent_id,
        inquiry.opened_at_ms,
        inquiry.effective_opened_at_ms,
        inquiry.answered_at_ms,
        inquiry.answered_by,
        inquiry.response_seconds,
        inquiry.within_30s,
        inquiry.within_3m,
        inquiry.within_5m,
        inquiry.business_date,
        inquiry.status,
        inquiry.in_8_23,
        inquiry.raw_response_seconds,
        version,
        int(deleted),
    )
