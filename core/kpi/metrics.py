"""The metrics a KPI scorecard may weigh: names used in settings, views and the CLI.

The order here is the column order of the `agent_scores` view and the tie-break order of
coaching hints. `lower_is_better` fixes which way a metric's floor and target must lie
(docs/metrics.md#kpi-score: for response time and complaint rate the floor is above the target).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    label: str
    unit: str  # "s" (seconds), "rate" (0..1), "yuan" or "points" (0..100)
    lower_is_better: bool
    trailing_30d: bool  # valued over the 30 days ending on the period's last day (docs/metrics.md#after-sales)


METRICS: tuple[Metric, ...] = (
    Metric("response_speed", "avg response time (平均响应时长)", "s", True, False),
    Metric("conversion_rate", "inquiry conversion (询单转化率)", "rate", False, False),
    Metric("positive_rating_rate", "positive ratings (好评率)", "rate", False, False),
    Metric("avg_order_value", "avg order value (客单价)", "yuan", False, False),
    Metric("repeat_purchase_rate", "repeat purchase (复购率)", "rate", False, False),
    Metric("complaint_rate", "complaint rate (投诉率)", "rate", True, False),
    Metric("dispute_resolution_rate", "dispute resolution (纠纷解决率)", "rate", False, True),
    Metric("refund_speed", "avg refund processing (退款处理时长)", "s", True, True),
    Metric("dispute_refund_rate", "dispute refund rate (纠纷退款率)", "rate", True, True),
    Metric("work_order_sla_rate", "work orders within SLA (工单SLA达标率)", "rate", False, False),
    Metric("qc_score", "QC score (质检得分)", "points", False, False),
)

BY_NAME: dict[str, Metric] = {m.name: m for m in METRICS}
NAMES: tuple[str, ...] = tuple(m.name for m in METRICS)

ROLES: tuple[str, ...] = ("presale", "aftersale")
STAGES: tuple[str, ...] = ("launch", "steady")
