"""Expand a panel's SQL as Grafana and the ClickHouse plugin do before ClickHouse sees it.

Two passes, in Grafana's order: the front end interpolates dashboard variables
(`$shop`, `${shop}`, `${shop:singlequote}`, `${shop:csv}`, `${shop:sqlstring}`,
`${shop:raw}`, and the globals `$__interval`, `$__interval_ms`,
`$__rate_interval` is Prometheus-only); then the plugin's backend replaces its
macros, as its pkg/macros documents them:

| macro | becomes |
|---|---|
| `$__timeFilter(c)` | `c >= toDateTime(from_s) AND c <= toDateTime(to_s)` |
| `$__timeFilter_ms(c)` | the same with `fromUnixTimestamp64Milli(ms)` |
| `$__dateFilter(c)` | `c >= toDate('from') AND c <= toDate('to')` |
| `$__dateTimeFilter(d, t)`, `$__dt(d, t)` | both of the above, each in parentheses |
| `$__timeInterval(c)` | `toStartOfInterval(toDateTime(c), INTERVAL n second)` (n >= 1) |
| `$__timeInterval_ms(c)` | `toStartOfInterval(toDateTime64(c, 3), INTERVAL n millisecond)` |
| `$__interval_s` | n, the interval in whole seconds (>= 1) |
| `$__fromTime`, `$__toTime` | `toDateTime(seconds)`; `_ms` variants `fromUnixTimestamp64Milli(ms)` |

Dates use the range's UTC calendar day, as the plugin formats Go times in UTC.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta


class MacroError(ValueError):
    """A macro with the wrong arguments or an unknown variable."""


@dataclass(frozen=True)
class TimeRange:
    """The dashboard's range and the panel's interval (Grafana's `$__interval`)."""

    start: datetime
    end: datetime
    interval: timedelta = timedelta(minutes=1)
    variables: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            msg = "time range bounds must be timezone-aware"
            raise MacroError(msg)


def expand(sql: str, when: TimeRange) -> str:
    """The SQL ClickHouse receives for this range and these variable values."""
    return expand_macros(interpolate(sql, when), when)


# -- pass 1: Grafana's template variables -------------------------------------------

_VARIABLE = re.compile(r"\$\{(\w+)(?::(\w+))?\}|\$(\w+)|\[\[(\w+)(?::(\w+))?\]\]")


def interpolate(sql: str, when: TimeRange) -> str:
    values = dict(when.variables)
    seconds = when.interval.total_seconds()
    values.setdefault("__interval", [_duration(seconds)])
    values.setdefault("__interval_ms", [str(int(seconds * 1000))])

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3) or match.group(4)
        fmt = match.group(2) or match.group(5)
        if name.startswith("__") and name not in values:
            return match.group(0)  # a plugin macro: pass 2 owns it
        if name not in values:
            msg = f"no value for dashboard variable {name!r}"
            raise MacroError(msg)
        return _format(values[name], fmt)

    return _VARIABLE.sub(replace, sql)


def _format(values: Sequence[str], fmt: str | None) -> str:
    """Grafana's variable formats; a multi-value without a format joins like `csv`."""
    if fmt == "singlequote":
        return ",".join("'" + v.replace("'", "\\'") + "'" for v in values)
    if fmt == "doublequote":
        return ",".join('"' + v.replace('"', '\\"') + '"' for v in values)
    if fmt == "sqlstring":
        return ",".join("'" + v.replace("'", "''") + "'" for v in values)
    if fmt in (None, "csv", "raw"):
        return ",".join(values)
    if fmt == "pipe":
        return "|".join(values)
    msg = f"unsupported variable format {fmt!r}"
    raise MacroError(msg)


