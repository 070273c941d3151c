"""What the tests that read every relation of the schema share."""

from __future__ import annotations

# The lookups of the marking views show every stored version, as far as merges have left them.
MERGE_DEPENDENT = frozenset(
    {"complaint_days", "refund_decision_times", "work_order_days", "order_paid_times"}
)
# Parameterized views, read over every day there is.
ARGUMENTS = {
    f"{view}_between": "(first = '2000-01-01', last = '2100-12-31')"
    for view in (
        "shop_daily",
        "agent_daily",
        "agent_kpi_daily",
        "paid_orders_daily",
        "refund_daily",
        "agent_scores",
    )
}
