"""Refunds and orders that left the stream's memory (docs/metrics.md#memory-horizons), read back from the store.

A later event of a forgotten refund or order must build on its stored row, or the row it
writes would lose what the earlier events set. The stored rows carry event times but not
event ids, so the restored stamps have empty ids: a later event sorts after them anyway.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agents.facts.orders import OrderState
from agents.facts.refunds import RefundState
from sinks.store import Store

# The first event of each; an unknown id arriving with any other status may be forgotten.
_FIRST = {"refund": "requested", "order": "created"}

_REFUNDS_SQL = """
SELECT refund_id, shop_id, order_id, buyer_id, agent_id, status, toString(amount),
       toUnixTimestamp64Milli(requested_at), toUnixTimestamp64Milli(decided_at),
       toUnixTimestamp64Milli(refunded_at), disputed, responsibility,
       toUnixTimestamp64Milli(dispute_closed_at), toUnixTimestamp64Milli(updated_at)
FROM {database}.refunds FINAL
WHERE shop_id IN {{shops:Array(String)}} AND refund_id IN {{ids:Array(String)}}
"""
_ORDERS_SQL = """
SELECT order_id, shop_id, buyer_id, status, toString(amount),
       toUnixTimestamp64Milli(created_at), toUnixTimestamp64Milli(paid_at),
       toUnixTimestamp64Milli(grouped_at), toUnixTimestamp64Milli(updated_at)
FROM {database}.orders FINAL
WHERE shop_id IN {{shops:Array(String)}} AND order_id IN {{ids:Array(String)}}
"""


@dataclass(slots=True)
class Recalled:
    refunds: dict[str, RefundState] = field(default_factory=dict)
    orders: dict[str, OrderState] = field(default_factory=dict)


def unknown(
    events: list[dict[str, Any]], refunds: dict[str, RefundState], orders: dict[str, OrderState]
) -> list[dict[str, Any]]:
    """Refund and order events of ids not in memory that are not their first event."""
    return [
        e
        for e in events
        if e["type"] in _FIRST
        and e["status"] != _FIRST[e["type"]]
        and e[f"{e['type']}_id"] not in (refunds if e["type"] == "refund" else orders)
    ]


def recall(store: Store, events: list[dict[str, Any]]) -> Recalled:
    """The stored state of the refunds and orders of `events` (blocking: use a thread)."""
    out = Recalled()
    for kind, sql in (("refund", _REFUNDS_SQL), ("order", _ORDERS_SQL)):
        mine = [e for e in events if e["type"] == kind]
        if not mine:
            continue
        params = {
            "shops": sorted({e["shop_id"] for e in mine}),
            "ids": sorted({e[f"{kind}_id"] for e in mine}),
        }
        for row in store.query(sql.format(database=store.database), params).rows:
            if kind == "refund":
                out.refunds[row[0]] = _refund(row)
            else:
                out.orders[row[0]] = _order(row)
    return out


def _refund(row: tuple[Any, ...]) -> RefundState:
    rid, shop, order, buyer, agent, status, amount, req, dec, ref, disputed, resp, closed, upd = row
    return RefundState(
        refund_id=rid,
        shop_id=shop,
        order_id=order,
        buyer_id=buyer,
        latest=(upd, ""),
        status=status,
        amount=amount,
        agent_stamp=(upd, "") if agent else None,
        agent_id=agent,
        requested_at=req,
        decided_at=dec,
        refunded_at=ref,
        disputed=bool(disputed),
        closed_stamp=None if closed is None else (closed, ""),
        responsibility=resp,
    )


def _order(row: tuple[Any, ...]) -> OrderState:
    oid, shop, buyer, status, amount, created, paid, grouped, updated = row
    return OrderState(
        order_id=oid,
        shop_id=shop,
        buyer_id=buyer,
        latest=(updated, ""),
        status=status,
        amount=amount,
        created_at=created,
        paid_at=paid,
        grouped_at=grouped,
    )
