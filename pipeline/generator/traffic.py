"""When buyers arrive: a shop-local daily curve with a late-morning and an evening peak, and,
when asked for, a weekly pattern and promotion days that scale a whole day."""

from __future__ import annotations

from collections.abc import Iterator, Set
from datetime import date
from random import Random

from pipeline.generator.clock import DAY, HOUR, local_date, local_hour

# Relative arrival intensity at each local hour (Pinduoduo traffic: quiet nights, a
# late-morning peak, a lunch dip and the biggest peak 20:00-22:00).
_HOURLY: tuple[float, ...] = (
    0.35, 0.20, 0.12, 0.08, 0.06, 0.07, 0.15, 0.35, 0.65, 0.90, 1.10, 1.15,
    0.90, 0.80, 0.85, 0.90, 0.85, 0.80, 0.85, 1.00, 1.35, 1.45, 1.20, 0.70,
)  # fmt: skip
_MEAN = sum(_HOURLY) / len(_HOURLY)


# Relative volume of each local weekday, Monday first (mean 1): Fridays and weekends busier.
_WEEKDAYS: tuple[float, ...] = (0.92, 0.88, 0.90, 0.95, 1.05, 1.20, 1.10)


def day_factor(ms: int, offset_ms: int, weekly: bool, promotions: Set[date], boost: float) -> float:
    """How many times the configured daily buyers the shop-local day of `ms` brings."""
    day = local_date(ms, offset_ms)
    factor = _WEEKDAYS[day.weekday()] if weekly else 1.0
    return factor * boost if day in promotions else factor


def intensity(hour: float) -> float:
    """Curve value at a fractional local hour, linear between hour midpoints; mean 1."""
    shifted = hour - 0.5
    low = int(shifted // 1) % 24
    weight = shifted - shifted // 1
    value = _HOURLY[low] * (1 - weight) + _HOURLY[(low + 1) % 24] * weight
    return value / _MEAN


def peak_intensity() -> float:
    return max(_HOURLY) / _MEAN


def arrivals(rng: Random, per_day: float, start_ms: int, end_ms: int, offset_ms: int) -> list[int]:
    """Arrival times in [start_ms, end_ms) of a Poisson process following the curve.

    Thinning: draw at the peak rate and keep each draw with probability curve/peak.
    """
    if per_day <= 0 or end_ms <= start_ms:
        return []
    top = peak_intensity()
    rate_per_ms = per_day * top / DAY
    times: list[int] = []
    clock = float(start_ms)
    while True:
        clock += rng.expovariate(rate_per_ms)
        if clock >= end_ms:
            return times
        moment = int(clock)
        if rng.random() * top < intensity(local_hour(moment, offset_ms)):
            times.append(moment)


def hour_slots(start_ms: int, end_ms: int) -> Iterator[tuple[int, int]]:
    """Clock-hour slots covering [start_ms, end_ms), clipped at both ends."""
    cursor = start_ms
    while cursor < end_ms:
        boundary = min(cursor - cursor % HOUR + HOUR, end_ms)
        yield cursor, boundary
        cursor = boundary
