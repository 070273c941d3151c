"""ServiceHours: effective open, business date and the 8-23 scope at their edges."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from agents.inquiries.hours import ServiceHours, hours_from_settings
from core.settings import KefuSettings, ShopSettings

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
DEFAULT = ServiceHours(SHANGHAI, time(8), time(23))


def ms(
    zone: ZoneInfo,
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    micro: int = 0,
) -> int:
    """UTC epoch ms of a local wall-clock time."""
    moment = datetime(year, month, day, hour, minute, second, micro, tzinfo=zone)
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)


def sh(hour: int, minute: int = 0, second: int = 0, milli: int = 0, day: int = 23) -> int:
    return ms(SHANGHAI, 2026, 11, day, hour, minute, second, milli * 1000)


@pytest.mark.parametrize(
    ("opened", "effective", "business_date"),
    [
        (sh(7, 59, 59, 999), sh(8), date(2026, 11, 23)),
        (sh(8), sh(8), date(2026, 11, 23)),
        (sh(12, 30), sh(12, 30), date(2026, 11, 23)),
        (sh(22, 59, 59, 999), sh(22, 59, 59, 999), date(2026, 11, 23)),
        (sh(23), sh(8, day=24), date(2026, 11, 24)),
        (sh(23, 59, 59, 999), sh(8, day=24), date(2026, 11, 24)),
        (sh(0), sh(8), date(2026, 11, 23)),
        (sh(2), sh(8), date(2026, 11, 23)),
    ],
)
def test_effective_open_and_business_date(opened: int, effective: int, business_date: date) -> None:
    assert DEFAULT.effective_open_ms(opened) == effective
    assert DEFAULT.business_date(effective) == business_date


@pytest.mark.parametrize(
    ("moment", "inside"),
    [
        (sh(0), 0),
        (sh(7, 59, 59, 999), 0),
        (sh(8), 1),
        (sh(22, 59, 59, 999), 1),
        (sh(23), 0),
        (sh(23, 59, 59, 999), 0),
    ],
)
def test_in_8_23(moment: int, inside: int) -> None:
    assert DEFAULT.in_8_23(moment) == inside
    # the 8-23 scope ignores the configured service hours
    assert ServiceHours(SHANGHAI, time(9, 30), time(18)).in_8_23(moment) == inside


def test_business_date_turns_at_local_midnight() -> None:
    assert DEFAULT.business_date(sh(23, 59, 59, 999)) == date(2026, 11, 23)
    assert DEFAULT.business_date(sh(0, day=24)) == date(2026, 11, 24)


def test_custom_hours() -> None:
    hours = ServiceHours(SHANGHAI, time(9, 30), time(18))
    assert hours.effective_open_ms(sh(9, 29, 59, 999)) == sh(9, 30)
    assert hours.effective_open_ms(sh(9, 30)) == sh(9, 30)
    assert hours.effective_open_ms(sh(17, 59, 59, 999)) == sh(17, 59, 59, 999)
    assert hours.effective_open_ms(sh(18)) == sh(9, 30, day=24)


def test_start_must_precede_end() -> None:
    with pytest.raises(ValueError, match="before end"):
        ServiceHours(SHANGHAI, time(23), time(8))


def test_berlin_spring_forward() -> None:
    hours = ServiceHours(BERLIN, time(8), time(23))
    night = ms(BERLIN, 2026, 3, 29, 0, 30)  # CET, before the 02:00 -> 03:00 jump
    opens = ms(BERLIN, 2026, 3, 29, 8, 0)  # CEST
    assert opens - night == (8 - 0.5 - 1) * 3_600_000
    assert hours.effective_open_ms(night) == opens
    assert hours.effective_open_ms(ms(BERLIN, 2026, 3, 28, 23, 30)) == opens
    assert hours.business_date(opens) == date(2026, 3, 29)
    after_jump = ms(BERLIN, 2026, 3, 29, 3, 0)
    assert after_jump - ms(BERLIN, 2026, 3, 29, 1, 59, 59) == 1000
    assert hours.effective_open_ms(after_jump) == opens


def test_berlin_fall_back() -> None:
    hours = ServiceHours(BERLIN, time(8), time(23))
    evening = ms(BERLIN, 2026, 10, 24, 23, 30)  # CEST
    opens = ms(BERLIN, 2026, 10, 25, 8, 0)  # CET
    assert opens - evening == (8.5 + 1) * 3_600_000
    assert hours.effective_open_ms(evening) == opens
    assert hours.business_date(evening) == date(2026, 10, 24)
    assert hours.in_8_23(ms(BERLIN, 2026, 10, 25, 8, 0)) == 1
    assert hours.in_8_23(ms(BERLIN, 2026, 10, 25, 7, 59, 59, 999_000)) == 0


@pytest.mark.parametrize(
    "zone", ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Shanghai"]
)
def test_cached_arithmetic_matches_zoneinfo(zone: str) -> None:
    """Random instants, many near DST transitions, against zoneinfo called directly."""
    tz = ZoneInfo(zone)
    hours = ServiceHours(tz, time(8), time(23))
    rng = random.Random(zone)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    start = ms(tz, 2025, 1, 1)
    span = 3 * 365 * 86_400_000
    transitions = [
        t
        for t in range(start, start + span, 1_800_000)
        if (epoch + timedelta(milliseconds=t)).astimezone(tz).utcoffset()
        != (epoch + timedelta(milliseconds=t + 1_800_000)).astimezone(tz).utcoffset()
    ]
    for i in range(20_000):
        if transitions and i % 2:  # within a day of a transition
            moment = rng.choice(transitions) + rng.randrange(-86_400_000, 86_400_000)
        else:
            moment = start + rng.randrange(span)
        wall = (epoch + timedelta(milliseconds=moment)).astimezone(tz)
        assert hours.business_date(moment) == wall.date()
        assert hours.in_8_23(moment) == int(time(8) <= wall.time() < time(23))
        if time(8) <= wall.time() < time(23):
            expected = moment
        else:
            day = wall.date() + timedelta(days=wall.time() >= time(23))
            expected = ms(tz, day.year, day.month, day.day, 8)
        assert hours.effective_open_ms(moment) == expected


def test_hours_from_settings_per_shop() -> None:
    settings = KefuSettings(
        shops={
            "berlin": ShopSettings(timezone="Europe/Berlin"),
            "short": ShopSettings(service_start=time(9), service_end=time(18)),
        }
    )
    hours_for = hours_from_settings(settings)
    assert hours_for("berlin").zone == BERLIN
    assert (hours_for("short").start, hours_for("short").end) == (time(9), time(18))
    default = hours_for("anyone")
    assert (default.zone, default.start, default.end) == (SHANGHAI, time(8), time(23))
    assert hours_for("anyone") is default
    assert hours_for("someone else") is default  # equal settings share one cache
