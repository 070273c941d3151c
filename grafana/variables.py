"""Dashboard variables: shop, agent and role, multi-select with "All".

Panels quote them as `${shop:singlequote}` inside `IN (...)`: Grafana expands a
selection (and "All", which has no custom all-value) to `'s1','s2'`.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dashboard_builders
from grafana_foundation_sdk.models.dashboard import (
    DataSourceRef,
    VariableOption,
    VariableRefresh,
    VariableSort,
)

from grafana.datasources import DATABASE, clickhouse_ref, prometheus_ref

ROLES = ("presale", "aftersale")


def _all() -> VariableOption:
    return VariableOption(selected=True, text="All", value="$__all")


def _query_variable(
    name: str, label: str, description: str, query: str, source: DataSourceRef
) -> dashboard_builders.QueryVariable:
    return (
        dashboard_builders.QueryVariable(name)
        .label(label)
        .description(description)
        .datasource(source)
        .query(query)
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(VariableSort.ALPHABETICAL_ASC)
        .multi(True)
        .include_all(True)
        .current(_all())
    )


def shop() -> dashboard_builders.QueryVariable:
    return _query_variable(
        "shop",
        "店铺 Shop",
        "Shops to show (shop_id).",
        f"SELECT DISTINCT shop_id FROM {DATABASE}.inquiries ORDER BY shop_id",
        clickhouse_ref(),
    )


def agent() -> dashboard_builders.QueryVariable:
    return _query_variable(
        "agent",
        "客服 Agent",
        "Agents of the selected shops (agent_id); unattributed inquiries are left out.",
        f"SELECT DISTINCT agent_id FROM {DATABASE}.inquiries "
        "WHERE shop_id IN (${shop:singlequote}) AND agent_id != '' ORDER BY agent_id",
        clickhouse_ref(),
    )


def role() -> dashboard_builders.CustomVariable:
    return (
        dashboard_builders.CustomVariable("role")
        .label("岗位 Role")
        .description("KPI role of the scorecard: presale (售前) or aftersale (售后).")
        .values(",".join(ROLES))
        .options([VariableOption(selected=False, text=r, value=r) for r in ROLES])
        .multi(True)
        .include_all(True)
        .current(_all())
    )


def prometheus_shop() -> dashboard_builders.QueryVariable:
    return _query_variable(
        "shop",
        "店铺 Shop",
        "Shops reported by the worker's business gauges.",
        "label_values(kefu_shop_reply_rate_5m, shop)",
        prometheus_ref(),
    )
