"""A refund's state from its events (docs/metrics.md#after-sales), whatever order they arrive in."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

Stamp = tuple[int, str]  # (occurred_at ms, event_id): the order that decides

DECISIONS = ("agreed", "rejected")


@dataclass(slots=True)
class RefundState:
    refund_id: str
    shop_id: str
    order_id: str
    buyer_id: str
    latest: Stamp
    status: str
    amount: str
    agent_stamp: Stamp | None = None
    agent_id: str = ""
    requested_at: int | None = None
    decided_at: int | None = None
    refunded_at: int | None = None
    disputed: bool = False
    closed_stamp: Stamp | None = None
    responsibility: str | None = None

    @property
    def processing_seconds(self) -> float | None:
        return _span(self.requested_at, self.decided_at)

    @property
    def completion_seconds(self) -> float | None:
        return _span(self.requested_at, self.refunded_at)

    @property
    def merchant_responsible(self) -> bool:
        return self.responsibility == "merchant"

    def dump(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def load(cls, data: dict[str, Any]) -> RefundState:
        for key in ("latest", "agent_stamp", "closed_stamp"):
            if data.get(key) is not None:
                data[key] = tuple(data[key])
        return cls(**data)


def _span(start: int | None, end: int | None) -> float | None:
    if start is None or end is None:
        return None
    return (end - start) / 1000


def _earliest(current: int | None, at: int) -> int:
    return at if current is None else min(current, at)


def apply_refund(state: RefundState | None, event: dict[str, Any]) -> RefundState:
    at: int = event["occurred_at"]
    stamp: Stamp = (at, event["event_id"])
    status: str = event["status"]
    if state is None:
        state = RefundState(
            refund_id=event["refund_id"],
            shop_id=event["shop_id"],
            order_id=event["order_id"],
            buyer_id=event["buyer_id"],
            latest=stamp,
            status=status,
            amount=event["amount"],
        )
    elif stamp > state.latest:
        state.latest, state.status, state.amount = stamp, status, event["amount"]
    if event.get("agent_id") and (state.agent_stamp is None or stamp > state.agent_stamp):
        state.agent_stamp, state.agent_id = stamp, event["agent_id"]
    if status == "requested":
        state.requested_at = _earliest(state.requested_at, at)
    elif status in DECISIONS:
        state.decided_at = _earliest(state.decided_at, at)
    elif status == "refunded":
        state.refunded_at = _earliest(state.refunded_at, at)
    elif status == "dispute_opened":
        state.disputed = True
    elif status == "dispute_closed" and (state.closed_stamp is None or stamp > state.closed_stamp):
        state.closed_stamp, state.responsibility = stamp, event.get("responsibility")
    return state