def _duration(seconds: float) -> str:
    """`$__interval` as Grafana writes it: 30s, 5m, 1h."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s" if seconds >= 1 else f"{int(seconds * 1000)}ms"


# -- pass 2: the plugin's macros ------------------------------------------------------

Macro = Callable[[list[str], TimeRange], str]


def _date_time(t: datetime) -> str:
    return f"toDateTime({int(t.timestamp())})"


def _date_time64(t: datetime) -> str:
    return f"fromUnixTimestamp64Milli({int(t.timestamp() * 1000)})"


def _date(t: datetime) -> str:
    return f"toDate('{t.astimezone(UTC):%Y-%m-%d}')"


def _args(name: str, args: list[str], count: int) -> list[str]:
    if len(args) != count:
        msg = f"$__{name}: expected {count} argument(s), received {len(args)}"
        raise MacroError(msg)
    return args


def _interval_seconds(when: TimeRange) -> int:
    return int(max(when.interval.total_seconds(), 1))


def _time_filter(args: list[str], when: TimeRange) -> str:
    (column,) = _args("timeFilter", args, 1)
    return f"{column} >= {_date_time(when.start)} AND {column} <= {_date_time(when.end)}"


def _time_filter_ms(args: list[str], when: TimeRange) -> str:
    (column,) = _args("timeFilter_ms", args, 1)
    return f"{column} >= {_date_time64(when.start)} AND {column} <= {_date_time64(when.end)}"


def _date_filter(args: list[str], when: TimeRange) -> str:
    (column,) = _args("dateFilter", args, 1)
    return f"{column} >= {_date(when.start)} AND {column} <= {_date(when.end)}"


def _date_time_filter(args: list[str], when: TimeRange) -> str:
    day, moment = _args("dateTimeFilter", args, 2)
    return (
        f"({day} >= {_date(when.start)} AND {day} <= {_date(when.end)}) AND "
        f"({moment} >= {_date_time(when.start)} AND {moment} <= {_date_time(when.end)})"
    )


def _time_interval(args: list[str], when: TimeRange) -> str:
    (column,) = _args("timeInterval", args, 1)
    return f"toStartOfInterval(toDateTime({column}), INTERVAL {_interval_seconds(when)} second)"


def _time_interval_ms(args: list[str], when: TimeRange) -> str:
    (column,) = _args("timeInterval_ms", args, 1)
    ms = int(max(math.floor(when.interval.total_seconds() * 1000), 1))
    return f"toStartOfInterval(toDateTime64({column}, 3), INTERVAL {ms} millisecond)"


MACROS: dict[str, Macro] = {
    "fromTime": lambda _, when: _date_time(when.start),
    "toTime": lambda _, when: _date_time(when.end),
    "fromTime_ms": lambda _, when: _date_time64(when.start),
    "toTime_ms": lambda _, when: _date_time64(when.end),
    "timeFilter": _time_filter,
    "timeFilter_ms": _time_filter_ms,
    "dateFilter": _date_filter,
    "dateTimeFilter": _date_time_filter,
    "dt": _date_time_filter,
    "timeInterval": _time_interval,
    "timeInterval_ms": _time_interval_ms,
    "interval_s": lambda _, when: str(_interval_seconds(when)),
}

# Longest names first, so `$__timeFilter_ms` is not read as `$__timeFilter` + `_ms`.
_MACRO = re.compile(
    r"\$__(" + "|".join(sorted(map(re.escape, MACROS), key=len, reverse=True)) + r")\b"
)


def expand_macros(sql: str, when: TimeRange) -> str:
    out: list[str] = []
    position = 0
    while match := _MACRO.search(sql, position):
        out.append(sql[position : match.start()])
        args, position = _call_args(sql, match.end())
        out.append(MACROS[match.group(1)](args, when))
    out.append(sql[position:])
    return "".join(out)


def _call_args(sql: str, start: int) -> tuple[list[str], int]:
    """Arguments in balanced parentheses right after a macro name (none if no `(`)."""
    if start >= len(sql) or sql[start] != "(":
        return [], start
    depth = 0
    pieces: list[str] = []
    current: list[str] = []
    for index in range(start, len(sql)):
        char = sql[index]
        if char == "(":
            depth += 1
            if depth == 1:
                continue
        elif char == ")":
            depth -= 1
            if depth == 0:
                pieces.append("".join(current).strip())
                return [p for p in pieces if p], index + 1
        elif char == "," and depth == 1:
            pieces.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    msg = "unbalanced parentheses after a macro"
    raise MacroError(msg)
