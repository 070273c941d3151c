"""售后 After-sales: refund processing and completion, disputes, complaints (ClickHouse).

Rates follow docs/metrics.md over the picked range (default the trailing 30 days).
"""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard

from grafana import variables
from grafana.boards.common import LOCAL_DATE_FROM, LOCAL_DATE_TO, TIMEZONE, new_board
from grafana.clickhouse import Format
from grafana.panels import (
    NEUTRAL_STEPS,
    bar_panel,
    sql,
    stat_panel,
    table_panel,
    timeseries_panel,
)

UID = "kefu-after-sales"
SHOPS = "shop_id IN (${shop:singlequote})"
AGENTS = f"{SHOPS} AND agent_id IN (${{agent:singlequote}})"
# Lower is better: disputes and complaints.
DISPUTE_STEPS = (("green", None), ("orange", 0.005), ("red", 0.01))
COMPLAINT_STEPS = (("green", None), ("orange", 0.01), ("red", 0.02))
# Refund handling: an hour is good, a day is late (the platform escalates at 48 h).
REFUND_STEPS = (("green", None), ("orange", 3600.0), ("red", 86400.0))


def _refund_times(column: str) -> str:
    # requested_at is Nullable; the subquery drops NULLs so the time column is not.
    return f"""
    SELECT
        $__timeInterval(requested) AS time,
        avg({column}) AS avg_seconds,
        quantileExactInclusive(0.9)({column}) AS p90_seconds
    FROM
    (
        SELECT assumeNotNull(requested_at) AS requested, {column}
        FROM kefu.refunds FINAL
        WHERE requested_at IS NOT NULL AND {column} IS NOT NULL AND {SHOPS}
    )
    WHERE $__timeFilter(requested)
    GROUP BY time
    ORDER BY time
"""


# 纠纷退款率: merchant-responsible disputes closed in the range / orders paid in the range.
DISPUTE_REFUND_RATE = f"""
    SELECT
        (
            SELECT countIf(merchant_responsible = 1)
            FROM kefu.refunds FINAL
            WHERE $__timeFilter(dispute_closed_at) AND {SHOPS}
        ) / nullIf(
            (
                SELECT count()
                FROM kefu.orders FINAL
                WHERE $__timeFilter(paid_at) AND {SHOPS}
            ),
            0
        ) AS dispute_refund_rate
"""

# 纠纷解决率: closed disputes not the merchant's responsibility / closed disputes.
DISPUTE_RESOLUTION_RATE = f"""
    SELECT
        countIf(responsibility != 'merchant') / nullIf(count(), 0) AS dispute_resolution_rate
    FROM kefu.refunds FINAL
    WHERE disputed = 1 AND $__timeFilter(dispute_closed_at) AND {SHOPS}
"""

REFUND_SPEED = f"""
    SELECT avg(processing_seconds) AS avg_processing_seconds
    FROM kefu.refunds FINAL
    WHERE $__timeFilter(requested_at) AND {SHOPS}
"""

# Complaint rate per shop and business day (shop_daily: complaints / consulting buyer-days).
COMPLAINT_RATE = f"""
    SELECT time, shop_id, complaint_rate
    FROM
    (
        SELECT
            toDateTime(business_date, '{TIMEZONE}') AS time,
            shop_id,
            sum(complaints) / nullIf(sum(consulting_buyers), 0) AS complaint_rate
        FROM kefu.shop_daily
        WHERE business_date BETWEEN {LOCAL_DATE_FROM} AND {LOCAL_DATE_TO} AND {SHOPS}
        GROUP BY time, shop_id
    )
    WHERE $__timeFilter(time)
    ORDER BY time, shop_id
"""

REFUNDS_BY_AGENT = f"""
    SELECT
        shop_id,
        agent_id,
        count() AS refunds,
        avg(processing_seconds) AS avg_processing_seconds,
        avg(completion_seconds) AS avg_completion_seconds,
        countIf(disputed = 1) AS disputes,
        countIf(merchant_responsible = 1) AS merchant_responsible,
        sum(amount) AS amount
    FROM kefu.refunds FINAL
    WHERE $__timeFilter(requested_at) AND {AGENTS}
    GROUP BY shop_id, agent_id
    ORDER BY refunds DESC
"""

