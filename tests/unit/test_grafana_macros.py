"""Macro expansion as the ClickHouse plugin's pkg/macros and Grafana's formats define it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from grafana.macros import MacroError, TimeRange, expand

START = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 1795399200
END = START + timedelta(hours=1)
WHEN = TimeRange(START, END, timedelta(seconds=30), {"shop": ["s1", "o'k"], "one": ["a"]})


@pytest.mark.parametrize(
    ("sql", "expanded"),
    [
        ("$__timeFilter(t)", "t >= toDateTime(1795399200) AND t <= toDateTime(1795402800)"),
        (
            "$__timeFilter_ms(t)",
            "t >= fromUnixTimestamp64Milli(1795399200000) AND t <= fromUnixTimestamp64Milli(1795402800000)",
        ),
        ("$__dateFilter(d)", "d >= toDate('2026-11-23') AND d <= toDate('2026-11-23')"),
        (
            "$__dt(d, t)",
            "(d >= toDate('2026-11-23') AND d <= toDate('2026-11-23')) AND "
            "(t >= toDateTime(1795399200) AND t <= toDateTime(1795402800))",
        ),
        ("$__timeInterval(t)", "toStartOfInterval(toDateTime(t), INTERVAL 30 second)"),
        (
            "$__timeInterval_ms(t)",
            "toStartOfInterval(toDateTime64(t, 3), INTERVAL 30000 millisecond)",
        ),
        ("$__interval_s", "30"),
        ("$__fromTime - $__toTime", "toDateTime(1795399200) - toDateTime(1795402800)"),
        ("$__fromTime_ms", "fromUnixTimestamp64Milli(1795399200000)"),
        (
            "$__timeFilter(ifNull(a, b))",
            "ifNull(a, b) >= toDateTime(1795399200) AND ifNull(a, b) <= toDateTime(1795402800)",
        ),
        ("IN (${shop:singlequote})", "IN ('s1','o\\'k')"),
        ("IN (${shop:sqlstring})", "IN ('s1','o''k')"),
        ("$one = ${one} = [[one]] = ${one:csv}", "a = a = a = a"),
        ("every $__interval", "every 30s"),
        ("x LIKE '%_score$'", "x LIKE '%_score$'"),
    ],
)
def test_expansion(sql: str, expanded: str) -> None:
    assert expand(sql, WHEN) == expanded


def test_interval_is_at_least_one_second() -> None:
    short = TimeRange(START, END, timedelta(milliseconds=200))
    assert expand("$__interval_s $__timeInterval(t)", short) == (
        "1 toStartOfInterval(toDateTime(t), INTERVAL 1 second)"
    )


@pytest.mark.parametrize("sql", ["$__timeFilter(a, b)", "$__timeFilter(a", "$nope"])
def test_bad_input_is_an_error(sql: str) -> None:
    with pytest.raises(MacroError):
        expand(sql, WHEN)


def test_naive_times_are_refused() -> None:
    with pytest.raises(MacroError):
        TimeRange(datetime(2026, 1, 1), END)  # noqa: DTZ001 - the point of the test
