"""Inquiries of docs/metrics.md#inquiries-and-response-time, computed in one batch pass from the raw messages.

Deliberately plain and independent of agents.inquiries (only the data contract is shared):
dedup by event_id, sort each conversation by (at_ms, event_id), walk it once, and do every
time-zone step with zoneinfo directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from schemas.inquiry import Inquiry, Message

Hours = Callable[[str], tuple[ZoneInfo, time, time]]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DEADLINE_SECONDS = 300
# docs/metrics.md#memory-horizons, at the default conversation_memory_days.
MEMORY_MS = 7 * 24 * 3600 * 1000


def local(ms: int, zone: ZoneInfo) -> datetime:
    return (EPOCH + timedelta(milliseconds=ms)).astimezone(zone)


def to_ms(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(milliseconds=1)


def effective_open(opened_ms: int, zone: ZoneInfo, start: time, end: time) -> int:
    """The opening time inside service hours, else the next service start."""
    wall = local(opened_ms, zone)
    if start <= wall.time() < end:
        return opened_ms
    day: date = wall.date()
    if wall.time() >= end:
        day += timedelta(days=1)
    return to_ms(datetime.combine(day, start, tzinfo=zone))


def reference_inquiries(
    messages: Iterable[Message], hours: Hours, event_time_ms: int
) -> list[Inquiry]:
    """Every inquiry as of event time, sorted by (shop, buyer, opened_at, inquiry_id)."""
    seen: set[str] = set()
    conversations: dict[tuple[str, str], list[Message]] = {}
    for m in messages:
        if m.event_id not in seen:
            seen.add(m.event_id)
            conversations.setdefault((m.shop_id, m.buyer_id), []).append(m)
    out: list[Inquiry] = []
    for (shop, buyer), msgs in conversations.items():
        msgs.sort(key=lambda m: (m.at_ms, m.event_id))
        last_agent = ""
        opener: Message | None = None
        agent_before = ""
        previous_at: int | None = None
        for m in msgs:
            if previous_at is not None and m.at_ms - previous_at > MEMORY_MS:
                # A conversation silent past the memory starts afresh; its open inquiry stays.
                if opener is not None:
                    out.append(
                        _inquiry(shop, buyer, opener, agent_before, None, hours, event_time_ms)
                    )
                last_agent, opener = "", None
            previous_at = m.at_ms
            if m.sender == "buyer" and opener is None:
                opener, agent_before = m, last_agent
            elif m.sender == "agent":
                if opener is not None:
                    out.append(_inquiry(shop, buyer, opener, agent_before, m, hours, event_time_ms))
                    opener = None
                if m.agent_id:
                    last_agent = m.agent_id
        if opener is not None:
            out.append(_inquiry(shop, buyer, opener, agent_before, None, hours, event_time_ms))
    out.sort(key=lambda i: (i.shop_id, i.buyer_id, i.opened_at_ms, i.inquiry_id))
    return out


def _inquiry(
    shop: str,
    buyer: str,
    opener: Message,
    agent_before: str,
    answer: Message | None,
    hours: Hours,
    event_time_ms: int,
) -> Inquiry:
    zone, start, end = hours(shop)
    opened = opener.at_ms
    effective = effective_open(opened, zone, start, end)
    response: float | None = None
    raw: float | None = None
    if answer is None:
        answered_at, answered_by = None, None
        agent = opener.agent_id or agent_before
        missed = event_time_ms > effective + DEADLINE_SECONDS * 1000
        status = "missed" if missed else "open"
    else:
        answered_at, answered_by = answer.at_ms, answer.agent_id
        agent = opener.agent_id or answer.agent_id or agent_before
        status = "answered"
        response = max(0, answered_at - effective) / 1000
        raw = max(0, answered_at - opened) / 1000
    wall_opened = local(opened, zone).time()
    return Inquiry(
        shop_id=shop,
        buyer_id=buyer,
        inquiry_id=opener.event_id,
        agent_id=agent,
        opened_at_ms=opened,
        effective_opened_at_ms=effective,
        answered_at_ms=answered_at,
        answered_by=answered_by,
        response_seconds=response,
        within_30s=int(response is not None and response <= 30),
        within_3m=int(response is not None and response <= 180),
        within_5m=int(response is not None and response <= 300),
        business_date=local(effective, zone).date(),
        status=status,
        in_8_23=int(time(8) <= wall_opened < time(23)),
        raw_response_seconds=raw,
    )
