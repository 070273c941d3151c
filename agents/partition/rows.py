"""Table rows from canonical events and engine output, in the column order of sinks.tables."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson

from agents.facts.orders import OrderState
from agents.facts.refunds import RefundState
from agents.inquiries.model import Inquiry
from schemas.timestamps import from_epoch_ms

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


def _ts(ms: int | None) -> datetime | None:
    return None if ms is None else from_epoch_ms(ms)


def _extra(event: dict[str, Any], known: frozenset[str]) -> str:
    extra = {k: v for k, v in event.items() if k not in known}
    return orjson.dumps(extra).decode() if extra else "{}"


def chat_row(event: dict[str, Any], ingested: datetime) -> Row:
    return (
        event["event_id"],
        event["shop_id"],
        event["buyer_id"],
        event["sender"],
        event.get("agent_id") or "",
        from_epoch_ms(event["occurred_at"]),
        event.get("msg_type") or "text",
        event.get("text"),
        event.get("order_id"),
        _extra(event, _CHAT_FIELDS),
        ingested,
    )


def rating_row(event: dict[str, Any], business_date: BusinessDate) -> Row:
    return (
        event["event_id"],
        event["shop_id"],
        event["buyer_id"],
        event.get("agent_id") or "",
        event["score"],
        from_epoch_ms(event["occurred_at"]),
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
        from_epoch_ms(event["occurred_at"]),
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
        _ts(state.requested_at),
        _ts(state.decided_at),
        _ts(state.refunded_at),
        int(state.disputed),
        state.responsibility,
        state.processing_seconds,
        state.completion_seconds,
        _ts(closed),
        int(state.merchant_responsible),
        from_epoch_ms(state.latest[0]),
        version,
    )


def order_row(state: OrderState, version: int) -> Row:
    return (
        state.order_id,
        state.shop_id,
        state.buyer_id,
        state.status,
        Decimal(state.amount),
        _ts(state.created_at),
        _ts(state.paid_at),
        _ts(state.grouped_at),
        from_epoch_ms(state.latest[0]),
        version,
    )


def inquiry_row(inquiry: Inquiry, version: int, deleted: bool) -> Row:
    return (
        inquiry.shop_id,
        inquiry.buyer_id,
        inquiry.inquiry_id,
        inquiry.agent_id,
        from_epoch_ms(inquiry.opened_at_ms),
        from_epoch_ms(inquiry.effective_opened_at_ms),
        _ts(inquiry.answered_at_ms),
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
