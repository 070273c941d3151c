"""实时看板 Live floor: what the shift lead watches all day (ClickHouse)."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard

from grafana import variables
from grafana.boards.common import new_board
from grafana.clickhouse import Format
from grafana.panels import (
    NEUTRAL_STEPS,
    RATE_STEPS,
    SECONDS_STEPS,
    sql,
    stat_panel,
    table_panel,
    timeseries_panel,
)
from grafana.tiers import FAST_FINAL, by_tier

UID = "kefu-live-floor"
SHOPS = "shop_id IN (${shop:singlequote})"

# Only periods whose inquiries are all answered or missed: no provisional dips.
REPLY_RATE = f"""
    SELECT time, shop_id, sum(rate_5m * inquiries) / sum(inquiries) AS rate_5m
    FROM ({by_tier("shop", "shop_id, rate_5m, inquiries", f"{SHOPS} AND is_final = 1")})
    GROUP BY time, shop_id
    ORDER BY time, shop_id
"""

# The alarm's own window (docs/metrics.md#live-reply-rate-alarm): inquiries opened 20 to 5 minutes before the
# end of the range, so every outcome counted is final.
WINDOW_RATE = f"""
    SELECT
        shop_id,
        countIf(within_5m = 1) / count() AS rate_5m
    FROM kefu.inquiries FINAL
    WHERE effective_opened_at >= $__toTime - INTERVAL 20 MINUTE
      AND effective_opened_at < $__toTime - INTERVAL 5 MINUTE
      AND {SHOPS}
    GROUP BY shop_id
    ORDER BY shop_id
    {FAST_FINAL}
"""

# Waiting: the clock runs (effective open passed) and no human reply yet at the end of
# the range. The 30-minute horizon drops buyers who left without an answer long ago.
WAITING = f"""
    SELECT uniqExact(shop_id, buyer_id) AS waiting_buyers
    FROM kefu.inquiries FINAL
    WHERE effective_opened_at <= $__toTime
      AND effective_opened_at > $__toTime - INTERVAL 30 MINUTE
      AND (answered_at IS NULL OR answered_at > $__toTime)
      AND {SHOPS}
    {FAST_FINAL}
"""

PER_MINUTE = f"""
    SELECT time, shop_id, sum(inquiries) * 60 / $__interval_s AS inquiries_per_minute
    FROM ({by_tier("shop", "shop_id, inquiries", SHOPS)})
    GROUP BY time, shop_id
    ORDER BY time, shop_id
"""

RESPONSE_TIME = f"""
    SELECT
        $__timeInterval(effective_opened_at) AS time,
        quantileExactInclusive(0.5)(response_seconds) AS p50,
        quantileExactInclusive(0.9)(response_seconds) AS p90
    FROM kefu.inquiries FINAL
    WHERE $__timeFilter(effective_opened_at) AND {SHOPS}
      AND response_seconds IS NOT NULL
    GROUP BY time
    ORDER BY time
    {FAST_FINAL}
"""

# Latest state per alert key in the range; firing and warning first.
ALERTS = f"""
    SELECT
        argMax(state, event_time) AS state,
        rule,
        shop_id,
        agent_id,
        max(event_time) AS last_change,
        argMax(value, event_time) AS value,
        argMax(threshold, event_time) AS threshold,
        argMax(inquiries, event_time) AS inquiries,
        argMax(message, event_time) AS message,
        argMax(reason, event_time) AS reason,
        argMax(silenced, event_time) AS silenced
    FROM kefu.alerts FINAL
    WHERE $__timeFilter(event_time) AND {SHOPS}
    GROUP BY rule, shop_id, agent_id
    ORDER BY state = 'resolved', last_change DESC
"""

# Silences still running (wall time: a lead silences the real next 30 minutes) and acks of
# episodes whose latest change is still `firing`.
CONTROLS = f"""
    SELECT
        kind,
        shop_id,
        agent_id,
        alert_id,
        created_at,
        until,
        reason,
        author
    FROM kefu.alert_controls FINAL
    WHERE {SHOPS}
      AND (
        (kind = 'silence' AND until > now())
        OR (kind = 'ack' AND alert_id IN (
            SELECT alert_id FROM kefu.alerts FINAL
            GROUP BY alert_id
            HAVING argMax(state, event_time) = 'firing'
        ))
      )
    ORDER BY created_at DESC
