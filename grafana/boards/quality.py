"""质检 Quality: findings per category and hour, QC scores per agent, the latest critical
findings with the span that matched, and the script library ranked by effect.

Categories, the QC score and the script figures are defined in docs/metrics.md, "Quality
inspection" and "Script library".
"""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard

from grafana import variables
from grafana.boards.common import LOCAL_DATE_FROM, LOCAL_DATE_TO, new_board
from grafana.clickhouse import Format
from grafana.panels import NEUTRAL_STEPS, sql, stat_panel, table_panel, timeseries_panel

UID = "kefu-quality"
SHOPS = "shop_id IN (${shop:singlequote})"
CRITICAL_STEPS = (("green", None), ("red", 1.0))
SCORE_STEPS = (("red", None), ("orange", 80.0), ("green", 95.0))
LIFT_STEPS = (("red", None), ("text", 0.0), ("green", 0.05))

CRITICAL_COUNT = f"""
    SELECT count() AS critical
    FROM kefu.qc_findings FINAL
    WHERE $__timeFilter(occurred_at) AND {SHOPS} AND severity = 'critical'
      AND sender IN ('agent', 'bot')
"""

PER_HOUR = f"""
    SELECT toStartOfHour(occurred_at) AS time, category, count() AS findings
    FROM kefu.qc_findings FINAL
    WHERE $__timeFilter(occurred_at) AND {SHOPS}
    GROUP BY time, category
    ORDER BY time, category
"""

PER_AGENT = f"""
    SELECT
        shop_id,
        agent_id,
        sum(replies) AS replies,
        sum(qc_findings) AS findings,
        if(replies = 0, NULL, greatest(0, least(100, 100 - 100 * sum(qc_penalty) / replies)))
            AS qc_score
    FROM kefu.agent_qc_daily
    WHERE business_date BETWEEN {LOCAL_DATE_FROM} AND {LOCAL_DATE_TO} AND {SHOPS}
    GROUP BY shop_id, agent_id
    ORDER BY qc_score, findings DESC
"""

LATEST_CRITICAL = f"""
    SELECT occurred_at, shop_id, agent_id, buyer_id, sender, category, rule_id, matched, event_id
    FROM kefu.qc_findings FINAL
    WHERE $__timeFilter(occurred_at) AND {SHOPS} AND severity = 'critical'
    ORDER BY occurred_at DESC
    LIMIT 100
"""

SCRIPTS_BY_EFFECT = f"""
    SELECT
        shop_id,
        script_id,
        any(intent) AS intent,
        any(text) AS text,
        sum(uses) AS uses,
        max(agents) AS agents_in_a_week,
        sum(avg_response_seconds * answering_uses) / nullIf(sum(answering_uses), 0)
            AS avg_response_seconds,
        sum(converted_with) / nullIf(sum(buyer_days_with), 0) AS conversion_with,
        sum(converted_without) / nullIf(sum(buyer_days_without), 0) AS conversion_without,
        conversion_with - conversion_without AS conversion_lift
    FROM kefu.script_weekly
    WHERE week BETWEEN toMonday({LOCAL_DATE_FROM}) AND {LOCAL_DATE_TO} AND {SHOPS}
    GROUP BY shop_id, script_id
    ORDER BY conversion_lift DESC
"""


def build() -> Dashboard:
    return (
        new_board(
            UID,
            "质检 Quality",
            "Quality inspection (质检) of every chat message: findings per category and hour, "
            "QC scores per agent, the latest critical findings with the matched span, and the "
            "script library (话术库) ranked by its effect on conversion, from ClickHouse.",
            time_from="now-24h",
            refresh="1m",
        )
        .with_variable(variables.shop())
        .with_panel(
            stat_panel(
                "严重违规",
                "Critical findings on agent and bot messages in the range (off-platform "
                "contact, abuse); each raised a qc_critical alert. Red from one.",
                sql(CRITICAL_COUNT),
                unit="none",
                steps=CRITICAL_STEPS,
                size=(6, 8),
            )
        )
        .with_panel(
            timeseries_panel(
                "质检发现（每小时，按类别）",
                "Findings per hour by category, by the time the message was sent. Buyer "
                "categories (complaint_threat, buyer_abuse) feed escalations, not scores.",
                sql(PER_HOUR, Format.TIME_SERIES),
                unit="none",
                bounds=(0, None),
                size=(18, 8),
            )
        )
        .with_panel(
            table_panel(
                "客服质检得分",
                "Per agent over the business days of the range: human replies, findings on "
                "them, and qc_score = 100 − 100 × severity-weighted findings ÷ replies.",
                sql(PER_AGENT),
                columns={"qc_score": ("none", SCORE_STEPS)},
            )
        )
        .with_panel(
            table_panel(
                "最新严重违规",
                "The latest critical findings, newest first: who, which rule, and the span "
                "that matched (never the whole message). event_id finds the message in "
                "chat_messages.",
                sql(LATEST_CRITICAL),
                columns={"occurred_at": ("dateTimeAsLocal", NEUTRAL_STEPS)},
            )
        )
        .with_panel(
            table_panel(
                "话术效果",
                "Scripts of the library used in the range's weeks: uses, the most agents in "
                "one week, the mean response time of the inquiries a use answered, and the "
                "conversion of buyer-days with a use against the shop's other buyer-days.",
                sql(SCRIPTS_BY_EFFECT),
                columns={
                    "avg_response_seconds": ("s", NEUTRAL_STEPS),
                    "conversion_with": ("percentunit", NEUTRAL_STEPS),
                    "conversion_without": ("percentunit", NEUTRAL_STEPS),
                    "conversion_lift": ("percentunit", LIFT_STEPS),
                },
            )
        )
    )
