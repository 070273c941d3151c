"""Every column of shop_intervals, computed in one batch pass from the reference inquiries and
the raw chat messages (docs/metrics.md#staffing, docs/analysts.md "Staffing intervals").

Deliberately plain and independent of the SQL: walk each conversation in (occurred_at,
event_id) order to find the last human agent message of every answered inquiry, place every
moment on the shop's wall clock with zoneinfo, and spread each handling span over the half
hours it covers second by second of overlap.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from schemas.inquiry import OPEN, Inquiry, Message
from tests.reference.inquiries import local

HALF_HOUR = timedelta(minutes=30)
HANDLE_CAP_SECONDS = 1200.0
Row = dict[str, Any]
Zone = Callable[[str], ZoneInfo]


@dataclass
class Interval:
    inquiries: list[Inquiry] = field(default_factory=list)
    handles: list[float] = field(default_factory=list)
    agents: set[str] = field(default_factory=set)
    busy_seconds: float = 0.0


def wall(ms: int, zone: ZoneInfo) -> datetime:
    """The shop's wall-clock reading, labelled UTC like the view's columns."""
    return local(ms, zone).replace(tzinfo=UTC)


def half_hour(moment: datetime) -> datetime:
    return moment.replace(minute=moment.minute // 30 * 30, second=0, microsecond=0)


def last_agent_messages(
    inquiries: Iterable[Inquiry], messages: Iterable[Message]
) -> dict[str, int]:
    """inquiry_id -> time of the last human agent message before the buyer's next inquiry."""
    openers = {(i.shop_id, i.inquiry_id): i for i in inquiries}
    conversations: dict[tuple[str, str], dict[str, Message]] = defaultdict(dict)
    for m in messages:
        conversations[(m.shop_id, m.buyer_id)][m.event_id] = m
    last: dict[str, int] = {}
    for (shop, _buyer), by_id in conversations.items():
        current: Inquiry | None = None
        for m in sorted(by_id.values(), key=lambda m: (m.at_ms, m.event_id)):
            opened = openers.get((shop, m.event_id))
            if opened is not None:
                current = opened
            elif m.sender == "agent" and current is not None:
                answered = current.answered_at_ms
                if answered is not None and m.at_ms >= answered:
                    last[current.inquiry_id] = m.at_ms
    return last


def shop_intervals(
    inquiries: list[Inquiry], messages: list[Message], zone: Zone
) -> dict[tuple[Any, ...], Row]:
    """Keyed (shop, interval start as a wall-clock reading labelled UTC)."""
    groups: dict[tuple[str, datetime], Interval] = defaultdict(Interval)
    last = last_agent_messages(inquiries, messages)
    for i in inquiries:
        z = zone(i.shop_id)
        groups[(i.shop_id, half_hour(wall(i.effective_opened_at_ms, z)))].inquiries.append(i)
        if i.answered_at_ms is None:
            continue
        handle = min((last[i.inquiry_id] - i.answered_at_ms) / 1000, HANDLE_CAP_SECONDS)
        groups[(i.shop_id, half_hour(wall(i.effective_opened_at_ms, z)))].handles.append(handle)
        _spread(groups, i.shop_id, wall(i.answered_at_ms, z), handle)
    for m in {m.event_id: m for m in messages}.values():
        if m.sender == "agent" and m.agent_id:
            key = (m.shop_id, half_hour(wall(m.at_ms, zone(m.shop_id))))
            groups[key].agents.add(m.agent_id)
    return {key: _row(key[1], g) for key, g in groups.items()}


def _spread(
    groups: dict[tuple[str, datetime], Interval], shop: str, start: datetime, seconds: float
) -> None:
    end = start + timedelta(seconds=seconds)
    slot = half_hour(start)
    while slot < end:
        overlap = (min(end, slot + HALF_HOUR) - max(start, slot)).total_seconds()
        if overlap > 0:
            groups[(shop, slot)].busy_seconds += overlap
        slot += HALF_HOUR


def _row(start: datetime, g: Interval) -> Row:
    n = len(g.inquiries)
    agents = len(g.agents)
    return {
        "business_date": start.date(),
        "inquiries": n,
        "answered": sum(i.answered_at_ms is not None for i in g.inquiries),
        "rate_3m": None if n == 0 else sum(i.within_3m for i in g.inquiries) / n,
        "rate_5m": None if n == 0 else sum(i.within_5m for i in g.inquiries) / n,
        "handle_seconds": sum(g.handles) / len(g.handles) if g.handles else None,
        "active_agents": agents,
        "concurrency": None if agents == 0 else g.busy_seconds / 1800 / agents,
        "is_final": int(all(i.status != OPEN for i in g.inquiries)),
    }
