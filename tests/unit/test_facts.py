"""Refund and order folds give the same state whatever order their events arrive in."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from agents.facts.orders import OrderState, apply_order
from agents.facts.refunds import RefundState, apply_refund

T0 = 1763863200000


def refund(
    event_id: str, status: str, at_s: int, agent: str | None = None, **more: Any
) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "shop_id": "s1",
        "occurred_at": T0 + at_s * 1000,
        "refund_id": "R1",
        "order_id": "O1",
        "buyer_id": "b1",
        "agent_id": agent,
        "status": status,
        "amount": "59.90",
        **more,
    }


LIFECYCLE = [
    refund("e1", "requested", 0),
    refund("e2", "rejected", 600, "a1"),
    refund("e3", "dispute_opened", 900),
    refund("e4", "agreed", 1200, "a2"),
    refund("e5", "dispute_closed", 3000, responsibility="merchant"),
    refund("e6", "refunded", 4000),
]


def fold(events: list[dict[str, Any]]) -> RefundState:
    state = None
    for event in events:
        state = apply_refund(state, event)
    assert state is not None
    return state


def test_refund_lifecycle() -> None:
    state = fold(LIFECYCLE)
    assert state.status == "refunded"
    assert state.processing_seconds == 600
    assert state.completion_seconds == 4000
    assert state.disputed and state.merchant_responsible
    assert state.agent_id == "a2"


@given(st.permutations(LIFECYCLE + LIFECYCLE[:2]))
def test_refund_fold_ignores_arrival_order_and_duplicates(events: list[dict[str, Any]]) -> None:
    assert fold(list(events)).dump() == fold(LIFECYCLE).dump()


def test_refund_state_survives_a_checkpoint() -> None:
    state = fold(LIFECYCLE)
    assert RefundState.load(state.dump()) == state


def test_order_keeps_first_paid_time_and_latest_status() -> None:
    base = {"shop_id": "s1", "order_id": "O1", "buyer_id": "b1", "amount": "10.00"}
    events = [
        {**base, "event_id": "o1", "status": "created", "occurred_at": T0},
        {**base, "event_id": "o2", "status": "paid", "occurred_at": T0 + 5000},
        {**base, "event_id": "o3", "status": "paid", "occurred_at": T0 + 9000},
        {**base, "event_id": "o4", "status": "shipped", "occurred_at": T0 + 90000},
    ]
    for order in itertools.permutations(events):
        state: OrderState | None = None
        for event in order:
            state = apply_order(state, event)
        assert state is not None
        assert (state.status, state.paid_at, state.created_at) == ("shipped", T0 + 5000, T0)
        assert OrderState.load(state.dump()) == state