REFUND_STATUS = f"""
    SELECT status, count() AS refunds
    FROM kefu.refunds FINAL
    WHERE $__timeFilter(requested_at) AND {SHOPS}
    GROUP BY status
    ORDER BY refunds DESC
"""


def build() -> Dashboard:
    return (
        new_board(
            UID,
            "售后看板 After-sales",
            "Refund processing and completion times, dispute refund and resolution rates, "
            "complaint rates and refunds per agent, from ClickHouse.",
            time_from="now-30d",
            refresh="5m",
        )
        .with_variable(variables.shop())
        .with_variable(variables.agent())
        .with_panel(
            stat_panel(
                "纠纷退款率",
                "Dispute refund rate: disputes closed as the merchant's responsibility / orders "
                "paid, both in the range (docs/metrics.md#after-sales). Green below 0.5%, red from 1%.",
                sql(DISPUTE_REFUND_RATE),
                unit="percentunit",
                steps=DISPUTE_STEPS,
                size=(8, 5),
            )
        )
        .with_panel(
            stat_panel(
                "纠纷解决率",
                "Dispute resolution rate: closed disputes not ruled the merchant's "
                "responsibility / closed disputes in the range (no value without closed disputes).",
                sql(DISPUTE_RESOLUTION_RATE),
                unit="percentunit",
                steps=(("red", None), ("orange", 0.6), ("green", 0.8)),
                size=(8, 5),
            )
        )
        .with_panel(
            stat_panel(
                "平均退款处理时长",
                "Average refund processing time: first agreed or rejected minus requested, over "
                "refunds requested in the range. Orange from 1 h, red from 24 h.",
                sql(REFUND_SPEED),
                unit="s",
                steps=REFUND_STEPS,
                size=(8, 5),
            )
        )
        .with_panel(
            timeseries_panel(
                "退款处理时长",
                "Refund processing time (first decision minus request), mean and p90, by the "
                "time the refund was requested.",
                sql(_refund_times("processing_seconds"), Format.TIME_SERIES),
                unit="s",
                steps=REFUND_STEPS,
                threshold_line=True,
                bounds=(0, None),
            )
        )
        .with_panel(
            timeseries_panel(
                "退款完结时长",
                "Refund completion time (refunded minus requested), mean and p90, by the time "
                "the refund was requested.",
                sql(_refund_times("completion_seconds"), Format.TIME_SERIES),
                unit="s",
                steps=REFUND_STEPS,
                bounds=(0, None),
            )
        )
        .with_panel(
            timeseries_panel(
                "投诉率（按店铺）",
                "Complaint rate per shop and business day: complaints / consulting buyer-days "
                "(docs/metrics.md#ratings-and-complaints). Orange from 1%, red from 2%.",
                sql(COMPLAINT_RATE, Format.TIME_SERIES),
                unit="percentunit",
                steps=COMPLAINT_STEPS,
                threshold_line=True,
                bounds=(0, None),
            )
        )
        .with_panel(
            bar_panel(
                "退款状态分布",
                "Refunds requested in the range by their latest status.",
                sql(REFUND_STATUS),
                unit="none",
                steps=NEUTRAL_STEPS,
            )
        )
        .with_panel(
            table_panel(
                "客服售后明细",
                "Per agent (the latest agent named on the refund): refunds requested in the "
                "range, mean processing and completion times, disputes, merchant-responsible "
                "disputes and refunded amount (CNY).",
                sql(REFUNDS_BY_AGENT),
                columns={
                    "avg_processing_seconds": ("s", REFUND_STEPS),
                    "avg_completion_seconds": ("s", NEUTRAL_STEPS),
                    "amount": ("currencyCNY", NEUTRAL_STEPS),
                },
            )
        )
    )
