"""Refund lifecycles (售后单): requested -> agreed/rejected -> ... -> refunded or disputed."""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

from pipeline.generator.clock import DAY, HOUR, MINUTE, SECOND, in_service, next_service_start
from pipeline.generator.events import EventFactory
from pipeline.generator.world import Agent

_JUDGEMENTS = ("merchant", "buyer", "platform", "none")
_JUDGEMENT_WEIGHTS = (0.35, 0.35, 0.1, 0.2)


@dataclass(frozen=True)
class RefundCase:
    refund_id: str
    rejected: bool


@dataclass(frozen=True)
class _Refund:
    out: EventFactory
    refund_id: str
    order_id: str
    buyer_id: str
    fen: int

    def emit(
        self, ms: int, status: str, agent: Agent | None, responsibility: str | None = None
    ) -> None:
        self.out.refund(
            ms,
            self.refund_id,
            self.order_id,
            self.buyer_id,
            agent.agent_id if agent else None,
            status,
            self.fen,
            responsibility,
        )


def open_refund(
    out: EventFactory,
    rng: Random,
    buyer_id: str,
    order_id: str,
    order_fen: int,
    requested: int,
    handler: Agent | None,
) -> RefundCase:
    """Emit a refund's states from `requested` on; returns whether the shop rejected it."""
    fen = order_fen if rng.random() < 0.8 else int(order_fen * rng.uniform(0.2, 0.7))
    refund = _Refund(out, out.mint.refund_id(), order_id, buyer_id, fen)
    refund.emit(requested, "requested", None)
    if rng.random() < 0.07:
        refund.emit(requested + int(rng.uniform(5 * MINUTE, 12 * HOUR)), "cancelled", None)
        return RefundCase(refund.refund_id, rejected=False)
    if rng.random() < 0.15:
        # 极速退款: the platform agrees at once and refunds; no agent involved.
        agreed = requested + int(rng.uniform(2 * SECOND, 60 * SECOND))
        refund.emit(agreed, "agreed", None)
        refund.emit(agreed + int(rng.uniform(MINUTE, 30 * MINUTE)), "refunded", None)
        return RefundCase(refund.refund_id, rejected=False)
    decided, agent = _decision(out, rng, requested, handler)
    if rng.random() < 0.78:
        _agreed(refund, rng, decided, agent)
        return RefundCase(refund.refund_id, rejected=False)
    _rejected(refund, rng, decided, agent)
    return RefundCase(refund.refund_id, rejected=True)


def _agreed(refund: _Refund, rng: Random, decided: int, agent: Agent | None) -> None:
    """Refund only, or return the goods first and be refunded when they arrive."""
    refund.emit(decided, "agreed", agent)
    done = decided + int(rng.uniform(MINUTE, 3 * HOUR))
    if rng.random() < 0.55:
        returned = decided + int(rng.uniform(6 * HOUR, 3 * DAY))
        refund.emit(returned, "goods_returned", agent)
        done = returned + int(rng.uniform(10 * MINUTE, 24 * HOUR))
    refund.emit(done, "refunded", agent)


def _rejected(refund: _Refund, rng: Random, decided: int, agent: Agent | None) -> None:
    """Some rejected buyers escalate; the platform judges who is responsible."""
    refund.emit(decided, "rejected", agent)
    if rng.random() >= 0.35:
        return
    opened = decided + int(rng.uniform(HOUR, 2 * DAY))
    refund.emit(opened, "dispute_opened", None)
    closed = opened + int(rng.uniform(DAY, 5 * DAY))
    judged = rng.choices(_JUDGEMENTS, _JUDGEMENT_WEIGHTS)[0]
    refund.emit(closed, "dispute_closed", None, judged)
    if judged in ("merchant", "platform"):
        refund.emit(closed + int(rng.uniform(HOUR, DAY)), "refunded", agent)


def _decision(
    out: EventFactory, rng: Random, requested: int, handler: Agent | None
) -> tuple[int, Agent | None]:
    """After-sales decides within service hours, usually within the hour."""
    shop = out.shop
    start = requested
    if not in_service(start, shop.offset_ms):
        start = next_service_start(start, shop.offset_ms) + int(rng.uniform(0, HOUR))
    decided = start + int(min(rng.lognormvariate(7.3, 1.0), 12 * 3600) * SECOND)
    if handler and handler.on_shift(decided, shop.offset_ms) and not handler.silent(decided):
        return decided, handler
    agent = shop.pick_responsive(rng, decided)
    if agent is None:
        decided = next_service_start(decided, shop.offset_ms) + int(rng.uniform(0, HOUR))
        agent = shop.pick_responsive(rng, decided)
    return decided, agent
