"""Time-series panels read the rollup tier that fits their interval (docs/analysts.md "Rollups").

Grafana sets `$__interval` from the range and the panel's width: an hour's range draws
minutes, a quarter's draws hours or days. Each branch below is guarded by the interval,
so ClickHouse reads only the tier whose rows are no finer than one point of the panel.

The minute tier is read through `<family>_minutely_between` (sql/0031), the minutely view on
the dashboard's range: the view itself would look up every fresh hour of its history.
"""

from __future__ import annotations

# For panels that read inquiries with FINAL and filter on effective_opened_at: the exact
# mode would re-read every granule of the shop (docs/analysts.md "Rollups" says why the
# fast mode is exact for these indexes).
FAST_FINAL = "SETTINGS use_skip_indexes_if_final_exact_mode = 0"

HOUR_S = 3600
DAY_S = 86400


def minutes(family: str) -> str:
    """`<family>_minutely` on the dashboard's range, the minute tier's relation.

    The bounds go as unix seconds: a parameterized view's argument reaches it as text, and
    a DateTime of the server's zone would be read as UTC (sql/0031). When the interval draws
    hours or days the range ends before it starts: the view builds its lookup sets whatever
    the branch's WHERE says, and on an empty range they read nothing.
    """
    start = "toUnixTimestamp($__fromTime)"
    end = f"if($__interval_s < {HOUR_S}, toUnixTimestamp($__toTime), {start} - 1)"
    return f"kefu.{family}_minutely_between(first = {start}, last = {end})"


def by_tier(family: str, columns: str, where: str) -> str:
    """`time` and `columns` from `minutes(family)`, `<family>_hourly` or `_daily`, by interval.

    `family` is `shop` or `agent`; `columns` and `where` use columns all three tiers have.
    The day tier is the shop-local business date, drawn at its midnight UTC.
    """
    return f"""
        SELECT $__timeInterval(minute) AS time, {columns}
        FROM {minutes(family)}
        WHERE $__interval_s < {HOUR_S} AND {where}
        UNION ALL
        SELECT $__timeInterval(hour) AS time, {columns}
        FROM kefu.{family}_hourly
        WHERE $__interval_s >= {HOUR_S} AND $__interval_s < {DAY_S}
          AND $__timeFilter(hour) AND {where}
        UNION ALL
        SELECT $__timeInterval(business_date) AS time, {columns}
        FROM kefu.{family}_daily
        WHERE $__interval_s >= {DAY_S} AND $__dateFilter(business_date) AND {where}"""
