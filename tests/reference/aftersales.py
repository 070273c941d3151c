"""docs/metrics.md computed in one batch pass from the raw events.

Deliberately plain and independent of the streaming code and the SQL views: it folds
orders and refunds itself, builds buyer-days from the reference inquiries (section 1,
tests/reference/inquiries.py), and evaluates every rate by filtering the facts of its
window directly. Only the scoring rule of tests.reference.kpi_scoring (unit-tested on its own) and
the settings model are shared.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from core.kpi.metrics import NAMES
from core.settings import KefuSettings
from schemas.events import BaseEvent, Complaint, Order, Rating, Refund
from schemas.inquiry import OPEN, Inquiry
from tests.reference.escalations import expected_orders
from tests.reference.inquiries import local
from tests.reference.kpi_scoring import Scorecard, scorecard
from tests.reference.qc import daily_scores, expected_findings, qc_score

WINDOW_MS = 72 * 3600 * 1000
# docs/metrics.md#memory-horizons, at the default conversation_memory_days.
MEMORY_MS = 7 * 24 * 3600 * 1000
LocalDate = Callable[[str, int], date]


def local_date_for(settings: KefuSettings) -> LocalDate:
    return lambda shop, ms: local(ms, settings.shop(shop).zone).date()


# -- orders and refunds (docs/metrics.md) ---------------------------------------------------


@dataclass
class OrderRef:
    order_id: str
    shop_id: str
    buyer_id: str
    amount: Decimal = Decimal(0)
    latest: tuple[int, str] = (-1, "")
    paid_at: int | None = None
    grouped_at: int | None = None


def fold_orders(events: Iterable[BaseEvent]) -> dict[str, OrderRef]:
    out: dict[str, OrderRef] = {}
    for e in sorted((e for e in events if isinstance(e, Order)), key=_stamp):
        o = out.setdefault(e.order_id, OrderRef(e.order_id, e.shop_id, e.buyer_id))
        o.latest, o.amount = _stamp(e), e.amount  # sorted: the last event wins
        if e.status == "paid" and o.paid_at is None:
            o.paid_at = e.occurred_at
        if e.status == "grouped" and o.grouped_at is None:
            o.grouped_at = e.occurred_at
    return out


@dataclass
class RefundRef:
    refund_id: str
    shop_id: str
    status: str = ""
    agent_id: str = ""
    requested_at: int | None = None
    decided_at: int | None = None
    refunded_at: int | None = None
    disputed: bool = False
    closed_at: int | None = None
    responsibility: str | None = None

    @property
    def processing_seconds(self) -> float | None:
        if self.requested_at is None or self.decided_at is None:
            return None
        return (self.decided_at - self.requested_at) / 1000

    @property
    def completion_seconds(self) -> float | None:
        if self.requested_at is None or self.refunded_at is None:
            return None
        return (self.refunded_at - self.requested_at) / 1000


def fold_refunds(events: Iterable[BaseEvent]) -> dict[str, RefundRef]:
    """Event order decides: walk each refund's events sorted by (occurred_at, event_id)."""
    out: dict[str, RefundRef] = {}
    for e in sorted((e for e in events if isinstance(e, Refund)), key=_stamp):
        r = out.setdefault(e.refund_id, RefundRef(e.refund_id, e.shop_id))
        r.status = e.status
        if e.agent_id:
            r.agent_id = e.agent_id
        at = e.occurred_at
        if e.status == "requested" and r.requested_at is None:
            r.requested_at = at
        if e.status in ("agreed", "rejected") and r.decided_at is None:
            r.decided_at = at
        if e.status == "refunded" and r.refunded_at is None:
            r.refunded_at = at
        if e.status == "dispute_opened":
            r.disputed = True
        if e.status == "dispute_closed":
            r.closed_at, r.responsibility = at, e.responsibility
    return out


def _stamp(e: BaseEvent) -> tuple[int, str]:
    return (e.occurred_at, e.event_id)


# -- buyer-days (docs/metrics.md#conversion) --------------------------------------------------------------


@dataclass(frozen=True)
class BuyerDayRef:
    shop_id: str
    buyer_id: str
    business_date: date
    first_inquiry_at: int
    inquiries: int
    missed_30s: int
    missed_3m: int
    missed_5m: int
    converted: int
    order_id: str | None
    paid_at: int | None
    order_amount: Decimal | None
    conversion_agent_id: str


