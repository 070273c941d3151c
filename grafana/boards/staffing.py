"""排班 Staffing: inquiries per half hour against the forecast, the agents a plan requires
against those who were active, and the half hours that missed the 3-minute target.

Intervals, handle time and concurrency are defined in docs/analysts.md ("Staffing
intervals"); the plan is what `kefu plan` last wrote to `staffing_plan`. Both keep a shop's
local wall-clock time; the board reads it as Shanghai time, like its other boards.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard

from grafana import variables
from grafana.boards.common import TIMEZONE, new_board
from grafana.clickhouse import Format
from grafana.panels import NEUTRAL_STEPS, sql, table_panel, timeseries_panel

UID = "kefu-staffing"
SHOPS = "shop_id IN (${shop:singlequote})"
LOCAL = f"toDateTime(toString(interval_start), '{TIMEZONE}')"
RATE_STEPS = (("red", None), ("orange", 0.7), ("green", 0.8))

INQUIRIES = f"""
    SELECT time, series, value
    FROM
    (
        SELECT {LOCAL} AS time, 'actual' AS series, toFloat64(sum(inquiries)) AS value
        FROM kefu.shop_intervals WHERE {SHOPS} GROUP BY time
        UNION ALL
        SELECT {LOCAL} AS time, 'forecast' AS series, sum(forecast_inquiries) AS value
        FROM kefu.staffing_plan FINAL WHERE {SHOPS} GROUP BY time
        UNION ALL
        SELECT {LOCAL} AS time, 'forecast high' AS series, sum(forecast_high) AS value
        FROM kefu.staffing_plan FINAL WHERE {SHOPS} GROUP BY time
    )
    WHERE $__timeFilter(time)
    ORDER BY time, series
"""

# A day's schedule is its newest plan's shifts; each covers its half hours but its break.
NEWEST_SHIFTS = """
        SELECT s.shift_start AS shift_start, s.hours AS hours,
            s.break_after_minutes AS break_after_minutes, s.agents AS agents
        FROM kefu.staffing_shifts AS s FINAL
        INNER JOIN
        (
            SELECT shop_id, business_date, max(planned_at) AS newest
            FROM kefu.staffing_shifts FINAL GROUP BY shop_id, business_date
        ) AS n ON n.shop_id = s.shop_id AND n.business_date = s.business_date
            AND n.newest = s.planned_at
        WHERE s.shop_id IN (${shop:singlequote})
"""
SHIFT_SLOT = f"toDateTime(toString(shift_start + k * 1800), '{TIMEZONE}')"

AGENTS = f"""
    SELECT time, series, value
    FROM
    (
        SELECT {LOCAL} AS time, 'active' AS series, toFloat64(sum(active_agents)) AS value
        FROM kefu.shop_intervals WHERE {SHOPS} GROUP BY time
        UNION ALL
        SELECT {LOCAL} AS time, 'required' AS series, toFloat64(sum(required_agents)) AS value
        FROM kefu.staffing_plan FINAL WHERE {SHOPS} GROUP BY time
        UNION ALL
        SELECT {LOCAL} AS time, 'required (high)' AS series,
            toFloat64(sum(required_agents_high)) AS value
        FROM kefu.staffing_plan FINAL WHERE {SHOPS} GROUP BY time
        UNION ALL
        SELECT {SHIFT_SLOT} AS time, 'scheduled' AS series, toFloat64(sum(agents)) AS value
        FROM ({NEWEST_SHIFTS})
        ARRAY JOIN range(toUInt32(hours * 2)) AS k
        WHERE NOT (break_after_minutes > 0 AND k * 30 = break_after_minutes)
        GROUP BY time
    )
    WHERE $__timeFilter(time)
    ORDER BY time, series
"""

MISSED = f"""
    SELECT {LOCAL} AS time, shop_id, inquiries, rate_3m, active_agents, concurrency,
        handle_seconds
    FROM kefu.shop_intervals
    WHERE $__timeFilter(time) AND {SHOPS} AND rate_3m < 0.8
    ORDER BY rate_3m, time
"""


def build() -> Dashboard:
    return (
        new_board(
            UID,
            "排班 Staffing",
            "Inquiries per half hour against the forecast of `kefu plan`, the agents its plan "
            "requires against those who were active, and the half hours that missed the "
            "3-minute target, from ClickHouse.",
            time_from="now-7d",
            refresh="5m",
        )
        .with_variable(variables.shop())
        .with_panel(
            timeseries_panel(
                "每半小时咨询：实际与预测",
                "Inquiries opened per half hour of local time; forecast and its high bound "
                "(80 % prediction interval) where `kefu plan` planned the interval.",
                sql(INQUIRIES, Format.TIME_SERIES),
                unit="none",
                bounds=(0, None),
            )
        )
        .with_panel(
            timeseries_panel(
                "所需与在线客服",
                "Agents who sent a human message in the half hour, the fewest the plan requires "
                "to answer 80 % within 3 minutes (for the forecast and its high bound), and the "
                "agents its shifts schedule (not counting breaks).",
                sql(AGENTS, Format.TIME_SERIES),
                unit="none",
                bounds=(0, None),
            )
        )
        .with_panel(
            table_panel(
                "未达标的半小时",
                "Half hours whose 3-minute reply rate fell under 80 %, worst first, with the "
                "agents active, open inquiries per agent (concurrency) and handle time.",
                sql(MISSED),
                columns={
                    "time": ("dateTimeAsLocal", NEUTRAL_STEPS),
                    "rate_3m": ("percentunit", RATE_STEPS),
                    "handle_seconds": ("s", NEUTRAL_STEPS),
                },
            )
        )
    )
