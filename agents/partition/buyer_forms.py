"""How BuyerDays holds one buyer, and the row a buyer-day is written as.

A buyer is held in full (`Buyer`: its inquiries, orders and the rows last emitted) or, when it
has one inquiry and no order, compactly (`Lone`). Most buyers held are of that kind (a
million open conversations are a million of them), and the full form costs ~950 bytes a
buyer against ~320; rows and checkpoints do not depend on the form.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any, Final

from schemas.inquiry import OPEN, Inquiry

Key = tuple[str, str]
Row = tuple[Any, ...]
# Per inquiry: opened ms, answered ms or None, answering agent, business-date ordinal, and
# the thresholds it finally missed (bit 1: 30 s, 2: 3 min, 4: 5 min; an open one misses none).
Held = tuple[int, int | None, str, int, int]
HELD_OPENED: Final = 0
HELD_ANSWERED: Final = 1
HELD_AGENT: Final = 2
HELD_DAY: Final = 3
HELD_MISSED: Final = 4
# A buyer-day's content as last emitted: first_inquiry ms, inquiries, missed bits,
# order_id, conversion ms, amount, conversion agent.
Content = tuple[int, int, int, str | None, int | None, str | None, str]

_THRESHOLDS = ((1, "within_30s"), (2, "within_3m"), (4, "within_5m"))


@dataclass(slots=True)
class Buyer:
    """A buyer in full: every inquiry and order held, and the rows last emitted by day."""

    inquiries: dict[str, Held] = field(default_factory=dict)
    orders: dict[str, tuple[int, str]] = field(default_factory=dict)  # id -> (converts at, amount)
    emitted: dict[int, Content] = field(default_factory=dict)  # business-date ordinal -> row
    look_at: int | None = None  # this buyer's entry in the expiry heap (BuyerDays._schedule)

    def empty(self) -> bool:
        return not (self.inquiries or self.orders or self.emitted)


@dataclass(slots=True)
class Lone:
    """A buyer with one inquiry and no order; `emitted` is the inquiry as its row was emitted.

    A row emitted for such a buyer is `plain(emitted)` on `emitted`'s day, so the inquiry
    tuple it was computed from stands for it: mostly the one held, at no cost.
    """

    inquiry_id: str
    held: Held
    emitted: Held | None = None
    look_at: int | None = None


def held_of(inquiry: Inquiry) -> Held:
    missed = 0
    if inquiry.status != OPEN:  # an open inquiry has missed nothing yet
        for bit, flag in _THRESHOLDS:
            if not getattr(inquiry, flag):
                missed |= bit
    return (
        inquiry.opened_at_ms,
        inquiry.answered_at_ms,
        inquiry.answered_by or "",
        _ordinal(inquiry.business_date),
        missed,
    )


@lru_cache(maxsize=64)
def _ordinal(business_date: date) -> int:
    """One int object per day, shared by every inquiry held of it (not one per inquiry)."""
    return business_date.toordinal()


def plain(held: Held) -> Content:
    """The row of a buyer-day with this one inquiry and no order."""
    return (held[HELD_OPENED], 1, held[HELD_MISSED], None, None, None, "")


def lone_rows(key: Key, lone: Lone, version: int) -> list[Row]:
    """`take_rows` for a buyer held compactly; its rows are current after it."""
    held, emitted = lone.held, lone.emitted
    lone.emitted = held
    day = held[HELD_DAY]
    if emitted is None:
        return [buyer_day_row(key, day, plain(held), version, deleted=False)]
    if emitted[HELD_DAY] != day:  # the inquiry's day moved since its row was emitted
        return [
            buyer_day_row(key, day, plain(held), version, deleted=False),
            buyer_day_row(key, emitted[HELD_DAY], plain(emitted), version, deleted=True),
        ]
    if emitted[HELD_OPENED] == held[HELD_OPENED] and emitted[HELD_MISSED] == held[HELD_MISSED]:
        return []
    return [buyer_day_row(key, day, plain(held), version, deleted=False)]


def lone_state(lone: Lone) -> list[Any] | None:
    """A compact buyer's checkpoint state, or None when its row is not its inquiry's."""
    held, emitted = lone.held, lone.emitted
    if emitted is None:
        return [lone.inquiry_id, held, None]
    if emitted is held or (emitted[HELD_DAY] == held[HELD_DAY] and plain(emitted) == plain(held)):
        return [lone.inquiry_id, held]
    return None


def fitting_state(buyer: Buyer | None) -> list[Any] | None:
    """`lone_state` of a buyer held in full that the compact form could hold as well."""
    if buyer is None or buyer.orders or len(buyer.inquiries) != 1:
        return None
    ((inquiry_id, held),) = buyer.inquiries.items()
    if not buyer.emitted:
        return [inquiry_id, held, None]
    if buyer.emitted == {held[HELD_DAY]: plain(held)}:
        return [inquiry_id, held]
    return None


def spelled_out(state: list[Any]) -> dict[str, Any]:
    """The dict state (as the full form writes it) of a `lone_state`."""
    inquiry_id, held = state[0], tuple(state[1])
    emitted = [] if len(state) == 3 else [(held[HELD_DAY], plain(held))]
    return {"i": [(inquiry_id, held)], "o": [], "e": emitted}


def day_firsts(buyer: Buyer) -> dict[int, int]:
    """First inquiry time of each buyer-day held."""
    firsts: dict[int, int] = {}
    for held in buyer.inquiries.values():
        first = firsts.get(held[HELD_DAY])
        if first is None or held[HELD_OPENED] < first:
            firsts[held[HELD_DAY]] = held[HELD_OPENED]
    return firsts


def buyer_day_row(key: Key, day: int, content: Content, version: int, *, deleted: bool) -> Row:
    first, count, missed, order_id, paid, amount, agent = content
    return (
        key[0],
        key[1],
        date.fromordinal(day),
        first,
        count,
        missed & 1,
        (missed >> 1) & 1,
        (missed >> 2) & 1,
        int(order_id is not None),
        order_id,
        paid,
        None if amount is None else Decimal(amount),
        agent,
        version,
        int(deleted),
    )
