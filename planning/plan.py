"""A staffing plan: forecast inquiries per half hour and the agents each one needs.

The handle time and concurrency are the shop's, measured over the history read: the mean
handle time of its answered inquiries, and the concurrency its inquiries met (each half
hour's concurrency weighted by its inquiries). Required agents are computed for the point
forecast and for the high bound of its prediction interval (docs/metrics.md#staffing), in
service hours only: an inquiry opened at night starts its clock at the service start and is
counted, and answered, there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time

from planning.erlang import required_agents
from planning.errors import PlanningError
from planning.forecast import IntervalCount, IntervalForecast, forecast_inquiries
from planning.history import ObservedInterval
from planning.promotions import PromotionCalendar


@dataclass(frozen=True, slots=True)
class Target:
    """Share of inquiries to answer within `seconds` (default: 80 % within 3 minutes)."""

    rate: float = 0.80
    seconds: int = 180


@dataclass(frozen=True, slots=True)
class MeasuredLoad:
    handle_seconds: float
    concurrency: float


@dataclass(frozen=True, slots=True)
class PlannedInterval:
    forecast: IntervalForecast
    required_agents: int
    required_agents_high: int


@dataclass(frozen=True, slots=True)
class Plan:
    load: MeasuredLoad
    target: Target
    intervals: list[PlannedInterval]


def measured_load(history: Sequence[ObservedInterval]) -> MeasuredLoad:
    handled = [(h.handle_seconds, h.answered) for h in history if h.handle_seconds is not None]
    answered = sum(n for _, n in handled)
    if answered == 0:
        msg = "no answered inquiries in the history to measure the handle time from"
        raise PlanningError(msg)
    met = [(h.concurrency, h.inquiries) for h in history if h.concurrency is not None]
    weight = sum(n for _, n in met)
    return MeasuredLoad(
        sum(s * n for s, n in handled) / answered,
        sum(c * n for c, n in met) / weight if weight else 1.0,
    )


def make_plan(
    history: Sequence[ObservedInterval],
    start: date,
    days: int,
    calendar: PromotionCalendar,
    target: Target,
    service_hours: tuple[time, time],
    level: int = 80,
) -> Plan:
    counts = [IntervalCount(h.interval_start, h.inquiries) for h in history]
    forecast = forecast_inquiries(counts, start, days, calendar, level)
    load = measured_load(history)

    opens, closes = service_hours

    def agents(f: IntervalForecast, arrivals: float) -> int:
        if not opens <= f.interval_start.time() < closes:
            return 0
        return required_agents(
            arrivals, load.handle_seconds, load.concurrency, target.rate, target.seconds
        )

    planned = [PlannedInterval(f, agents(f, f.inquiries), agents(f, f.high)) for f in forecast]
    return Plan(load, target, planned)