def buyer_days(
    inquiries: Iterable[Inquiry], orders: dict[str, OrderRef], conversion_status: str = "paid"
) -> list[BuyerDayRef]:
    by_buyer: dict[tuple[str, str], list[Inquiry]] = defaultdict(list)
    for i in inquiries:
        by_buyer[(i.shop_id, i.buyer_id)].append(i)
    orders_of: dict[tuple[str, str], list[tuple[int, str, Decimal]]] = defaultdict(list)
    for o in orders.values():
        at = o.paid_at if conversion_status == "paid" else o.grouped_at
        if at is not None:
            orders_of[(o.shop_id, o.buyer_id)].append((at, o.order_id, o.amount))
    out: list[BuyerDayRef] = []
    for (shop, buyer), mine in by_buyer.items():
        days: dict[date, list[Inquiry]] = defaultdict(list)
        for i in mine:
            days[i.business_date].append(i)
        for day, day_inquiries in days.items():
            first = min(i.opened_at_ms for i in day_inquiries)
            final = [i for i in day_inquiries if i.status != OPEN]
            qualifying = sorted(
                o for o in orders_of[(shop, buyer)] if first <= o[0] <= first + WINDOW_MS
            )
            order = qualifying[0] if qualifying else None
            agent = "" if order is None else _last_answer(mine, order[0])
            out.append(
                BuyerDayRef(
                    shop,
                    buyer,
                    day,
                    first,
                    len(day_inquiries),
                    int(any(not i.within_30s for i in final)),
                    int(any(not i.within_3m for i in final)),
                    int(any(not i.within_5m for i in final)),
                    int(order is not None),
                    None if order is None else order[1],
                    None if order is None else order[0],
                    None if order is None else order[2],
                    agent,
                )  # fmt: skip
            )
    return out


def _last_answer(inquiries: list[Inquiry], paid_ms: int) -> str:
    """An answer more than the conversation memory before the payment closes no sale."""
    answered = [
        (i.answered_at_ms, i.opened_at_ms, i.inquiry_id, i.answered_by or "")
        for i in inquiries
        if i.answered_at_ms is not None and paid_ms - MEMORY_MS <= i.answered_at_ms <= paid_ms
    ]
    return max(answered)[3] if answered else ""


def sales_days(days: Iterable[BuyerDayRef]) -> list[BuyerDayRef]:
    """Each order once: the last of the converted buyer-days it converts (docs/analysts.md,
    "Conversion and sales")."""
    last: dict[tuple[str, str | None], BuyerDayRef] = {}
    for b in days:
        if b.converted:
            key = (b.shop_id, b.order_id)
            if key not in last or b.business_date > last[key].business_date:
                last[key] = b
    return list(last.values())


# -- trailing 30-day refund rates (docs/metrics.md#after-sales) --------------------------------------------


@dataclass(frozen=True)
class RefundRates:
    paid_orders: int
    merchant_disputes: int
    dispute_refund_rate: float | None
    closed_disputes: int
    resolved_disputes: int
    dispute_resolution_rate: float | None
    decided_refunds: int
    avg_refund_seconds: float | None


@dataclass(frozen=True)
class WorkOrderOutcome:
    shop_id: str
    agent_id: str
    business_date: date
    state: str
    breached: bool

    @property
    def settled(self) -> bool:
        return self.state == "resolved" or self.breached


