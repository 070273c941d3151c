"""Wire-format event dicts (docs/events.md), built for one shop and handed to the schedule."""

from __future__ import annotations

from collections.abc import Callable
from random import Random
from typing import Any

from pipeline.generator.clock import format_rfc3339
from pipeline.generator.ids import Mint
from pipeline.generator.world import Shop

Event = dict[str, Any]
Push = Callable[[int, Event], None]

_CLIENTS = ("ios", "android", "pc")


class EventFactory:
    """Mints ids, formats times and amounts, and drops what falls after the window.

    Ids are minted and random draws made even for dropped events, so a longer run
    starts with exactly the events of a shorter one.
    """

    def __init__(
        self, shop: Shop, mint: Mint, rng: Random, push: Push, end_ms: int, epoch_share: float
    ) -> None:
        self.shop = shop
        self.mint = mint
        self._rng = rng
        self._push = push
        self._end_ms = end_ms
        self._epoch_share = epoch_share

    def _base(self, prefix: str, kind: str, ms: int) -> Event:
        stamp: int | str
        if self._rng.random() < self._epoch_share:
            stamp = ms
        else:
            stamp = format_rfc3339(ms, self.shop.offset_ms)
        return {
            "event_id": self.mint.event_id(prefix),
            "type": kind,
            "shop_id": self.shop.shop_id,
            "occurred_at": stamp,
        }

    def _emit(self, ms: int, event: Event) -> None:
        if ms < self._end_ms:
            self._push(ms, event)

    def amount(self, fen: int) -> str | float:
        """Yuan as a decimal string (ERP style) or, from some sources, a JSON number."""
        if self._rng.random() < 0.2:
            return round(fen / 100, 2)
        return f"{fen // 100}.{fen % 100:02d}"

    def chat(
        self,
        ms: int,
        buyer_id: str,
        sender: str,
        agent_id: str | None,
        text: str | None,
        msg_type: str = "text",
        order_id: str | None = None,
    ) -> None:
        event = self._base("msg", "chat.message", ms)
        event["buyer_id"] = buyer_id
        event["sender"] = sender
        event["agent_id"] = agent_id
        if msg_type != "text" or not self.shop.compact:
            event["msg_type"] = msg_type
        event["text"] = text
        if order_id is not None or not self.shop.compact:
            event["order_id"] = order_id
        if sender == "buyer" and self._rng.random() < 0.03:
            event["client"] = self._rng.choice(_CLIENTS)
        self._emit(ms, event)

    def order(self, ms: int, order_id: str, buyer_id: str, status: str, fen: int) -> None:
        event = self._base("ord", "order", ms)
        event.update(order_id=order_id, buyer_id=buyer_id, status=status, amount=self.amount(fen))
        self._emit(ms, event)

    def refund(
        self,
        ms: int,
        refund_id: str,
        order_id: str,
        buyer_id: str,
        agent_id: str | None,
        status: str,
        fen: int,
        responsibility: str | None = None,
    ) -> None:
        event = self._base("rfd", "refund", ms)
        event.update(
            refund_id=refund_id,
            order_id=order_id,
            buyer_id=buyer_id,
            agent_id=agent_id,
            status=status,
            amount=self.amount(fen),
        )
        if responsibility is not None or not self.shop.compact:
            event["responsibility"] = responsibility
        self._emit(ms, event)

    def rating(self, ms: int, buyer_id: str, agent_id: str | None, score: int) -> None:
        event = self._base("rat", "rating", ms)
        event.update(buyer_id=buyer_id, agent_id=agent_id, score=score)
        self._emit(ms, event)

    def complaint(
        self, ms: int, buyer_id: str, agent_id: str | None, order_id: str | None, category: str
    ) -> None:
        event = self._base("cpl", "complaint", ms)
        event.update(
            complaint_id=self.mint.complaint_id(),
            buyer_id=buyer_id,
            agent_id=agent_id,
            order_id=order_id,
            category=category,
        )
        self._emit(ms, event)
