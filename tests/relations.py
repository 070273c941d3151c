"""What the tests that read every relation of the schema share."""

from __future__ import annotations

# The lookups of the marking views show every stored version, as far as merges have left them.
MERGE_DEPENDENT = frozenset(
    {"complaint_days", "refund_decision_times", "work_order_days", "order_paid_times"}
)
# Parameterized views, read over every day or minute there is.
_EVERY_DAY = "(first = '2000-01-01', last = '2100-12-31')"
_EVERY_MINUTE = "(first = '2000-01-01 00:00:00', last = '2100-12-31 23:59:59')"
ARGUMENTS = {
    **{
        f"{view}_between": _EVERY_DAY
        for view in (
            "shop_daily",
            "agent_daily",
            "agent_kpi_daily",
            "paid_orders_daily",
            "refund_daily",
        )
    },
    "shop_minutely_between": _EVERY_MINUTE,
    "agent_minutely_between": _EVERY_MINUTE,
    "rollup_dirty_between": f"(view = 'shop_minutely', {_EVERY_MINUTE[1:]}",
}
