"""Promotion days (大促 and a shop's own campaigns) and how much busier they are.

A promotion day is not part of the weekly pattern: the forecaster sees it replaced by an
ordinary day of the same weekday, and the forecast of a coming promotion day is the
ordinary forecast times a multiplier learned from the promotion days in the history
(configured where there are none).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from core.settings import KefuSettings

Day = Sequence[float]


@dataclass(frozen=True, slots=True)
class PromotionCalendar:
    """Platform promotion days every year (MM-DD) plus one shop's own campaign days."""

    month_days: frozenset[str]
    dates: frozenset[date]
    default_multiplier: float

    @classmethod
    def for_shop(cls, settings: KefuSettings, shop_id: str) -> PromotionCalendar:
        return cls(
            frozenset(settings.planning.promotion_dates),
            frozenset(settings.shop(shop_id).campaign_days),
            settings.planning.promotion_multiplier,
        )

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, date):
            return False
        return day in self.dates or day.strftime("%m-%d") in self.month_days


@dataclass(frozen=True, slots=True)
class Adjusted:
    """The history with promotion days made ordinary, and the multiplier to put them back."""

    days: dict[date, list[float]]
    multiplier: float


def adjust(days: dict[date, list[float]], calendar: PromotionCalendar) -> Adjusted:
    """Replace each promotion day by the mean of the ordinary days of its weekday.

    The multiplier is the promotion days' inquiries over those ordinary means' (summed over
    the promotion days that have ordinary days to compare with); the configured one if none.
    """
    ordinary = {d: v for d, v in days.items() if d not in calendar}
    out = dict(days)
    actual = baseline = 0.0
    for day, values in days.items():
        if day in ordinary:
            continue
        peers = [v for d, v in ordinary.items() if d.weekday() == day.weekday()]
        if not peers:
            continue
        mean = [sum(slot) / len(peers) for slot in zip(*peers, strict=True)]
        out[day] = mean
        actual += sum(values)
        baseline += sum(mean)
    multiplier = actual / baseline if baseline > 0 else calendar.default_multiplier
    return Adjusted(out, multiplier)
