"""The Grafana-managed reply-rate alarm: the alternative to the Prometheus rule path.

It evaluates docs/metrics.md#live-reply-rate-alarm on ClickHouse: per shop, the 5-minute reply rate over
inquiries whose clock started 20 to 5 minutes before the evaluation, with at least
`min_inquiries`; it fires below the threshold and recovers at threshold + hysteresis.
"""

from __future__ import annotations

import json
from typing import Any

from grafana_foundation_sdk.builders import alerting
from grafana_foundation_sdk.builders import expr as expr_builders
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.alerting import RelativeTimeRange, Rule
from grafana_foundation_sdk.models.dashboard import DataSourceRef

from grafana.boards import live_floor
from grafana.clickhouse import ClickHouseTarget, Format
from grafana.datasources import CLICKHOUSE_UID, FOLDER_UID

RULE_UID = "kefu-reply-rate-5m"
GROUP = "kefu-reply-rate"
EXPRESSION_UID = "__expr__"  # Grafana's server-side expressions
THRESHOLD = 0.80
HYSTERESIS = 0.05
MIN_INQUIRIES = 10
INTERVAL_SECONDS = 60
WINDOW_SECONDS = 20 * 60

# One row per shop: string columns become the alert's labels, the number its value.
QUERY = f"""
    SELECT
        shop_id AS shop,
        countIf(within_5m = 1) / count() AS reply_rate_5m
    FROM kefu.inquiries FINAL
    WHERE effective_opened_at >= $__toTime - INTERVAL 20 MINUTE
      AND effective_opened_at < $__toTime - INTERVAL 5 MINUTE
    GROUP BY shop_id
    HAVING count() >= {MIN_INQUIRIES}
    ORDER BY shop_id
"""


def rule() -> Rule:
    threshold = (
        expr_builders.TypeThreshold()
        .datasource(DataSourceRef(type_val=EXPRESSION_UID, uid=EXPRESSION_UID))
        .ref_id("B")
        .expression("A")
        .conditions(
            [
                expr_builders.ExprTypeThresholdConditions()
                .evaluator(
                    expr_builders.ExprTypeThresholdConditionsEvaluator()
                    .type("lt")
                    .params([THRESHOLD])
                )
                # Recovery threshold: resolve only at threshold + hysteresis (docs/metrics.md#live-reply-rate-alarm).
                .unload_evaluator(
                    expr_builders.ExprTypeThresholdConditionsUnloadEvaluator()
                    .type("gt")
                    .params([round(THRESHOLD + HYSTERESIS, 4)])
                )
            ]
        )
    )
    return (
        alerting.Rule("五分钟回复率低于阈值 Reply rate below threshold")
        .uid(RULE_UID)
        .folder_uid(FOLDER_UID)
        .rule_group(GROUP)
        .org_id(1)
        .condition("B")
        .for_val("0s")  # the window itself already spans 15 minutes of final outcomes
        .no_data_state("OK")
        .exec_err_state("Error")
        .labels({"rule": "reply_rate_5m", "severity": "page"})
        .annotations(
            {
                "summary": "店铺 {{ $labels.shop }} 五分钟回复率 {{ humanizePercentage $values.A.Value }}",
                "description": (
                    "Shop {{ $labels.shop }}: the 5-minute reply rate over inquiries opened 20 to "
                    f"5 minutes ago is below {THRESHOLD:.0%} (at least {MIN_INQUIRIES} inquiries)."
                ),
                "__dashboardUid__": live_floor.UID,
            }
        )
        .with_query(
            alerting.Query("A")
            .datasource_uid(CLICKHOUSE_UID)
            .relative_time_range(RelativeTimeRange(from_val=WINDOW_SECONDS, to=0))
            .model(ClickHouseTarget(QUERY, Format.TABLE))
        )
        .with_query(
            alerting.Query("B")
            .datasource_uid(EXPRESSION_UID)
            .relative_time_range(RelativeTimeRange(from_val=0, to=0))
            .model(threshold)
        )
        .build()
    )


def file_provisioning(folder_title: str) -> dict[str, Any]:
    """The rule as Grafana's file provisioning wants it (provisioning/alerting/*.yaml)."""
    payload = _json(rule())
    body = {
        key: payload[key]
        for key in ("uid", "title", "condition", "data", "noDataState", "execErrState", "for")
    }
    body |= {"labels": payload["labels"], "annotations": payload["annotations"]}
    group = {
        "orgId": 1,
        "name": GROUP,
        "folder": folder_title,
        "interval": f"{INTERVAL_SECONDS}s",
        "rules": [body],
    }
    return {"apiVersion": 1, "groups": [group]}


def api_payload() -> dict[str, Any]:
    """The rule as POST/PUT /api/v1/provisioning/alert-rules takes it."""
    return _json(rule())


def _json(value: object) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(json.dumps(value, cls=JSONEncoder))
    return data
