"""Order lifecycles: created -> paid (-> grouped) -> shipped -> completed, or cancelled."""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

from pipeline.generator.clock import DAY, HOUR, MINUTE, SECOND, format_rfc3339
from pipeline.generator.events import EventFactory


@dataclass(frozen=True)
class Purchase:
    order_id: str
    fen: int
    paid_at: int | None


def basket(rng: Random, catalog: tuple[tuple[str, int], ...]) -> tuple[str, int]:
    """A product title and the order value in fen (quantity 1-3)."""
    title, price = rng.choice(catalog)
    quantity = rng.choices((1, 2, 3), (0.8, 0.15, 0.05))[0]
    return title, price * quantity


def new_order_id(out: EventFactory, ms: int) -> str:
    return out.mint.order_id(format_rfc3339(ms, out.shop.offset_ms)[:10])


def past_order_id(out: EventFactory, rng: Random, ms: int) -> str:
    """An order placed days before the window, which after-sales talk refers to."""
    return new_order_id(out, ms - int(rng.uniform(1 * DAY, 10 * DAY)))


def place_order(out: EventFactory, rng: Random, buyer_id: str, created: int, fen: int) -> Purchase:
    """Emit the order's whole future; what falls after the window is dropped downstream."""
    order_id = new_order_id(out, created)
    out.order(created, order_id, buyer_id, "created", fen)
    if rng.random() < 0.06:
        # Never paid: the platform cancels unpaid orders.
        expired = created + int(rng.uniform(15 * MINUTE, 24 * HOUR))
        out.order(expired, order_id, buyer_id, "cancelled", fen)
        return Purchase(order_id, fen, None)
    paid = created + int(rng.lognormvariate(3.0, 1.0) * SECOND) + SECOND
    out.order(paid, order_id, buyer_id, "paid", fen)
    ready = paid
    if rng.random() < 0.75:
        # Group buys (拼单) form within minutes when a group is already open, else hours.
        quick = rng.random() < 0.5
        ready = paid + int(rng.uniform(SECOND, MINUTE) if quick else rng.uniform(MINUTE, 3 * HOUR))
        out.order(ready, order_id, buyer_id, "grouped", fen)
    if rng.random() < 0.03:
        withdrawn = ready + int(rng.uniform(10 * MINUTE, 6 * HOUR))
        out.order(withdrawn, order_id, buyer_id, "cancelled", fen)
        return Purchase(order_id, fen, paid)
    shipped = ready + int(rng.uniform(4 * HOUR, 40 * HOUR))
    out.order(shipped, order_id, buyer_id, "shipped", fen)
    out.order(shipped + int(rng.uniform(3 * DAY, 10 * DAY)), order_id, buyer_id, "completed", fen)
    return Purchase(order_id, fen, paid)
