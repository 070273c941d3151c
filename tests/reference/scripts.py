"""Batch reference of the script library's weekly figures (`script_weekly`).

Each distinct agent reply is matched with the library (the matcher itself is tested with
QC); everything else follows the definitions of docs/metrics.md#script-library from the
reference inquiries and buyer-days, without the store.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from agents.qc.scripts import ScriptLibrary
from schemas.events import BaseEvent, ChatMessage
from schemas.inquiry import Inquiry
from tests.reference.aftersales import BuyerDayRef

Key = tuple[str, str, date]  # shop, script, week


@dataclass
class _Week:
    uses: int = 0
    agents: set[str] = field(default_factory=set)
    responses: list[float] = field(default_factory=list)
    days: set[tuple[str, date]] = field(default_factory=set)


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def script_weekly(
    events: Iterable[BaseEvent],
    library: ScriptLibrary,
    inquiries: Iterable[Inquiry],
    days: Iterable[BuyerDayRef],
    day_of: Callable[[str, int], date],
) -> dict[Key, tuple[Any, ...]]:
    """(shop, script, week) -> (uses, agents, answering_uses, avg_response_seconds,
    buyer_days_with, converted_with, buyer_days_without, converted_without)."""
    answered = {
        (i.shop_id, i.buyer_id, i.answered_at_ms): i.response_seconds
        for i in inquiries
        if i.answered_at_ms is not None
    }
    weeks: dict[Key, _Week] = defaultdict(_Week)
    for e in {e.event_id: e for e in events}.values():
        if not (isinstance(e, ChatMessage) and e.sender == "agent" and e.text):
            continue
        used = library.match(e.shop_id, e.text)
        if used is None:
            continue
        day = day_of(e.shop_id, e.occurred_at)
        week = weeks[(e.shop_id, used.script.script_id, monday(day))]
        week.uses += 1
        week.agents.add(e.agent_id or "")
        response = answered.get((e.shop_id, e.buyer_id, e.occurred_at))
        if response is not None:
            week.responses.append(response)
        week.days.add((e.buyer_id, day))
    converted = {(d.shop_id, d.buyer_id, d.business_date): d.converted for d in days}
    totals: dict[tuple[str, date], list[int]] = defaultdict(lambda: [0, 0])
    for (shop, _, day), flag in converted.items():
        totals[(shop, monday(day))][0] += 1
        totals[(shop, monday(day))][1] += flag
    out: dict[Key, tuple[Any, ...]] = {}
    for (shop, script, week), w in weeks.items():
        with_days = [converted[(shop, b, d)] for b, d in w.days if (shop, b, d) in converted]
        total, total_converted = totals.get((shop, week), [0, 0])
        avg = sum(w.responses) / len(w.responses) if w.responses else None
        out[(shop, script, week)] = (
            w.uses, len(w.agents), len(w.responses), avg,
            len(with_days), sum(with_days),
            total - len(with_days), total_converted - sum(with_days),
        )  # fmt: skip
    return out
