"""Every column of shop_daily, agent_daily, shop_minutely and agent_minutely, computed in one
batch pass from the reference facts (tests/reference/inquiries.py and aftersales.py).

Deliberately plain and independent of the SQL: group the facts in Python and evaluate each
definition directly (docs/metrics.md; docs/analysts.md "Open inquiries on a live day"
and "Conversion and sales"):

- an open inquiry counts in every denominator and as not (yet) within every threshold, on
  the service-hours clock and on the raw clock alike, so it is a buyer-day miss everywhere;
- p50/p90 are quantileExactInclusive: linear interpolation between the sorted values at
  position (n - 1) * level, numpy's default and Excel's PERCENTILE.INC;
- an agent's conversions are its consulting buyer-days that converted; each order's amount
  counts once, on the last buyer-day it converts, for that buyer-day's conversion agent.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from schemas.inquiry import OPEN, Inquiry
from tests.reference.aftersales import BuyerDayRef, Facts, sales_days

THRESHOLDS = (("30s", 30), ("3m", 180), ("5m", 300))
Row = dict[str, Any]
Key = Callable[[str, str], tuple[str, ...]]


def quantile_exact_inclusive(values: Sequence[float], level: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * level
    low = math.floor(position)
    if low + 1 >= len(ordered):
        return ordered[low]
    return ordered[low] + (position - low) * (ordered[low + 1] - ordered[low])


def ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else numerator / denominator


def mean(values: Sequence[float]) -> float | None:
    return ratio(sum(values), len(values))


@dataclass
class Group:
    """The facts of one view row."""

    inquiries: list[Inquiry] = field(default_factory=list)
    buyers: set[str] = field(default_factory=set)
    converted: set[str] = field(default_factory=set)
    amount: Decimal = Decimal(0)
    orders: int = 0
    ratings: int = 0
    positive: int = 0
    complaints: int = 0


def _within(seconds: float | None, limit: int) -> bool:
    return seconds is not None and seconds <= limit


def _scope(inquiries: list[Inquiry], suffix: str, raw: bool) -> Row:
    """rate_*, avg_response_seconds and buyer_rate_* of one scope of docs/metrics.md#inquiries-and-response-time."""
    row: Row = {}

    def seconds(i: Inquiry) -> float | None:
        return i.raw_response_seconds if raw else i.response_seconds

    buyers = {i.buyer_id for i in inquiries}
    for name, limit in THRESHOLDS:
        hits = sum(_within(seconds(i), limit) for i in inquiries)
        missed = {i.buyer_id for i in inquiries if not _within(seconds(i), limit)}
        row[f"rate_{name}{suffix}"] = ratio(hits, len(inquiries))
        row[f"buyer_rate_{name}{suffix}"] = ratio(len(buyers) - len(missed), len(buyers))
    answered = [s for i in inquiries if (s := seconds(i)) is not None]
    row[f"avg_response_seconds{suffix}"] = mean(answered)
    return row


def _first_responses(inquiries: list[Inquiry]) -> list[float]:
    first: dict[str, Inquiry] = {}
    for i in inquiries:
        if i.buyer_id not in first or (i.opened_at_ms, i.inquiry_id) < (
            first[i.buyer_id].opened_at_ms,
            first[i.buyer_id].inquiry_id,
        ):
            first[i.buyer_id] = i
    return [s for i in first.values() if (s := i.response_seconds) is not None]


def daily_row(g: Group, shop: bool) -> Row:
    inq = g.inquiries
    buyers = len(g.buyers)
    responses = [s for i in inq if (s := i.response_seconds) is not None]
    row: Row = {
        "inquiries": len(inq),
        "answered": sum(i.answered_at_ms is not None for i in inq),
        "consulting_buyers": buyers,
        **_scope(inq, "", raw=False),
        "p50_response_seconds": quantile_exact_inclusive(responses, 0.5),
        "p90_response_seconds": quantile_exact_inclusive(responses, 0.9),
        "converted_buyers": len(g.converted),
        "conversion_rate": ratio(len(g.converted), buyers),
        "converted_amount": g.amount,
        "avg_order_value": ratio(float(g.amount), g.orders),
        "ratings": g.ratings,
        "positive_rating_rate": ratio(g.positive, g.ratings),
        "complaints": g.complaints,
        "complaint_rate": ratio(g.complaints, buyers),
        "is_final": int(all(i.status != OPEN for i in inq)),
    }
    if shop:
        row["avg_first_response_seconds"] = mean(_first_responses(inq))
    day_8_23 = [i for i in inq if i.in_8_23]
    row["inquiries_8_23"] = len(day_8_23)
    row["consulting_buyers_8_23"] = len({i.buyer_id for i in day_8_23})
    row.update(_scope(day_8_23, "_8_23", raw=True))
    row["consulting_buyers_all_day"] = buyers
    row.update(_scope(inq, "_all_day", raw=True))
    return row


