"""`python -m bench.staffing_backtest`: the staffing forecast and plan against generated weeks.

Five generated weeks of one shop with a weekly pattern and promotion days (`kefu gen
--weekly --promotion-day`): the forecast of `planning.forecast` is fitted on the first four
and forecasts the fifth, which holds a promotion day like one in the history. Reported:
WAPE per horizon day against seasonal naive (the same half hour a week earlier), and the
reply rate the plan's agents would have achieved, by re-simulating that week's generated
inquiries half hour by half hour (FIFO over floor(agents x concurrency) chat slots, handle
times drawn around the measured mean), against the fewest agents that would have met the
target in the same simulation.

Inquiries are counted from the generated chat as the inquiry engine opens them (a buyer
message with no inquiry open), with night inquiries at the 08:00 service start, and only
service-hour half hours are planned, as `kefu plan` does.
"""

from __future__ import annotations

import argparse
import heapq
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from pipeline.generator import GenConfig, generate
from pipeline.generator.clock import parse_occurred_at
from planning.erlang import required_agents
from planning.forecast import IntervalCount, IntervalForecast, forecast_inquiries
from planning.promotions import PromotionCalendar

START = date(2026, 10, 12)  # a Monday
WEEKS = 5
PROMOTIONS = (date(2026, 10, 24), date(2026, 11, 11))  # one in the history, one ahead
TARGET_RATE, TARGET_SECONDS = 0.80, 180
HANDLE_CAP = 1200.0
SHANGHAI = timedelta(hours=8)
OPEN, CLOSE = time(8), time(23)


@dataclass
class Week:
    """Per local half hour (wall-clock, as shop_intervals keys it): inquiry open times."""

    opened: dict[datetime, list[float]]
    handle_seconds: float
    concurrency: float


def inquiries(config: GenConfig) -> Week:
    """Inquiry clock starts per half hour, and the mean handle time and concurrency."""
    chats: dict[tuple[str, str], list[tuple[int, str, str]]] = defaultdict(list)
    for item in generate(config):
        if isinstance(item, dict) and item.get("type") == "chat.message":
            ms, _ = parse_occurred_at(item["occurred_at"])
            chats[(item["shop_id"], item["buyer_id"])].append(
                (ms, item["sender"], item.get("agent_id") or "")
            )
    opened: dict[datetime, list[float]] = defaultdict(list)
    handles: list[float] = []
    busy: dict[datetime, float] = defaultdict(float)
    agents: dict[datetime, set[str]] = defaultdict(set)
    for messages in chats.values():
        messages.sort()
        open_at: int | None = None
        first_reply: int | None = None
        last_reply: int | None = None
        for ms, sender, agent in messages:
            if sender == "agent":
                agents[_slot(ms)].add(agent)
                if open_at is not None:
                    first_reply, open_at = ms, None
                last_reply = ms
            elif sender == "buyer" and open_at is None:
                _handled(first_reply, last_reply, handles, busy)
                first_reply = last_reply = None
                open_at = ms
                start = _clock_start(ms)
                opened[_slot(start)].append((start - _slot_ms(start)) / 1000)
        _handled(first_reply, last_reply, handles, busy)
    active = sum(len(a) for a in agents.values())
    return Week(opened, sum(handles) / len(handles), sum(busy.values()) / 1800 / max(active, 1))


def _handled(
    first: int | None, last: int | None, handles: list[float], busy: dict[datetime, float]
) -> None:
    if first is None or last is None:
        return
    handle = min((last - first) / 1000, HANDLE_CAP)
    handles.append(handle)
    busy[_slot(first)] += handle


def _local(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).replace(tzinfo=None) + SHANGHAI


