"""客服绩效 Agents: per-agent rates, KPI score and rank, trends, weakest metric (ClickHouse).

The KPI panels read the `agent_scores` view (docs/analysts.md): period, period_start,
shop_id, agent_id, role, stage, score (0..100) and, per scored metric, its value,
score and weight; the per-metric score columns are found by the suffix `_score`.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard

from grafana import variables
from grafana.boards.common import LOCAL_DATE_FROM, LOCAL_DATE_TO, TIMEZONE, new_board
from grafana.clickhouse import Format
from grafana.panels import (
    NEUTRAL_STEPS,
    RATE_STEPS,
    SCORE_STEPS,
    SECONDS_STEPS,
    bar_panel,
    sql,
    table_panel,
    timeseries_panel,
)
from grafana.tiers import FAST_FINAL, by_tier

UID = "kefu-agents"
AGENTS = "shop_id IN (${shop:singlequote}) AND agent_id IN (${agent:singlequote})"
DATES = f"BETWEEN {LOCAL_DATE_FROM} AND {LOCAL_DATE_TO}"
SCORES = f"""
        FROM kefu.agent_scores
        WHERE period = 'day' AND period_start {DATES}
          AND {AGENTS} AND role IN (${{role:singlequote}})"""

# Exact over the range, from the inquiries themselves (quantiles do not add up by day).
RATES = f"""
    SELECT
        shop_id,
        agent_id,
        count() AS inquiries,
        countIf(within_30s = 1) / count() AS rate_30s,
        countIf(within_3m = 1) / count() AS rate_3m,
        countIf(within_5m = 1) / count() AS rate_5m,
        avg(response_seconds) AS avg_response_seconds,
        quantileExactInclusive(0.9)(response_seconds) AS p90_response_seconds
    FROM kefu.inquiries FINAL
    WHERE $__timeFilter(effective_opened_at) AND {AGENTS}
    GROUP BY shop_id, agent_id
    ORDER BY rate_3m DESC, inquiries DESC
    {FAST_FINAL}
"""

# Per-buyer rates, conversion and ratings come by business day; over several days the
# numerators and denominators are summed (docs/metrics.md#inquiries-and-response-time: never an average of rates).
OUTCOMES = f"""
    SELECT
        shop_id,
        agent_id,
        sum(consulting_buyers) AS buyers,
        sum(buyer_rate_3m * consulting_buyers) / nullIf(buyers, 0) AS buyer_rate_3m,
        sum(converted_buyers) / nullIf(buyers, 0) AS conversion_rate,
        sum(converted_amount) AS sales,
        sum(positive_rating_rate * ratings) / nullIf(sum(ratings), 0) AS positive_rating_rate,
        sum(complaints) / nullIf(buyers, 0) AS complaint_rate
    FROM kefu.agent_daily
    WHERE business_date {DATES} AND {AGENTS}
    GROUP BY shop_id, agent_id
    ORDER BY buyers DESC, shop_id, agent_id
"""

# The latest day's score of each agent in the range, best first.
SCORE_RANK = f"""
    SELECT agent_id, score
    FROM
    (
        SELECT agent_id, argMax(score, period_start) AS score{SCORES}
        GROUP BY agent_id
    )
    ORDER BY score DESC, agent_id
"""

# The weakest metric: per-metric score columns (suffix _score) become a JSON object,
# so the panel follows whichever metrics the scorecard scores without naming them.
WEAKEST = f"""
    SELECT
        shop_id,
        agent_id,
        role,
        stage,
        score,
        rank() OVER (PARTITION BY shop_id, role ORDER BY score DESC) AS rank,
        replaceRegexpOne(weakest.1, '_score$', '') AS weakest_metric,
        weakest.2 AS weakest_score
    FROM
    (
        SELECT
            shop_id,
            agent_id,
            role,
            stage,
            score,
            arraySort(
                m -> m.2,
                arrayFilter(
                    m -> isNotNull(m.2),
                    JSONExtractKeysAndValues(
                        formatRowNoNewline('JSONEachRow', COLUMNS('.+_score$')),
                        'Nullable(Float64)'
                    )
                )
            )[1] AS weakest
        FROM
        (
            SELECT *{SCORES}
            ORDER BY period_start DESC
            LIMIT 1 BY shop_id, agent_id, role
        )
    )
    ORDER BY shop_id, role, rank
