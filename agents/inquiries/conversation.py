"""One conversation's compact state and the replay that cuts its messages into inquiries.

A conversation is a settled part, folded into a few scalars (the last human agent and the
open inquiry, if any), followed by the pending messages, kept sorted by (at_ms, event_id)
until the horizon passes them. Replaying the pending messages from the settled part gives
the live inquiries; rows are kept as signatures, the fields that are not derived from
opened_at through the shop's service hours.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from agents.inquiries.model import ANSWERED

# A pending message, ordered as the conversation is: (at_ms, event_id, sender, agent_id)
Item = tuple[int, str, str, str]
# (inquiry_id, opened_at_ms, answered_at_ms, answered_by, agent_id, status)
Sig = tuple[str, int, int | None, str | None, str, str]
# The open inquiry: (inquiry_id, opened_at_ms, opener's agent_id, last human agent before it)
Opened = tuple[str, int, str, str]


class Conversation:
    """Settled scalars, pending messages and the rows last reconciled for one (shop, buyer)."""

    __slots__ = ("agent", "opened", "pending", "emitted", "recent", "settle_at", "deadline_id")

    def __init__(self, agent: str = "") -> None:
        self.agent = agent  # last human agent of the settled part ("" when none)
        self.opened: Opened | None = None  # open inquiry of the settled part
        self.pending: list[Item] | None = None  # unsettled messages, sorted, never empty
        self.emitted: tuple[Sig, ...] = ()  # live rows as last reconciled, in order
        self.recent: tuple[Item, ...] = ()  # items settled lately, sorted, to spot duplicates
        self.settle_at: int | None = None  # at_ms of this conversation's valid settle-heap entry
        self.deadline_id: str | None = None  # inquiry whose deadline is on the deadline heap

    @property
    def idle(self) -> bool:
        """Nothing pending and no open inquiry: only the last agent matters any more."""
        return self.pending is None and self.opened is None

    def to_state(self, stale: bool) -> dict[str, Any]:
        """State for orjson (tuples are arrays); `stale`: rows not yet reconciled."""
        state: dict[str, Any] = {"a": self.agent}
        if self.opened is not None:
            state["o"] = self.opened
        if self.pending is not None:
            state["p"] = tuple(self.pending)
        if self.emitted:
            state["e"] = self.emitted
        if self.recent:
            state["r"] = self.recent
        if stale:
            state["d"] = 1
        return state

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Conversation:
        conv = cls(state.get("a", ""))
        opened = state.get("o")
        if opened:
            conv.opened = (opened[0], opened[1], opened[2], opened[3])
        conv.pending = [item_from_json(item) for item in state.get("p", ())] or None
        conv.emitted = tuple(sig_from_json(sig) for sig in state.get("e", ()))
        conv.recent = tuple(item_from_json(item) for item in state.get("r", ()))
        return conv


def item_from_json(row: list[Any]) -> Item:
    return (row[0], row[1], row[2], row[3])


def sig_from_json(row: list[Any]) -> Sig:
    return (row[0], row[1], row[2], row[3], row[4], row[5])


def replay(
    agent: str, opened: Opened | None, items: Iterable[Item], rows: list[Sig]
) -> tuple[str, Opened | None]:
    """Apply messages in order; append each inquiry they answer to rows.

    Returns the last human agent and the inquiry left open. A buyer message opens an
    inquiry when none is open; the first agent message answers it; bot and system
    messages change nothing.
    """
    for at, event_id, sender, who in items:
        if sender == "buyer":
            if opened is None:
                opened = (event_id, at, who, agent)
        elif sender == "agent":
            if opened is not None:
                inquiry_id, opened_at, assigned, prior = opened
                rows.append((inquiry_id, opened_at, at, who, assigned or who or prior, ANSWERED))
                opened = None
            if who:
                agent = who
    return agent, opened
