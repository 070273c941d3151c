"""planning.forecast on synthetic series whose pattern is known: a daily curve, busier
weekends, promotion days, and the errors a planner must explain."""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, time, timedelta

import pytest

from core.settings import KefuSettings
from planning.errors import PlanningError
from planning.forecast import IntervalCount, IntervalForecast, forecast_inquiries, seasonalities
from planning.promotions import PromotionCalendar

MONDAY = date(2026, 11, 2)
NONE = PromotionCalendar(frozenset(), frozenset(), 2.0)


def expected(day: date, slot: int, weekend: float = 1.5) -> float:
    """Quiet nights, an evening peak, weekends half as busy again."""
    daily = 6 + 5 * math.sin(2 * math.pi * (slot - 18) / 48)
    return daily * (weekend if day.weekday() >= 5 else 1.0)


def history(
    days: int, promotions: dict[date, float] | None = None, weekend: float = 1.5
) -> list[IntervalCount]:
    rng = random.Random(7)
    out = []
    for d in range(days):
        day = MONDAY + timedelta(days=d)
        factor = (promotions or {}).get(day, 1.0)
        for slot in range(48):
            at = datetime.combine(day, time(), tzinfo=UTC) + timedelta(minutes=30 * slot)
            mean = expected(day, slot, weekend) * factor
            out.append(IntervalCount(at, max(0.0, round(rng.gauss(mean, math.sqrt(mean))))))
    return out


def wape(forecast: list[IntervalForecast]) -> float:
    actual = [expected(f.interval_start.date(), i % 48) for i, f in enumerate(forecast)]
    return sum(abs(f.inquiries - a) for f, a in zip(forecast, actual, strict=True)) / sum(actual)


def seasonal_naive_wape(past: list[IntervalCount]) -> float:
    """The same half hour a week earlier, against the pattern."""
    last_week = past[-7 * 48 :]
    actual = [expected(h.interval_start.date(), i % 48) for i, h in enumerate(last_week)]
    return sum(abs(h.inquiries - a) for h, a in zip(last_week, actual, strict=True)) / sum(actual)


def test_a_week_ahead_follows_the_day_and_the_week() -> None:
    start = MONDAY + timedelta(days=28)
    past = history(28)
    forecast = forecast_inquiries(past, start, 7, NONE)
    assert len(forecast) == 7 * 48
    assert forecast[0].interval_start == datetime.combine(start, time(), tzinfo=UTC)
    assert forecast[-1].interval_start == datetime(2026, 12, 6, 23, 30, tzinfo=UTC)
    assert wape(forecast) < 0.2
    assert wape(forecast) < 0.8 * seasonal_naive_wape(past)
    weekday = sum(f.inquiries for f in forecast[:48])
    saturday = sum(f.inquiries for f in forecast[5 * 48 : 6 * 48])
    assert saturday / weekday == pytest.approx(1.5, rel=0.15)
    peak = max(range(48), key=lambda i: forecast[i].inquiries)
    assert 26 <= peak <= 34  # the curve's top is at slot 30 (15:00)


def test_the_weekly_part_is_kept_only_where_the_history_has_one() -> None:
    def seasons(past: list[IntervalCount]) -> list[int]:
        return seasonalities([h.inquiries for h in past])

    assert seasons(history(28)) == [48, 336]
    assert seasons(history(28, weekend=1.0)) == [48]
    assert seasons(history(20)) == [48]  # under three weeks: nothing to hold out


def test_the_prediction_interval_holds_the_point() -> None:
    forecast = forecast_inquiries(history(28), MONDAY + timedelta(days=28), 7, NONE)
    assert all(0 <= f.low <= f.inquiries <= f.high for f in forecast)
    assert all(f.high > f.low for f in forecast if f.inquiries > 0)


def test_a_gap_before_the_start_is_forecast_not_read_as_empty() -> None:
    gap = forecast_inquiries(history(28), MONDAY + timedelta(days=30), 7, NONE)
    assert wape(gap) < 0.2


def test_a_short_history_gives_a_daily_pattern() -> None:
    forecast = forecast_inquiries(history(4), MONDAY + timedelta(days=4), 2, NONE)
    assert len(forecast) == 96
    assert wape(forecast) < 0.3


def test_a_promotion_day_gets_the_multiplier_learned_from_past_ones() -> None:
    past = MONDAY + timedelta(days=9)  # a Wednesday, three times busier
    coming = MONDAY + timedelta(days=30)  # a Wednesday in the forecast
    calendar = PromotionCalendar(frozenset(), frozenset({past, coming}), 2.0)
    forecast = forecast_inquiries(history(28, {past: 3.0}), coming - timedelta(days=2), 7, calendar)
    promoted = [f for f in forecast if f.promotion]
    assert {f.interval_start.date() for f in promoted} == {coming}
    plain = forecast_inquiries(history(28), coming - timedelta(days=2), 7, NONE)
    ratio = sum(f.inquiries for f in promoted) / sum(
        f.inquiries for f in plain if f.interval_start.date() == coming
    )
    assert ratio == pytest.approx(3.0, rel=0.15)


def test_without_past_promotions_the_configured_multiplier_applies() -> None:
    assert date(2027, 11, 11) in PromotionCalendar.for_shop(KefuSettings(), "s1")  # 双11
    settings = KefuSettings(
        shops={"s1": {"campaign_days": ["2026-12-02"]}},
        planning={"promotion_dates": ["12-25"], "promotion_multiplier": 2.5},
    )
    calendar = PromotionCalendar.for_shop(settings, "s1")
    assert date(2026, 12, 2) in calendar
    assert date(2026, 12, 2) not in PromotionCalendar.for_shop(settings, "s2")
    assert date(2026, 11, 11) not in calendar
    start = MONDAY + timedelta(days=28)
    promoted = forecast_inquiries(history(28), start, 3, calendar)
    plain = forecast_inquiries(history(28), start, 3, NONE)
    assert [p.inquiries for p in promoted[96:]] == pytest.approx(
        [2.5 * p.inquiries for p in plain[96:]]
    )
    assert [p.inquiries for p in promoted[:96]] == pytest.approx([p.inquiries for p in plain[:96]])


@pytest.mark.parametrize(
    ("days_of_history", "start_day", "days", "message"),
    [
        (28, 28, 15, "1 to 14 days"),
        (1, 1, 7, "at least two days"),
        (28, 0, 7, "no inquiries before"),
    ],
)
def test_what_cannot_be_forecast_says_why(
    days_of_history: int, start_day: int, days: int, message: str
) -> None:
    with pytest.raises(PlanningError, match=message):
        forecast_inquiries(history(days_of_history), MONDAY + timedelta(days=start_day), days, NONE)
