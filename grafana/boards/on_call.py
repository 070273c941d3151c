"""值班 On-call: open alerts and silences, open work orders by SLA state, escalations per hour.

Work orders and their SLA clocks are defined in docs/metrics.md, "Work orders"; the open
orders' SLA state is the `open_work_orders` view's, at query time.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard

from grafana import variables
from grafana.boards.common import LOCAL_DATE_FROM, LOCAL_DATE_TO, new_board
from grafana.boards.live_floor import ALERTS, CONTROLS
from grafana.clickhouse import Format
from grafana.panels import NEUTRAL_STEPS, bar_panel, sql, stat_panel, table_panel, timeseries_panel

UID = "kefu-on-call"
SHOPS = "shop_id IN (${shop:singlequote})"
# Lower is better: any breached order is red.
BREACH_STEPS = (("green", None), ("red", 1.0))
RATE_STEPS = (("green", None), ("orange", 0.1), ("red", 0.25))

OPEN_BREACHED = f"""
    SELECT countIf(sla_state = 'breached') AS breached
    FROM kefu.open_work_orders
    WHERE {SHOPS}
"""

OPEN_BY_STATE = f"""
    SELECT sla_state, count() AS work_orders
    FROM kefu.open_work_orders
    WHERE {SHOPS}
    GROUP BY sla_state
    ORDER BY sla_state
"""

OPEN_ORDERS = f"""
    SELECT
        work_order_id, shop_id, rule, priority, owner, state, sla_state, age,
        opened_at, first_action_due, resolve_due, buyer_id, agent_id
    FROM kefu.open_work_orders
    WHERE {SHOPS}
    ORDER BY sla_state = 'breached' DESC, opened_at
"""

ESCALATIONS_PER_HOUR = f"""
    SELECT toStartOfHour(occurred_at) AS time, rule, count() AS escalations
    FROM kefu.escalations FINAL
    WHERE $__timeFilter(occurred_at) AND {SHOPS}
    GROUP BY time, rule
    ORDER BY time, rule
"""

BREACH_RATE = f"""
    SELECT
        shop_id,
        agent_id,
        sum(work_orders) AS orders,
        sum(first_action_breaches) / nullIf(orders, 0) AS first_action_breach_rate,
        sum(resolve_breaches) / nullIf(orders, 0) AS resolve_breach_rate
    FROM kefu.work_order_sla_daily
    WHERE business_date BETWEEN {LOCAL_DATE_FROM} AND {LOCAL_DATE_TO} AND {SHOPS}
    GROUP BY shop_id, agent_id
    ORDER BY first_action_breach_rate DESC
"""


def build() -> Dashboard:
    return (
        new_board(
            UID,
            "值班 On-call",
            "Open alerts and running silences, open work orders (工单) by SLA state and owner, "
            "escalations per hour and rule, and SLA breach rates per shop and agent, from "
            "ClickHouse.",
            time_from="now-24h",
            refresh="1m",
        )
        .with_variable(variables.shop())
        .with_panel(
            table_panel(
                "告警",
                "The latest state of each alert (rule, shop, agent) in the time range, firing "
                "first: reply_rate_5m, waiting_buyer and the work-order SLA rules. reason: why "
                "it resolved; silenced: 1 when a silence kept it from being sent.",
                sql(ALERTS),
                columns={"last_change": ("dateTimeAsLocal", NEUTRAL_STEPS)},
                states={"firing": "red", "warning": "orange", "resolved": "green"},
            )
        )
        .with_panel(
            table_panel(
                "静默与已确认告警",
                "Silences still running and acknowledged alerts still firing "
                "(`kefu alerts silence`, `kefu alerts ack`). `until` is when a silence ends.",
                sql(CONTROLS),
                columns={
                    "created_at": ("dateTimeAsLocal", NEUTRAL_STEPS),
                    "until": ("dateTimeAsLocal", NEUTRAL_STEPS),
                },
            )
        )
        .with_panel(
            stat_panel(
                "超时未结工单",
                "Open work orders with an SLA clock (first action or resolution, in service "
                "hours) that ran out, now. Red from one.",
                sql(OPEN_BREACHED),
                unit="none",
                steps=BREACH_STEPS,
                size=(8, 6),
            )
        )
        .with_panel(
            bar_panel(
                "未结工单（按 SLA 状态）",
                "Open work orders by SLA state now: ok, due_soon (a clock runs out within 10 "
                "minutes) or breached.",
                sql(OPEN_BY_STATE),
                unit="none",
                steps=NEUTRAL_STEPS,
                size=(16, 6),
            )
        )
        .with_panel(
            table_panel(
                "未结工单",
                "Every open work order, breached first: rule that opened it, priority, owner, "
                "state, SLA state and age band; due times are UTC. Act with `kefu orders act ID`.",
                sql(OPEN_ORDERS),
                columns={},
            )
        )
        .with_panel(
            timeseries_panel(
                "升级（每小时，按规则）",
                "Escalations raised per hour by rule (one per conversation, rule and business "
                "day), by the event time that matched.",
                sql(ESCALATIONS_PER_HOUR, Format.TIME_SERIES),
                unit="none",
                bounds=(0, None),
            )
        )
        .with_panel(
            table_panel(
                "SLA 超时率（店铺、客服）",
                "Per shop and agent, over work orders opened on business dates in the range: "
                "orders, and the share whose first action or resolution came after its SLA clock.",
                sql(BREACH_RATE),
                columns={
                    "first_action_breach_rate": ("percentunit", RATE_STEPS),
                    "resolve_breach_rate": ("percentunit", RATE_STEPS),
                },
            )
        )
    )
