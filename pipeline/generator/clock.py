"""Event time as integer epoch milliseconds, and the shop-local views of it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

SECOND = 1_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR

# Service hours of docs/metrics.md (default 08:00-23:00 shop-local).
SERVICE_START_HOUR = 8
SERVICE_END_HOUR = 23

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_ms(moment: datetime) -> int:
    """Epoch milliseconds of an aware datetime."""
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def from_ms(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


def zone_offset_ms(zone: str, at: datetime) -> int:
    """UTC offset of `zone` at `at`.

    Asia/Shanghai has had no daylight saving since 1991, so one offset per shop is exact
    and keeps the hot path free of zoneinfo lookups.
    """
    offset = at.astimezone(ZoneInfo(zone)).utcoffset()
    assert offset is not None
    return offset // timedelta(milliseconds=1)


def local_hour(ms: int, offset_ms: int) -> float:
    """Hour of the shop-local day as a fraction, 0 <= h < 24."""
    return ((ms + offset_ms) % DAY) / HOUR


def local_date(ms: int, offset_ms: int) -> date:
    """The shop-local calendar date of `ms`."""
    return (_EPOCH + timedelta(milliseconds=ms + offset_ms)).date()


def in_service(ms: int, offset_ms: int) -> bool:
    return SERVICE_START_HOUR <= local_hour(ms, offset_ms) < SERVICE_END_HOUR


def next_service_start(ms: int, offset_ms: int) -> int:
    """The first service-hours start at or after `ms`."""
    local = ms + offset_ms
    day_start = local - local % DAY
    opening = day_start + SERVICE_START_HOUR * HOUR
    if local > opening:
        opening += DAY
    return opening - offset_ms


@lru_cache(maxsize=64)
def _local_date(day_number: int) -> str:
    return (date(1970, 1, 1) + timedelta(days=day_number)).isoformat()


@lru_cache(maxsize=8)
def _offset_suffix(offset_ms: int) -> str:
    sign = "+" if offset_ms >= 0 else "-"
    hours, minutes = divmod(abs(offset_ms) // MINUTE, 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


def format_rfc3339(ms: int, offset_ms: int) -> str:
    """`2026-11-23T10:00:05.250+08:00`; hand-rolled because isoformat() dominates a profile."""
    day_number, in_day = divmod(ms + offset_ms, DAY)
    hours, rest = divmod(in_day, HOUR)
    minutes, rest = divmod(rest, MINUTE)
    seconds, millis = divmod(rest, SECOND)
    return (
        f"{_local_date(day_number)}T{hours:02d}:{minutes:02d}:{seconds:02d}."
        f"{millis:03d}{_offset_suffix(offset_ms)}"
    )


def parse_occurred_at(value: int | str) -> tuple[int, int]:
    """(epoch ms, offset ms) of a wire `occurred_at`; epoch integers carry offset 0."""
    if isinstance(value, int):
        return value, 0
    moment = datetime.fromisoformat(value)
    offset = moment.utcoffset()
    if offset is None:
        msg = f"occurred_at without offset: {value!r}"
        raise ValueError(msg)
    return to_ms(moment), offset // timedelta(milliseconds=1)