"""

RATE_TREND = f"""
    SELECT time, agent_id, sum(rate_3m * inquiries) / sum(inquiries) AS rate_3m
    FROM ({by_tier("agent", "agent_id, rate_3m, inquiries", f"{AGENTS} AND is_final = 1")})
    GROUP BY time, agent_id
    ORDER BY time, agent_id
"""

RESPONSE_TREND = f"""
    SELECT
        time,
        agent_id,
        sum(avg_response_seconds * answered) / sum(answered) AS avg_response_seconds
    FROM ({
    by_tier("agent", "agent_id, avg_response_seconds, answered", f"{AGENTS} AND answered > 0")
})
    GROUP BY time, agent_id
    ORDER BY time, agent_id
"""

SCORE_TREND = f"""
    SELECT
        toDateTime(period_start, '{TIMEZONE}') AS time,
        agent_id,
        avg(score) AS score{SCORES}
    GROUP BY time, agent_id
    ORDER BY time, agent_id
"""


def build() -> Dashboard:
    return (
        new_board(
            UID,
            "客服绩效 Agents",
            "Per-agent reply rates, response times, conversion, KPI scores and ranks, and "
            "each agent's weakest scored metric, from ClickHouse.",
            time_from="now/d",
            refresh="1m",
        )
        .with_variable(variables.shop())
        .with_variable(variables.agent())
        .with_variable(variables.role())
        .with_panel(
            table_panel(
                "客服应答指标",
                "Per agent over the time range: inquiries attributed to the agent, 30-second "
                "answer rate, 3-minute and 5-minute reply rates (per inquiry, service-hours "
                "clock), mean and p90 response time. Red below 80%, green from 85%.",
                sql(RATES),
                columns={
                    "rate_30s": ("percentunit", RATE_STEPS),
                    "rate_3m": ("percentunit", RATE_STEPS),
                    "rate_5m": ("percentunit", RATE_STEPS),
                    "avg_response_seconds": ("s", SECONDS_STEPS),
                    "p90_response_seconds": ("s", SECONDS_STEPS),
                },
            )
        )
        .with_panel(
            table_panel(
                "客服转化与评价",
                "Per agent over the business days of the range: consulting buyers, per-buyer "
                "3-minute reply rate (the platform's basis), inquiry conversion rate, converted "
                "sales (CNY), positive rating rate and complaint rate.",
                sql(OUTCOMES),
                columns={
                    "buyer_rate_3m": ("percentunit", RATE_STEPS),
                    "conversion_rate": ("percentunit", NEUTRAL_STEPS),
                    "sales": ("currencyCNY", NEUTRAL_STEPS),
                    "positive_rating_rate": ("percentunit", RATE_STEPS),
                    "complaint_rate": (
                        "percentunit",
                        (("green", None), ("orange", 0.01), ("red", 0.02)),
                    ),
                },
            )
        )
        .with_panel(
            bar_panel(
                "KPI 得分排名",
                "KPI score (0-100) of each agent on the latest day of the range, best first "
                "(agent_scores, period day). Red below 60, green from 80.",
                sql(SCORE_RANK),
                unit="none",
                steps=SCORE_STEPS,
                bounds=(0, 100),
            )
        )
        .with_panel(
            table_panel(
                "最弱指标",
                "Each agent's latest daily score, rank within shop and role, and weakest scored "
                "metric (lowest metric score): the coaching topic to start with.",
                sql(WEAKEST),
                columns={
                    "score": ("none", SCORE_STEPS),
                    "weakest_score": ("none", SCORE_STEPS),
                },
                size=(12, 8),
            )
        )
        .with_panel(
            timeseries_panel(
                "三分钟回复率趋势",
                "3-minute reply rate per agent over time (final minutes only).",
                sql(RATE_TREND, Format.TIME_SERIES),
                unit="percentunit",
                steps=RATE_STEPS,
                threshold_line=True,
                bounds=(0, 1),
            )
        )
        .with_panel(
            timeseries_panel(
                "平均响应时长趋势",
                "Mean response time per agent over time, over answered inquiries.",
                sql(RESPONSE_TREND, Format.TIME_SERIES),
                unit="s",
                steps=SECONDS_STEPS,
                bounds=(0, None),
            )
        )
        .with_panel(
            timeseries_panel(
                "KPI 得分趋势",
                "Daily KPI score per agent (agent_scores, period day).",
                sql(SCORE_TREND, Format.TIME_SERIES),
                unit="none",
                steps=SCORE_STEPS,
                bounds=(0, 100),
                size=(24, 8),
            )
        )
    )