class Facts:
    """Everything sections 3-6 are computed from, with shop-local dates attached."""

    def __init__(
        self,
        events: list[BaseEvent],
        inquiries: list[Inquiry],
        settings: KefuSettings,
        work_orders: list[WorkOrderOutcome] | None = None,
    ) -> None:
        """`work_orders`: the outcomes to score; by default those of the escalation reference."""
        self.settings = settings
        self.local_date = local_date_for(settings)
        self.inquiries = inquiries
        self.orders = fold_orders(events)
        self.refunds = fold_refunds(events)
        self.buyer_days = buyer_days(inquiries, self.orders, settings.conversion_status)
        self.ratings = [e for e in events if isinstance(e, Rating)]
        self.complaints = [e for e in events if isinstance(e, Complaint)]
        if work_orders is None:
            # Nobody acts on a replayed order: its outcome is known once a clock ran out.
            horizon = max(e.occurred_at for e in events)
            work_orders = [
                WorkOrderOutcome(o.shop_id, o.agent_id, o.business_date, "open",
                                 bool(o.breached_first_action or o.breached_resolve))
                for o in expected_orders(events, settings, horizon)
            ]  # fmt: skip
        self.work_orders = work_orders
        findings = expected_findings(events, settings.qc.shops_file)
        self.qc = daily_scores(events, findings, self.local_date, settings.qc.severity_weights)

    def _in(self, shop: str, ms: int | None, start: date, end: date) -> bool:
        return ms is not None and start <= self.local_date(shop, ms) <= end

    def refund_rates(self, shop: str, agent: str | None, as_of: date) -> RefundRates:
        """Over the 30 shop-local days ending on as_of; agent None means the whole shop."""
        start = as_of - timedelta(days=29)
        paid = sum(
            1
            for o in self.orders.values()
            if o.shop_id == shop and self._in(shop, o.paid_at, start, as_of)
        )
        mine = [
            r for r in self.refunds.values()
            if r.shop_id == shop and (agent is None or r.agent_id == agent)
        ]  # fmt: skip
        closed = [r for r in mine if self._in(shop, r.closed_at, start, as_of)]
        merchant = sum(1 for r in closed if r.responsibility == "merchant")
        disputes = [r for r in closed if r.disputed]
        resolved = sum(1 for r in disputes if r.responsibility != "merchant")
        decided = [
            r.processing_seconds
            for r in mine
            if r.processing_seconds is not None and self._in(shop, r.decided_at, start, as_of)
        ]
        return RefundRates(
            paid, merchant, _ratio(merchant, paid),
            len(disputes), resolved, _ratio(resolved, len(disputes)),
            len(decided), sum(decided) / len(decided) if decided else None,
        )  # fmt: skip

    def refund_rate_keys(self) -> tuple[set[tuple[str, date]], set[tuple[str, str, date]]]:
        """The (shop, as_of) and (shop, agent, as_of) rows the 30-day views hold: every day
        with a fact and the 29 after it."""
        shop_days: set[tuple[str, date]] = set()
        agent_days: set[tuple[str, str, date]] = set()
        for o in self.orders.values():
            if o.paid_at is not None:
                shop_days.add((o.shop_id, self.local_date(o.shop_id, o.paid_at)))
        for r in self.refunds.values():
            for at in (r.closed_at, r.decided_at if r.processing_seconds is not None else None):
                if at is not None:
                    day = self.local_date(r.shop_id, at)
                    shop_days.add((r.shop_id, day))
                    agent_days.add((r.shop_id, r.agent_id, day))
        spread = range(30)
        return (
            {(s, d + timedelta(days=k)) for s, d in shop_days for k in spread},
            {(s, a, d + timedelta(days=k)) for s, a, d in agent_days for k in spread},
        )


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else numerator / denominator


# -- agents' days and periods (docs/metrics.md) ------------------------------------------


@dataclass
class Sums:
    answered: int = 0
    response_seconds: float = 0.0
    buyers: set[tuple[str, date]] = field(default_factory=set)  # consulting buyer-days
    converted: set[tuple[str, date]] = field(default_factory=set)  # those of `buyers` converted
    amount: Decimal = Decimal(0)  # each order once, for its conversion agent
    orders: int = 0
    repeat: int = 0  # repeat orders among `orders`
    ratings: int = 0
    positive: int = 0
    complaints: int = 0
    decided: int = 0
    work_orders_settled: int = 0  # outcome known: resolved, or a clock ran out
    work_orders_met: int = 0  # resolved within both clocks
    qc_replies: int = 0  # human replies, the QC score's denominator
    qc_penalty: float = 0.0  # severity-weighted findings on them


AgentDay = tuple[str, str, date]


