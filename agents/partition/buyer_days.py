"""Consulting buyer-days (docs/metrics.md#conversion): the `buyer_days` rows of one events partition.

Pure and synchronous, fed by PartitionState with every inquiry row change the engine emits
and every order state change. Everything about one buyer at one shop is on this partition,
so a buyer-day, the buyer's orders and the buyer's answered inquiries meet here.

A row is recomputed from what is held for its buyer whenever an input of that buyer
changes, and emitted only when it differs from the last one emitted (a deletion row when
its last inquiry went away). Memory is bounded by event time: a buyer-day is held until
`CONVERSION_WINDOW_MS + GRACE_MS` after its first inquiry, an order while a held or future
buyer-day could still use it. Of older answered inquiries only the buyer's latest answer
is kept (`_floors`): it is who a later conversion counts for when nothing newer was
answered before the payment.

A buyer with one inquiry and no order is held compactly (agents.partition.buyer_forms) and
takes the full form on the first change that does not fit; it returns to the compact form
when its rows are emitted and it fits again.
"""

from __future__ import annotations

import logging
from heapq import heappop, heappush
from typing import Any

from agents.facts.orders import OrderState
from agents.partition.buyer_forms import (
    HELD_AGENT,
    HELD_ANSWERED,
    HELD_DAY,
    HELD_MISSED,
    HELD_OPENED,
    Buyer,
    Content,
    Held,
    Key,
    Lone,
    Row,
    buyer_day_row,
    day_firsts,
    fitting_state,
    held_of,
    lone_rows,
    lone_state,
    plain,
    spelled_out,
)
from agents.partition.memory import DAY_MS, Sweeps
from schemas.inquiry import Inquiry

log = logging.getLogger(__name__)

CONVERSION_WINDOW_MS = 72 * 3600 * 1000
# How late (in event time, behind the chat horizon) an order or a correction may arrive and
# still change a buyer-day; anything later is logged and left out.
GRACE_MS = 24 * 3600 * 1000
CONVERSION_STATUSES = ("paid", "grouped")

_HELD_MS = CONVERSION_WINDOW_MS + GRACE_MS
MEMORY_MS = 7 * DAY_MS