def _groups(facts: Facts, key: Key) -> dict[tuple[Any, ...], Group]:
    """key(shop, agent) + (business date,) -> Group; key drops the agent for shop rows.

    Consulting buyer-days are the buyers of the group's inquiries; for a shop that is
    also the count of its buyer_days, which the view reads instead."""
    out: dict[tuple[Any, ...], Group] = defaultdict(Group)
    converted = {(b.shop_id, b.buyer_id, b.business_date) for b in facts.buyer_days if b.converted}
    for i in facts.inquiries:
        g = out[(*key(i.shop_id, i.agent_id), i.business_date)]
        g.inquiries.append(i)
        g.buyers.add(i.buyer_id)
        if (i.shop_id, i.buyer_id, i.business_date) in converted:
            g.converted.add(i.buyer_id)
    for b in sales_days(facts.buyer_days):
        g = out[(*key(b.shop_id, b.conversion_agent_id), b.business_date)]
        g.amount += b.order_amount or Decimal(0)
        g.orders += 1
    for r in facts.ratings:
        day = facts.local_date(r.shop_id, r.occurred_at)
        g = out[(*key(r.shop_id, r.agent_id or ""), day)]
        g.ratings += 1
        g.positive += int(r.score >= 4)
    for c in facts.complaints:
        day = facts.local_date(c.shop_id, c.occurred_at)
        out[(*key(c.shop_id, c.agent_id or ""), day)].complaints += 1
    return out


def shop_daily(facts: Facts) -> dict[tuple[Any, ...], Row]:
    """Keyed (shop, business date)."""
    groups = _groups(facts, lambda shop, _agent: (shop,))
    return {key: daily_row(g, shop=True) for key, g in groups.items()}


def agent_daily(facts: Facts) -> dict[tuple[Any, ...], Row]:
    """Keyed (shop, agent, business date)."""
    groups = _groups(facts, lambda shop, agent: (shop, agent))
    rows = {key: daily_row(g, shop=False) for key, g in groups.items()}
    for key, row in rows.items():
        qc = facts.qc.get(key)
        row |= {
            "replies": qc.replies if qc else 0,
            "qc_findings": qc.findings if qc else 0,
            "qc_score": qc.score if qc else None,
        }
    return rows


def minutely_row(inquiries: list[Inquiry]) -> Row:
    row: Row = {
        "inquiries": len(inquiries),
        "answered": sum(i.answered_at_ms is not None for i in inquiries),
    }
    for name, limit in THRESHOLDS:
        hits = sum(_within(i.response_seconds, limit) for i in inquiries)
        row[f"rate_{name}"] = ratio(hits, len(inquiries))
    row["avg_response_seconds"] = mean(
        [s for i in inquiries if (s := i.response_seconds) is not None]
    )
    row["is_final"] = int(all(i.status != OPEN for i in inquiries))
    return row


def minute_of(ms: int) -> datetime:
    return datetime.fromtimestamp(ms // 60_000 * 60, tz=UTC)


def minutely(inquiries: Iterable[Inquiry], by_agent: bool) -> dict[tuple[Any, ...], Row]:
    """Keyed (shop, minute) or (shop, agent, minute), minute of effective_opened_at in UTC."""
    groups: dict[tuple[Any, ...], list[Inquiry]] = defaultdict(list)
    for i in inquiries:
        who = (i.shop_id, i.agent_id) if by_agent else (i.shop_id,)
        groups[(*who, minute_of(i.effective_opened_at_ms))].append(i)
    return {key: minutely_row(mine) for key, mine in groups.items()}


def multi_day_orders(days: Iterable[BuyerDayRef]) -> int:
    """Orders that convert more than one buyer-day (their amount must still count once)."""
    count: dict[tuple[str, str | None], int] = defaultdict(int)
    for b in days:
        if b.converted:
            count[(b.shop_id, b.order_id)] += 1
    return sum(n > 1 for n in count.values())
