"""One conversation's state, and the replay that cuts its messages into inquiries.

A conversation with messages not yet settled is a `Conversation`: the settled part folded
into two scalars (the last human agent, the open inquiry) plus the pending messages,
sorted by (at_ms, event_id). Once everything has settled it shrinks to a `Waiting` tuple
(an inquiry is open) or to the last agent's id alone (nothing open). Rows are kept as
signatures: the fields not derived from opened_at through the shop's service hours.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from agents.inquiries.hours import ServiceHours
from schemas.inquiry import ANSWERED, WITHIN_3M, WITHIN_5M, WITHIN_30S, Inquiry

# A message as the conversation orders it: (at_ms, event_id, sender, agent_id)
Item = tuple[int, str, str, str]
# A row: (inquiry_id, opened_at_ms, answered_at_ms, answered_by, agent_id, status)
Sig = tuple[str, int, int | None, str | None, str, str]
# The open inquiry: (inquiry_id, opened_at_ms, opener's agent_id, last human agent before it)
Opened = tuple[str, int, str, str]
# A settled conversation with an open inquiry: (*Opened, last human agent, status emitted)
Waiting = tuple[str, int, str, str, str, str]
# Exported state: [agent] when nothing is open, else [agent, opened, pending, rows, stale]
State = list[Any]
# Named positions in those layouts (plain ints: tuples stay tuples on the hot path).
SIG_ID: Final = 0
SIG_OPENED: Final = 1
SIG_ANSWERED: Final = 2
SIG_STATUS: Final = 5
WAITING_ID: Final = 0
WAITING_STATUS: Final = 5
WAITING_LEN: Final = 6  # a State has 5 fields, so the length tells the two apart
STATE_AGENT: Final = 0
STATE_STALE: Final = 4


class Conversation:
    """Settled scalars, pending messages and the rows last reconciled for one (shop, buyer)."""

    __slots__ = (
        "key",
        "agent",
        "opened",
        "pending",
        "emitted",
        "tail_agent",
        "tail_open",
        "settle_at",
        "deadline_id",
    )

    def __init__(self, key: tuple[str, str], agent: str = "", opened: Opened | None = None) -> None:
        self.key = key  # the very tuple the engine's dict holds, shared by its heap entries
        self.agent = agent  # last human agent of the settled part ("" when none)
        self.opened = opened  # open inquiry of the settled part
        self.pending: list[Item] | None = None  # unsettled messages, sorted, never empty
        self.emitted: tuple[Sig, ...] = ()  # live rows as last reconciled, in order
        self.tail_agent = agent  # last human agent after the pending messages too
        self.tail_open = opened  # open inquiry after the pending messages too
        self.settle_at: int | None = None  # first pending at_ms while queued to settle
        self.deadline_id: str | None = None  # inquiry whose deadline is on the deadline heap

    @classmethod
    def woken(cls, key: tuple[str, str], waiting: Waiting) -> Conversation:
        """The full form of a Waiting conversation."""
        inquiry_id, at, assigned, prior, agent, status = waiting
        conv = cls(key, agent, (inquiry_id, at, assigned, prior))
        conv.emitted = (waiting_row(waiting),)
        return conv

    def to_state(self, stale: bool) -> State:
        """For orjson (tuples are arrays); `stale`: rows not yet reconciled with messages."""
        pending = None if self.pending is None else tuple(self.pending)
        return [self.agent, self.opened, pending, self.emitted, stale]

    @classmethod
    def from_state(cls, key: tuple[str, str], state: State) -> Conversation:
        agent, opened, pending, rows, _ = state
        opened = None if opened is None else (opened[0], opened[1], opened[2], opened[3])
        conv = cls(key, agent, opened)
        conv.emitted = tuple((r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows)
        if pending:
            conv.pending = [(p[0], p[1], p[2], p[3]) for p in pending]
            conv.tail_agent, conv.tail_open = replay(agent, conv.opened, conv.pending, [])
        return conv


def waiting_row(waiting: Waiting) -> Sig:
    inquiry_id, at, assigned, prior, _, status = waiting
    return (inquiry_id, at, None, None, assigned or prior, status)


def waiting_state(waiting: Waiting) -> State:
    return [waiting[4], waiting[:4], None, (waiting_row(waiting),), False]


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


def inquiry_row(shop: str, buyer: str, sig: Sig, hours: ServiceHours) -> Inquiry:
    """The full `inquiries` row of a signature."""
    inquiry_id, opened, answered, answered_by, agent_id, status = sig
    effective, business_date, in_8_23 = hours.opening(opened)
    if answered is None:
        return Inquiry(
            shop, buyer, inquiry_id, agent_id, opened, effective, None, None, None,
            0, 0, 0, business_date, status, in_8_23, None,
        )  # fmt: skip
    response = max(0, answered - effective) / 1000
    return Inquiry(
        shop, buyer, inquiry_id, agent_id, opened, effective, answered, answered_by, response,
        int(response <= WITHIN_30S), int(response <= WITHIN_3M), int(response <= WITHIN_5M),
        business_date, status, in_8_23, max(0, answered - opened) / 1000,
    )  # fmt: skip


def row_changes(
    old: tuple[Sig, ...], new: tuple[Sig, ...]
) -> list[tuple[str, Sig | None, Sig | None]]:
    """(inquiry_id, old row or None, new row or None) for each row that differs."""
    before = {sig[0]: sig for sig in old}
    out: list[tuple[str, Sig | None, Sig | None]] = []
    for sig in new:
        previous = before.pop(sig[0], None)
        if previous != sig:
            out.append((sig[0], previous, sig))
    out.extend((previous[0], previous, None) for previous in before.values())
    return out


def sig_or_none(row: list[Any] | None) -> Sig | None:
    return None if row is None else (row[0], row[1], row[2], row[3], row[4], row[5])
