"""Inquiries per 30-minute interval for the coming days, with a prediction interval.

statsforecast's MSTL splits the history into a daily (48 half hours) and possibly a weekly
(336) seasonal part plus a trend that AutoETS forecasts; its prediction interval comes with
the point. The weekly part is kept only where it earns its place: with three weeks of
history or more, both models forecast the last week from the weeks before it, and the one
with the smaller absolute error is fitted again on the whole history. A weekly part
estimated from a few noisy weeks otherwise forecasts the noise again. Half hours without a row in shop_intervals had no inquiry,
so the series is filled with zeros. Promotion days are taken out of the history and put
back into the forecast with their multiplier (planning.promotions).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from planning.errors import PlanningError
from planning.promotions import PromotionCalendar, adjust

SLOTS = 48  # half hours a day
WEEK = 7 * SLOTS
MAX_DAYS = 14
HALF_HOUR = timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class IntervalCount:
    """Inquiries whose clock started in one half hour (shop_intervals' wall-clock start)."""

    interval_start: datetime
    inquiries: float


@dataclass(frozen=True, slots=True)
class IntervalForecast:
    """Forecast inquiries of one half hour, `low`..`high` the prediction interval."""

    interval_start: datetime
    inquiries: float
    low: float
    high: float
    promotion: bool


def forecast_inquiries(
    history: Sequence[IntervalCount],
    start: date,
    days: int,
    calendar: PromotionCalendar,
    level: int = 80,
) -> list[IntervalForecast]:
    """Every half hour of `days` days from `start`, from the history before `start`."""
    if not 1 <= days <= MAX_DAYS:
        msg = f"the forecast covers 1 to {MAX_DAYS} days, not {days}"
        raise PlanningError(msg)
    by_day = _days(history, start)
    adjusted = adjust(by_day, calendar)
    series = [v for day in sorted(adjusted.days) for v in adjusted.days[day]]
    offset = (start - max(by_day) - timedelta(days=1)).days * SLOTS
    point, low, high = _mstl(series, offset + days * SLOTS, seasonalities(series), level)
    out = []
    for k in range(days * SLOTS):
        at = datetime.combine(start, time(), tzinfo=UTC) + k * HALF_HOUR
        factor = adjusted.multiplier if at.date() in calendar else 1.0
        i = offset + k
        out.append(
            IntervalForecast(
                at,
                max(point[i], 0.0) * factor,
                max(low[i], 0.0) * factor,
                max(high[i], 0.0) * factor,
                at.date() in calendar,
            )
        )
    return out


def _days(history: Sequence[IntervalCount], start: date) -> dict[date, list[float]]:
    """Whole days from the first to the last day of history before `start`, zeros filled.

    Days after the last one with data are forecast, not taken as days without inquiries.
    """
    before = [h for h in history if h.interval_start.date() < start]
    if not before:
        msg = f"no inquiries before {start} to forecast from"
        raise PlanningError(msg)
    first = min(h.interval_start.date() for h in before)
    count = (max(h.interval_start.date() for h in before) - first).days + 1
    if count < 2:
        msg = f"need at least two days of history before {start}, have {count}"
        raise PlanningError(msg)
    days = {first + timedelta(days=d): [0.0] * SLOTS for d in range(count)}
    for h in before:
        at = h.interval_start
        days[at.date()][(at.hour * 60 + at.minute) // 30] += h.inquiries
    return days


def seasonalities(series: list[float]) -> list[int]:
    """Daily, or daily and weekly if that forecasts the history's last week better."""
    daily = [SLOTS]
    if len(series) < 3 * WEEK:
        return daily
    train, held = series[:-WEEK], series[-WEEK:]

    def error(seasons: list[int]) -> float:
        point = _mstl(train, WEEK, seasons, 80)[0]
        return sum(abs(max(p, 0.0) - a) for p, a in zip(point, held, strict=True))

    return min((daily, [SLOTS, WEEK]), key=error)


def _mstl(
    series: list[float], horizon: int, seasons: list[int], level: int
) -> tuple[list[float], ...]:
    import pandas as pd
    from statsforecast import StatsForecast
    from statsforecast.models import MSTL

    frame = pd.DataFrame({"unique_id": "shop", "ds": range(len(series)), "y": series})
    model = StatsForecast(models=[MSTL(season_length=seasons)], freq=1)
    result = model.forecast(df=frame, h=horizon, level=[level])
    return tuple(
        [float(v) for v in result[column]]
        for column in ("MSTL", f"MSTL-lo-{level}", f"MSTL-hi-{level}")
    )
