"""An order's state from its events, whatever order they arrive in."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

Stamp = tuple[int, str]


@dataclass(slots=True)
class OrderState:
    order_id: str
    shop_id: str
    buyer_id: str
    latest: Stamp
    status: str
    amount: str
    created_at: int | None = None
    paid_at: int | None = None
    grouped_at: int | None = None

    def dump(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def load(cls, data: dict[str, Any]) -> OrderState:
        data["latest"] = tuple(data["latest"])
        return cls(**data)


_FIRST_TIME_OF = {"created": "created_at", "paid": "paid_at", "grouped": "grouped_at"}


def apply_order(state: OrderState | None, event: dict[str, Any]) -> OrderState:
    at: int = event["occurred_at"]
    stamp: Stamp = (at, event["event_id"])
    if state is None:
        state = OrderState(
            order_id=event["order_id"],
            shop_id=event["shop_id"],
            buyer_id=event["buyer_id"],
            latest=stamp,
            status=event["status"],
            amount=event["amount"],
        )
    elif stamp > state.latest:
        state.latest, state.status, state.amount = stamp, event["status"], event["amount"]
    field = _FIRST_TIME_OF.get(event["status"])
    if field is not None:
        current = getattr(state, field)
        setattr(state, field, at if current is None else min(current, at))
    return state
