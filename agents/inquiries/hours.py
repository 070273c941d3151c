"""Shop-local service hours: effective open time, business date, the 08:00-23:00 scope.

Everything takes and returns UTC epoch milliseconds. Local wall-clock time comes from
zoneinfo; the UTC offset is cached per UTC day (a day holding a DST transition falls back
to zoneinfo for every call), and each local day's service start is cached, so the hot path
is two dict lookups and integer arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.settings import KefuSettings

DAY_MS = 86_400_000
_MS = timedelta(milliseconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_SCOPE_START_MS = 8 * 3_600_000
_SCOPE_END_MS = 23 * 3_600_000
_TRANSITION = 1 << 62  # cached in place of an offset for a UTC day holding a DST transition


def _time_ms(value: time) -> int:
    """Milliseconds since midnight, rounded up: `tod_ms >= result` iff `tod >= value`."""
    micros = ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 + value.microsecond
    return -(-micros // 1000)


def _utc_ms(moment: datetime) -> int:
    return (moment - _EPOCH) // _MS


class ServiceHours:
    """A shop's time zone and service hours [start, end) in local wall-clock time."""

    __slots__ = ("zone", "start", "end", "_start_ms", "_end_ms", "_offsets", "_opens", "_dates")

    def __init__(self, zone: ZoneInfo, start: time, end: time) -> None:
        if start >= end:
            msg = f"service start {start} must be before end {end}"
            raise ValueError(msg)
        self.zone = zone
        self.start = start
        self.end = end
        self._start_ms = _time_ms(start)
        self._end_ms = _time_ms(end)
        self._offsets: dict[int, int] = {}  # UTC day -> its constant offset ms, or _TRANSITION
        self._opens: dict[int, int] = {}  # local day number -> UTC ms of its service start
        self._dates: dict[int, date] = {}  # local day number -> date

    def __repr__(self) -> str:
        return f"ServiceHours({self.zone.key!r}, {self.start}, {self.end})"

    def local_ms(self, ms: int) -> int:
        """Local wall-clock time of the instant, as milliseconds since the local epoch."""
        day = ms // DAY_MS
        offset = self._offsets.get(day)
        if offset is None:
            offset = self._offsets[day] = self._day_offset(day)
        if offset == _TRANSITION:
            return ms + self._offset_at(ms)
        return ms + offset

    def effective_open_ms(self, opened_ms: int) -> int:
        """Inside [start, end) the time itself, else the next service start (docs/metrics.md#inquiries-and-response-time)."""
        local = self.local_ms(opened_ms)
        tod = local % DAY_MS
        if self._start_ms <= tod < self._end_ms:
            return opened_ms
        day = local // DAY_MS
        if tod >= self._end_ms:
            day += 1
        opens = self._opens.get(day)
        if opens is None:
            start = datetime.combine(self._date(day), self.start, tzinfo=self.zone)
            opens = self._opens[day] = _utc_ms(start)
        return opens

    def opening(self, opened_ms: int) -> tuple[int, date, int]:
        """(effective_open_ms, business_date, in_8_23) of an inquiry opened then."""
        local = self.local_ms(opened_ms)
        tod = local % DAY_MS
        scope = 1 if _SCOPE_START_MS <= tod < _SCOPE_END_MS else 0
        if self._start_ms <= tod < self._end_ms:
            return opened_ms, self._date(local // DAY_MS), scope
        effective = self.effective_open_ms(opened_ms)
        return effective, self.business_date(effective), scope

    def add_service_ms(self, start_ms: int, duration_ms: int) -> int:
        """The instant `duration_ms` of service time after `start_ms` (SLA clocks).

        Time outside [start, end) does not count, as for the reply clocks (metrics.md 1).
        """
        at = self.effective_open_ms(start_ms)
        left = duration_ms
        while True:
            in_window = self._end_ms - self.local_ms(at) % DAY_MS
            if left <= in_window:
                return at + left
            left -= in_window
            at = self.effective_open_ms(at + in_window)

    def business_date(self, ms: int) -> date:
        """The shop-local date of the instant."""
        return self._date(self.local_ms(ms) // DAY_MS)

    def in_8_23(self, ms: int) -> int:
        """1 when the local time is in [08:00, 23:00), whatever the configured hours."""
        tod = self.local_ms(ms) % DAY_MS
        return 1 if _SCOPE_START_MS <= tod < _SCOPE_END_MS else 0

    def _date(self, day: int) -> date:
        found = self._dates.get(day)
        if found is None:
            found = self._dates[day] = date.fromordinal(_EPOCH_ORDINAL + day)
        return found

    def _offset_at(self, ms: int) -> int:
        offset = (_EPOCH + timedelta(milliseconds=ms)).astimezone(self.zone).utcoffset()
        assert offset is not None
        return offset // _MS

    def _day_offset(self, day: int) -> int:
        """The UTC offset if it is the same all UTC day long, else _TRANSITION."""
        begin = day * DAY_MS
        first = self._offset_at(begin)
        for probe in (begin + DAY_MS // 2, begin + DAY_MS - 1):
            if self._offset_at(probe) != first:
                return _TRANSITION
        return first


HoursFor = Callable[[str], ServiceHours]


def hours_from_settings(settings: KefuSettings) -> HoursFor:
    """Each shop's ServiceHours from its settings, built once and shared by equal configs."""
    by_shop: dict[str, ServiceHours] = {}
    by_config: dict[tuple[str, time, time], ServiceHours] = {}

    def hours_for(shop_id: str) -> ServiceHours:
        found = by_shop.get(shop_id)
        if found is None:
            shop = settings.shop(shop_id)
            config = (shop.timezone, shop.service_start, shop.service_end)
            found = by_config.get(config)
            if found is None:
                found = ServiceHours(ZoneInfo(shop.timezone), shop.service_start, shop.service_end)
                by_config[config] = found
            by_shop[shop_id] = found
        return found

    return hours_for