"""


def build() -> Dashboard:
    return (
        new_board(
            UID,
            "客服实时看板 Live floor",
            "Live five-minute reply rates, waiting buyers, volume, response times and alerts "
            "per shop, from ClickHouse.",
            time_from="now-6h",
            refresh="30s",
        )
        .with_variable(variables.shop())
        .with_panel(
            stat_panel(
                "当前五分钟回复率",
                "Current 5-minute reply rate per shop, over the alarm window: inquiries "
                "whose clock started 20 to 5 minutes before now (every outcome final). "
                "Red below the 80% threshold; green from 85% (threshold + hysteresis).",
                sql(WINDOW_RATE),
                unit="percentunit",
                steps=RATE_STEPS,
                bounds=(0, 1),
                size=(18, 5),
            )
        )
        .with_panel(
            stat_panel(
                "等待中的买家",
                "Buyers waiting now: inquiries whose service-hours clock started in the last "
                "30 minutes and have no human reply yet. Orange from 3, red from 10.",
                sql(WAITING),
                unit="none",
                steps=(("green", None), ("orange", 3.0), ("red", 10.0)),
                size=(6, 5),
            )
        )
        .with_panel(
            timeseries_panel(
                "五分钟回复率（按店铺）",
                "5-minute reply rate per shop over time: inquiries answered by a human within "
                "300 s / inquiries, by the minute their clock started; final minutes only. "
                "The red band is below the 80% alarm threshold.",
                sql(REPLY_RATE, Format.TIME_SERIES),
                unit="percentunit",
                steps=RATE_STEPS,
                threshold_line=True,
                bounds=(0, 1),
                size=(24, 9),
            )
        )
        .with_panel(
            timeseries_panel(
                "每分钟咨询量",
                "Inquiries per minute per shop (by the minute their service-hours clock "
                "started), averaged over the chart's interval.",
                sql(PER_MINUTE, Format.TIME_SERIES),
                unit="cpm",
                bounds=(0, None),
            )
        )
        .with_panel(
            timeseries_panel(
                "响应时长 P50 / P90",
                "Median and 90th percentile of response time (human reply minus the start of "
                "the service-hours clock) over answered inquiries of the selected shops. "
                "Lines at 30 s (answer target) and 180 s (3-minute reply target).",
                sql(RESPONSE_TIME, Format.TIME_SERIES),
                unit="s",
                steps=SECONDS_STEPS,
                threshold_line=True,
                bounds=(0, None),
            )
        )
        .with_panel(
            table_panel(
                "告警",
                "Alerts in the time range: the latest state of each (rule, shop, agent), "
                "firing and warning first. Rules: reply_rate_5m (five-minute reply rate "
                "below threshold) and waiting_buyer (a buyer waiting longer than 4 minutes). "
                "reason: why it resolved (recovered, no inquiries, service hours ended); "
                "silenced: 1 when a silence kept it from being notified.",
                sql(ALERTS),
                columns={
                    "value": ("none", NEUTRAL_STEPS),
                    "threshold": ("none", NEUTRAL_STEPS),
                    "last_change": ("dateTimeAsLocal", NEUTRAL_STEPS),
                },
                states={"firing": "red", "warning": "orange", "resolved": "green"},
            )
        )
        .with_panel(
            table_panel(
                "静默与已确认告警",
                "Silences still running and acknowledged alerts still firing, from "
                "`kefu alerts silence` and `kefu alerts ack`. A silenced alert is stored "
                "(silenced = 1 in the alerts panel) but not notified; an acked alert sends "
                "no more reminders. `until` is when a silence ends.",
                sql(CONTROLS),
                columns={
                    "created_at": ("dateTimeAsLocal", NEUTRAL_STEPS),
                    "until": ("dateTimeAsLocal", NEUTRAL_STEPS),
                },
            )
        )
    )
