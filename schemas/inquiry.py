"""Plain data the inquiry engine consumes and produces.

Not frozen: these are made once or more per event, and a frozen dataclass's __init__ sets
every field through object.__setattr__ (ten times slower for an Inquiry, measured).
Nothing mutates them after construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

WITHIN_30S = 30.0
WITHIN_3M = 180.0
WITHIN_5M = 300.0
DEADLINE_MS = 300_000

OPEN = "open"
ANSWERED = "answered"
MISSED = "missed"


@dataclass(slots=True)
class Message:
    """A chat message as the engine needs it; `agent_id` is "" when there is none."""

    event_id: str
    shop_id: str
    buyer_id: str
    sender: str
    agent_id: str
    at_ms: int

    @property
    def order_key(self) -> tuple[int, str]:
        return (self.at_ms, self.event_id)


@dataclass(slots=True)
class Inquiry:
    """One row of the `inquiries` table; `inquiry_id` is the opening message's event_id.

    status: open (unanswered, deadline not yet passed by the watermark), answered, or
    missed (unanswered and the five-minute deadline has passed).
    """

    shop_id: str
    buyer_id: str
    inquiry_id: str
    agent_id: str
    opened_at_ms: int
    effective_opened_at_ms: int
    answered_at_ms: int | None
    answered_by: str | None
    response_seconds: float | None
    within_30s: int
    within_3m: int
    within_5m: int
    business_date: date
    status: str
    in_8_23: int
    raw_response_seconds: float | None


@dataclass(slots=True)
class InquiryChange:
    """An upsert of the row, or its deletion when a late message re-cut the conversation."""

    inquiry: Inquiry
    deleted: bool = False