def agent_days(facts: Facts) -> dict[AgentDay, Sums]:
    """Per (shop, agent, business date), with the attribution rules of agent_daily."""
    out: dict[AgentDay, Sums] = defaultdict(Sums)
    for i in facts.inquiries:
        s = out[(i.shop_id, i.agent_id, i.business_date)]
        if i.response_seconds is not None:
            s.answered += 1
            s.response_seconds += i.response_seconds
        s.buyers.add((i.buyer_id, i.business_date))
    first_paid: dict[tuple[str, str], tuple[int, str]] = {}
    for o in facts.orders.values():
        if o.paid_at is not None:
            key = (o.shop_id, o.buyer_id)
            first_paid[key] = min(
                first_paid.get(key, (o.paid_at, o.order_id)), (o.paid_at, o.order_id)
            )
    converted = {(b.shop_id, b.buyer_id, b.business_date) for b in facts.buyer_days if b.converted}
    for i in facts.inquiries:
        if (i.shop_id, i.buyer_id, i.business_date) in converted:
            out[(i.shop_id, i.agent_id, i.business_date)].converted.add(
                (i.buyer_id, i.business_date)
            )
    for b in sales_days(facts.buyer_days):
        s = out[(b.shop_id, b.conversion_agent_id, b.business_date)]
        s.orders += 1
        s.amount += b.order_amount or 0
        first = first_paid.get((b.shop_id, b.buyer_id))
        s.repeat += int(first is not None and first[1] != b.order_id)
    for r in facts.ratings:
        s = out[(r.shop_id, r.agent_id or "", facts.local_date(r.shop_id, r.occurred_at))]
        s.ratings += 1
        s.positive += int(r.score >= 4)
    for c in facts.complaints:
        out[
            (c.shop_id, c.agent_id or "", facts.local_date(c.shop_id, c.occurred_at))
        ].complaints += 1
    for ref in facts.refunds.values():
        if ref.processing_seconds is not None and ref.decided_at is not None:
            day = facts.local_date(ref.shop_id, ref.decided_at)
            out[(ref.shop_id, ref.agent_id, day)].decided += 1
    for w in facts.work_orders:
        s = out[(w.shop_id, w.agent_id, w.business_date)]
        s.work_orders_settled += int(w.settled)
        s.work_orders_met += int(w.state == "resolved" and not w.breached)
    for (shop, agent, day), qc in facts.qc.items():
        s = out[(shop, agent, day)]
        s.qc_replies += qc.replies
        s.qc_penalty += qc.penalty
    return out


def period_bounds(period: str, day: date) -> tuple[date, date]:
    if period == "day":
        return day, day
    if period == "week":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    start = day.replace(day=1)
    return start, start.replace(day=calendar.monthrange(day.year, day.month)[1])


@dataclass(frozen=True)
class AgentScore:
    period: str
    period_start: date
    period_end: date
    shop_id: str
    agent_id: str
    role: str
    stage: str
    values: dict[str, float | None]
    card: Scorecard
    coaching_topic: str


def agent_scores(facts: Facts) -> dict[tuple[str, date, str, str], AgentScore]:
    """Keyed by (period, period_start, shop, agent), like the view."""
    periods: dict[tuple[str, date, str, str], Sums] = defaultdict(Sums)
    for (shop, agent, day), s in agent_days(facts).items():
        if not agent:
            continue
        for period in ("day", "week", "month"):
            p = periods[(period, period_bounds(period, day)[0], shop, agent)]
            p.answered += s.answered
            p.response_seconds += s.response_seconds
            p.buyers |= s.buyers
            p.converted |= s.converted
            p.amount += s.amount
            p.orders += s.orders
            p.repeat += s.repeat
            p.ratings += s.ratings
            p.positive += s.positive
            p.complaints += s.complaints
            p.decided += s.decided
            p.work_orders_settled += s.work_orders_settled
            p.work_orders_met += s.work_orders_met
            p.qc_replies += s.qc_replies
            p.qc_penalty += s.qc_penalty
    kpi = facts.settings.kpi
    out: dict[tuple[str, date, str, str], AgentScore] = {}
    for (period, start, shop, agent), p in periods.items():
        end = period_bounds(period, start)[1]
        rates = facts.refund_rates(shop, agent, end)
        values = _values(p, rates)
        role, stage = kpi.role_of(agent), kpi.stage_of(shop)
        card = scorecard(values, kpi.table(role, stage))
        topic = kpi.topic(card.weakest) if card.weakest else ""
        out[(period, start, shop, agent)] = AgentScore(
            period, start, end, shop, agent, role, stage, values, card, topic
        )
    return out


def _values(p: Sums, rates: RefundRates) -> dict[str, float | None]:
    buyers = len(p.buyers)
    values: dict[str, Any] = {
        "response_speed": _ratio(p.response_seconds, p.answered),
        "conversion_rate": _ratio(len(p.converted), buyers),
        "positive_rating_rate": _ratio(p.positive, p.ratings),
        "avg_order_value": _ratio(float(p.amount), p.orders),
        "repeat_purchase_rate": _ratio(p.repeat, p.orders),
        "complaint_rate": _ratio(p.complaints, buyers),
        "dispute_resolution_rate": rates.dispute_resolution_rate,
        "refund_speed": rates.avg_refund_seconds,
        "dispute_refund_rate": rates.dispute_refund_rate,
        "work_order_sla_rate": _ratio(p.work_orders_met, p.work_orders_settled),
        "qc_score": qc_score(p.qc_penalty, p.qc_replies),
    }
    assert tuple(values) == NAMES
    return values