def _slot(ms: int) -> datetime:
    at = _local(ms)
    return at.replace(minute=at.minute // 30 * 30, second=0, microsecond=0)


def _slot_ms(ms: int) -> int:
    return ms - (int((_local(ms) - _slot(ms)).total_seconds() * 1000))


def _clock_start(ms: int) -> int:
    """Outside service hours an inquiry's clock starts at the next 08:00 (metrics.md)."""
    at = _local(ms)
    if OPEN <= at.time() < CLOSE:
        return ms
    day = at.date() + timedelta(days=at.time() >= CLOSE)
    start = datetime.combine(day, OPEN) - SHANGHAI
    return int(start.replace(tzinfo=UTC).timestamp() * 1000)


def wape(forecast: Sequence[float], actual: Sequence[float]) -> float:
    return sum(abs(f - a) for f, a in zip(forecast, actual, strict=True)) / max(sum(actual), 1e-9)


def answered_share(arrivals: list[float], servers: int, services: list[float]) -> float:
    """FIFO over `servers` chat slots from an empty start; the share waiting <= the target."""
    if not arrivals:
        return 1.0
    if servers <= 0:
        return 0.0
    free = [0.0] * servers
    met = 0
    for at, service in zip(sorted(arrivals), services, strict=False):
        ready = heapq.heappop(free)
        begin = max(at, ready)
        met += begin - at <= TARGET_SECONDS
        heapq.heappush(free, begin + service)
    return met / len(arrivals)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buyers", type=float, default=900.0, help="consulting buyers a day")
    parser.add_argument("--agents", type=int, default=6, help="agents of the generated shop")
    args = parser.parse_args(argv)
    start = datetime.combine(START, time(), tzinfo=UTC) - SHANGHAI
    config = GenConfig(
        seed=19, start=start, days=7 * WEEKS, shops=1, agents_per_shop=args.agents,
        buyers_per_shop_day=args.buyers, weekly=True, promotion_days=PROMOTIONS,
    )  # fmt: skip
    week = inquiries(config)
    cutoff = START + timedelta(days=7 * (WEEKS - 1))
    history = [
        IntervalCount(at.replace(tzinfo=UTC), len(times))
        for at, times in sorted(week.opened.items())
        if at.date() < cutoff
    ]
    calendar = PromotionCalendar(frozenset(), frozenset(PROMOTIONS), 2.0)
    forecast = forecast_inquiries(history, cutoff, 7, calendar, 80)
    counts = {at.replace(tzinfo=UTC): len(t) for at, t in week.opened.items()}
    print(f"handle {week.handle_seconds:.0f} s, concurrency {week.concurrency:.2f}")
    print(f"{'day':12} {'horizon':>7} {'WAPE model':>10} {'WAPE naive':>10}")
    model_all, naive_all, actual_all = [], [], []
    for h in range(7):
        day = cutoff + timedelta(days=h)
        mine = [
            f for f in forecast if f.interval_start.date() == day and _serving(f.interval_start)
        ]
        actual = [counts.get(f.interval_start, 0) for f in mine]
        naive = [counts.get(f.interval_start - timedelta(days=7), 0) for f in mine]
        model = [f.inquiries for f in mine]
        model_all += model
        naive_all += naive
        actual_all += actual
        tag = " (promotion)" if day in calendar else ""
        print(f"{day}{tag:12} {h + 1:>7} {wape(model, actual):10.3f} {wape(naive, actual):10.3f}")
    print(
        f"{'all':12} {'':>7} {wape(model_all, actual_all):10.3f} {wape(naive_all, actual_all):10.3f}"
    )
    _staffing(forecast, week)
    return 0


def _serving(at: datetime) -> bool:
    return OPEN <= at.time() < CLOSE


def _staffing(forecast: Sequence[IntervalForecast], week: Week) -> None:
    rng = random.Random(7)
    slots = max(week.concurrency, 1.0)
    met = intervals = 0
    planned_hours = minimum_hours = 0.0
    for f in forecast:
        at = f.interval_start.replace(tzinfo=None)
        arrivals = week.opened.get(at, [])
        if not _serving(at) or not arrivals:
            continue
        services = [rng.expovariate(1 / week.handle_seconds) for _ in arrivals]
        planned = required_agents(
            f.high, week.handle_seconds, week.concurrency, TARGET_RATE, TARGET_SECONDS
        )
        intervals += 1
        met += answered_share(arrivals, int(planned * slots), services) >= TARGET_RATE
        fewest = next(
            n for n in range(1, 200)
            if answered_share(arrivals, int(n * slots), services) >= TARGET_RATE
        )  # fmt: skip
        planned_hours += planned / 2
        minimum_hours += fewest / 2
    print(
        f"\nhalf hours meeting {TARGET_RATE:.0%} within {TARGET_SECONDS} s with the plan's agents "
        f"(high bound): {met}/{intervals} = {met / intervals:.1%}"
    )
    print(
        f"agent-hours: planned {planned_hours:.1f}, fewest that meet the target "
        f"{minimum_hours:.1f} ({planned_hours / minimum_hours - 1:+.1%})"
    )


if __name__ == "__main__":
    raise SystemExit(main())