class BuyerDays:
    """Buyer-day rows of one partition; `conversion_status` is `paid` or `grouped`."""

    def __init__(
        self, conversion_status: str = "paid", memory_ms: int = MEMORY_MS, *, compact: bool = True
    ) -> None:
        """`memory_ms`: an answer older than this before a payment closes no sale.

        `compact=False` holds every buyer in full: the reference the compact form is tested
        against (tests/unit/test_buyer_days_compact.py).
        """
        if conversion_status not in CONVERSION_STATUSES:
            msg = (
                f"conversion_status must be one of {CONVERSION_STATUSES}, not {conversion_status!r}"
            )
            raise ValueError(msg)
        self._converts_on = f"{conversion_status}_at"
        self._compact = compact
        self._buyers: dict[Key, Buyer | Lone] = {}
        self._floors: dict[Key, tuple[int, str]] = {}  # latest answer among forgotten inquiries
        self._changed: set[Key] = set()  # rows to recompute at the next take_rows
        self._touched: set[Key] = set()  # states to hand out at the next take_dirty
        self._expiry: list[tuple[int, Key]] = []  # (first, buyer), as _schedule puts them
        self._horizon = -(1 << 62)
        self._memory_ms = memory_ms
        self.floor_sweeps = Sweeps()  # in checkpoints, so a restore sweeps when this would

    def inquiry(self, inquiry: Inquiry, deleted: bool) -> None:
        """An inquiries row upserted, or deleted because a late message re-cut it."""
        key = (inquiry.shop_id, inquiry.buyer_id)
        held = held_of(inquiry)
        if inquiry.opened_at_ms + _HELD_MS < self._horizon and not self._holds_day(
            key, held[HELD_DAY]
        ):
            self._settled_change(key, inquiry, held, deleted)
            return
        buyer = self._buyers.get(key)
        inquiry_id = inquiry.inquiry_id
        if deleted:
            self._full(key, buyer).inquiries.pop(inquiry_id, None)
        else:
            if isinstance(buyer, Buyer):
                buyer.inquiries[inquiry_id] = held
            elif isinstance(buyer, Lone) and buyer.inquiry_id == inquiry_id:
                buyer.held = held
            elif buyer is None and self._compact:
                buyer = self._buyers[key] = Lone(inquiry_id, held)
            else:
                buyer = self._full(key, buyer)
                buyer.inquiries[inquiry_id] = held
            self._schedule(key, buyer, inquiry.opened_at_ms)
        self._changed.add(key)

    def _settled_change(self, key: Key, inquiry: Inquiry, held: Held, deleted: bool) -> None:
        """A change to an inquiry whose buyer-day is settled and forgotten.

        An inquiry stays open until an agent writes, so one unanswered for days gets its
        answer long after its buyer-day settled. That cannot change the row: the inquiry
        missed its deadlines already, and the answer comes after any payment in the closed
        conversion window. It is still the buyer's latest answer for conversions to come.
        Anything else (a re-cut by a message days late) is left out.
        """
        if not deleted and held[HELD_ANSWERED] is not None:
            self._fold_answer(key, held)
            self._touched.add(key)
        else:
            log.warning(
                "inquiry %s of %s/%s changed after its buyer-day settled; left out",
                inquiry.inquiry_id, key[0], key[1],
            )  # fmt: skip

    def _holds_day(self, key: Key, day: int) -> bool:
        buyer = self._buyers.get(key)
        if isinstance(buyer, Lone):
            return buyer.held[HELD_DAY] == day
        return buyer is not None and any(h[HELD_DAY] == day for h in buyer.inquiries.values())

    def order(self, order: OrderState) -> None:
        """An order's state changed; only its conversion time and amount matter here."""
        at: int | None = getattr(order, self._converts_on)
        key = (order.shop_id, order.buyer_id)
        if at is None or at + CONVERSION_WINDOW_MS + GRACE_MS < self._horizon:
            return  # not converting yet, or too late to convert any buyer-day still held
        buyer = self._full(key, self._buyers.get(key))
        if buyer.orders.get(order.order_id) != (at, order.amount):
            buyer.orders[order.order_id] = (at, order.amount)
            self._schedule(key, buyer, at + GRACE_MS - _HELD_MS)
            self._changed.add(key)

    def take_rows(self, version: int) -> list[Row]:
        """`buyer_days` rows (sinks.tables.BUYER_DAYS order) that changed since the last call."""
        out: list[Row] = []
        changed, self._changed = self._changed, set()
        for key in changed:
            buyer = self._buyers.get(key)
            if buyer is None:
                continue
            self._touched.add(key)
            if isinstance(buyer, Lone):
                out += lone_rows(key, buyer, version)
                continue
            current = self._contents(key, buyer)
            for day, content in current.items():
                if buyer.emitted.get(day) != content:
                    out.append(buyer_day_row(key, day, content, version, deleted=False))
            for day in [d for d in buyer.emitted if d not in current]:
                out.append(buyer_day_row(key, day, buyer.emitted.pop(day), version, deleted=True))
            buyer.emitted.update(current)
            if buyer.empty():
                del self._buyers[key]
            elif self._compact:
                self._demote(key, buyer)
        return out

    def advance(self, horizon_ms: int) -> None:
        """Event time moved on: forget buyer-days and orders nothing can change any more.

        Call it after take_rows: what it forgets has been emitted.
        """
        self._horizon = max(self._horizon, horizon_ms)
        heap = self._expiry
        settled_before = self._horizon - _HELD_MS
        while heap and heap[0][0] < settled_before:
            first, key = heappop(heap)
            buyer = self._buyers.get(key)
            if buyer is not None and buyer.look_at == first:
                buyer.look_at = None
                if isinstance(buyer, Lone):
                    self._forget_lone(key, buyer)
                else:
                    self._forget_old(key, buyer)
        if self.floor_sweeps.due(self._horizon):
            self._forget_floors()

    def _forget_floors(self) -> None:
        """Answers no payment still to come or held can be credited to (see _answered_last)."""
        cutoff = self._horizon - self._memory_ms - _HELD_MS
        for key in [k for k, (at, _) in self._floors.items() if at < cutoff]:
            del self._floors[key]
            self._touched.add(key)

    def take_dirty(self) -> list[list[Any]]:
        """[shop, buyer, state or None] for each buyer changed since the last call."""
        out = [[key[0], key[1], self._state(key)] for key in self._touched]
        self._touched = set()
        return out

    def touch_all(self) -> None:
        """Have the next take_dirty hand out every buyer held (a full snapshot)."""
        self._touched.update(self._buyers)
        self._touched.update(self._floors)

    def load(self, shop_id: str, buyer_id: str, state: dict[str, Any] | list[Any] | None) -> None:
        """Restore one buyer from a take_dirty state (None forgets it)."""
        key = (shop_id, buyer_id)
        self._buyers.pop(key, None)
        self._floors.pop(key, None)
        if state is None:
            return
        if isinstance(state, list):
            state = spelled_out(state)
        if state.get("f"):
            at, agent = state["f"]
            self._floors[key] = (at, agent)
        lone = self._lone_of_state(state)
        if lone is not None:
            self._buyers[key] = lone
            self._schedule(key, lone, self._horizon - _HELD_MS)
            return
        buyer = Buyer(
            inquiries={i: tuple(held) for i, held in state.get("i", ())},
            orders={o: (at, amount) for o, (at, amount) in state.get("o", ())},
            emitted={day: tuple(content) for day, content in state.get("e", ())},
        )
        if not buyer.empty():
            self._buyers[key] = buyer
            self._schedule(key, buyer, self._horizon - _HELD_MS)  # the next advance decides

    def _lone_of_state(self, state: dict[str, Any]) -> Lone | None:
        """The compact form of a restored buyer whose emitted row is its one inquiry's."""
        inquiries, emitted = state.get("i", ()), state.get("e", ())
        if not self._compact or len(inquiries) != 1 or state.get("o") or len(emitted) > 1:
            return None
        inquiry_id, held = inquiries[0]
        held = tuple(held)
        if not emitted:
            return Lone(inquiry_id, held)
        day, content = emitted[0]
        if day != held[HELD_DAY] or tuple(content) != plain(held):
            return None
        return Lone(inquiry_id, held, held)

    def _demote(self, key: Key, buyer: Buyer) -> None:
        """Hold a buyer whose rows are current compactly when it has one inquiry, no order.

        Its one row is then `plain` of that inquiry, as emitted.
        """
        if buyer.orders or len(buyer.inquiries) != 1:
            return
        ((inquiry_id, held),) = buyer.inquiries.items()
        self._buyers[key] = Lone(inquiry_id, held, held, buyer.look_at)

    def _schedule(self, key: Key, buyer: Buyer | Lone, first: int) -> None:
        """Look at the buyer again when a buyer-day first asked at `first` settles.

        That is when event time passes `first + _HELD_MS`. The heap holds `first`: for an
        inquiry it is the opening time held already, where the sum would be one more int
        per buyer. One heap entry per buyer.
        """
        if buyer.look_at is None or first < buyer.look_at:
            buyer.look_at = first
            heappush(self._expiry, (first, key))

    def _full(self, key: Key, buyer: Buyer | Lone | None) -> Buyer:
        """The buyer in full form (a new one for None), for a change the compact form cannot hold."""
        if isinstance(buyer, Buyer):
            return buyer
        if buyer is None:
            full = Buyer()
        else:
            emitted = (
                {} if buyer.emitted is None else {buyer.emitted[HELD_DAY]: plain(buyer.emitted)}
            )
            full = Buyer({buyer.inquiry_id: buyer.held}, {}, emitted, buyer.look_at)
        self._buyers[key] = full
        return full

    def _contents(self, key: Key, buyer: Buyer) -> dict[int, Content]:
        """Every buyer-day of the buyer as it stands now."""
        days: dict[int, list[Held]] = {}
        for held in buyer.inquiries.values():
            days.setdefault(held[HELD_DAY], []).append(held)
        # Earliest conversion first; ties by order id, so the pick is deterministic.
        orders = sorted((at, order_id, amount) for order_id, (at, amount) in buyer.orders.items())
        out: dict[int, Content] = {}
        for day, day_inquiries in days.items():
            first = min(h[HELD_OPENED] for h in day_inquiries)
            missed = 0
            for h in day_inquiries:
                missed |= h[HELD_MISSED]
            order = next((o for o in orders if first <= o[0] <= first + CONVERSION_WINDOW_MS), None)
            if order is None:
                out[day] = (first, len(day_inquiries), missed, None, None, None, "")
            else:
                at, order_id, amount = order
                agent = self._answered_last(key, buyer, at)
                out[day] = (first, len(day_inquiries), missed, order_id, at, amount, agent)
        return out

    def _answered_last(self, key: Key, buyer: Buyer, paid_ms: int) -> str:
        """Who answered the buyer's last inquiry answered at or before the payment, else ""."""
        answers = [
            (answered, opened, inquiry_id, by)
            for inquiry_id, (opened, answered, by, _, _) in buyer.inquiries.items()
            if answered is not None and paid_ms - self._memory_ms <= answered <= paid_ms
        ]
        if answers:
            return max(answers)[3]
        floor = self._floors.get(key)
        if floor is None or not paid_ms - self._memory_ms <= floor[0] <= paid_ms:
            return ""
        return floor[1]

    def _forget_old(self, key: Key, buyer: Buyer) -> None:
        """Drop the buyer-days first asked more than _HELD_MS ago and the orders none can use."""
        firsts = day_firsts(buyer)
        settled = {day for day, first in firsts.items() if first + _HELD_MS < self._horizon}
        removed = bool(settled)
        for inquiry_id, held in list(buyer.inquiries.items()):
            if held[HELD_DAY] in settled:
                del buyer.inquiries[inquiry_id]
                self._fold_answer(key, held)
        for day in settled:
            buyer.emitted.pop(day, None)
            del firsts[day]
        look_again = list(firsts.values())
        for order_id, (at, _) in list(buyer.orders.items()):
            if any(f <= at <= f + CONVERSION_WINDOW_MS for f in firsts.values()):
                continue  # a held buyer-day converts with it; it goes when they go
            if at + GRACE_MS < self._horizon:
                del buyer.orders[order_id]  # no buyer-day to come may ask before it any more
                removed = True
            else:
                look_again.append(at + GRACE_MS - _HELD_MS)
        if removed:
            self._touched.add(key)
        if buyer.empty():
            del self._buyers[key]
        elif look_again:
            self._schedule(key, buyer, min(look_again))

    def _forget_lone(self, key: Key, lone: Lone) -> None:
        """`_forget_old` for a buyer held compactly: its one buyer-day settles, or not yet."""
        held = lone.held
        if lone.emitted is not None and lone.emitted[HELD_DAY] != held[HELD_DAY]:
            self._forget_old(key, self._full(key, lone))  # its day moved, rows not taken yet
            return
        first = held[HELD_OPENED]
        if first + _HELD_MS < self._horizon:
            del self._buyers[key]
            self._fold_answer(key, held)
            self._touched.add(key)
        else:
            self._schedule(key, lone, first)

    def _fold_answer(self, key: Key, held: Held) -> None:
        answered = held[HELD_ANSWERED]
        if answered is None:
            return
        floor = self._floors.get(key)
        if floor is None or answered > floor[0]:
            self._floors[key] = (answered, held[HELD_AGENT])

    def _state(self, key: Key) -> dict[str, Any] | list[Any] | None:
        """The buyer as a checkpoint holds it, the same whichever form holds it.

        A buyer that fits the compact form is `[inquiry id, held]` when its row is the
        inquiry's as emitted, `[inquiry id, held, None]` when none was emitted yet; any
        other buyer a dict of its inquiries, orders, rows emitted and last answer.
        """
        buyer = self._buyers.get(key)
        floor = self._floors.get(key)
        if buyer is None and floor is None:
            return None
        if floor is None:
            compact = lone_state(buyer) if isinstance(buyer, Lone) else fitting_state(buyer)
            if compact is not None:
                return compact
        state: dict[str, Any] = {}
        if floor is not None:
            state["f"] = list(floor)
        if isinstance(buyer, Lone):
            # As the full form writes it, so a restore does not depend on the form.
            emitted = buyer.emitted
            state["i"] = [(buyer.inquiry_id, buyer.held)]
            state["o"] = []
            state["e"] = [] if emitted is None else [(emitted[HELD_DAY], plain(emitted))]
        elif buyer is not None:
            # (key, tuple) pairs as they are: orjson writes them as nested arrays, and copying
            # a dict's items runs in C (a checkpoint holds every buyer changed since the last).
            state["i"] = list(buyer.inquiries.items())
            state["o"] = list(buyer.orders.items())
            state["e"] = list(buyer.emitted.items())
        return state
