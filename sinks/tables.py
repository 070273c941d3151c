"""Column order of every table the pipeline writes; producers build row tuples in this order.

Each tuple matches the table's DDL in sql/ (tests/unit/test_sql_migrations.py checks
it). Values are plain Python: str, int, float, Decimal, date, tz-aware UTC datetime,
None for Nullable columns; agent_id is "" when there is none.
"""

from __future__ import annotations

CHAT_MESSAGES = (
    "event_id",
    "shop_id",
    "buyer_id",
    "sender",
    "agent_id",
    "occurred_at",
    "msg_type",
    "text",
    "order_id",
    "extra",
    "ingested_at",
)

INQUIRIES = (
    "shop_id",
    "buyer_id",
    "inquiry_id",
    "agent_id",
    "opened_at",
    "effective_opened_at",
    "answered_at",
    "answered_by",
    "response_seconds",
    "within_30s",
    "within_3m",
    "within_5m",
    "business_date",
    "status",
    "in_8_23",
    "raw_response_seconds",
    "version",
    "is_deleted",
)

BUYER_DAYS = (
    "shop_id",
    "buyer_id",
    "business_date",
    "first_inquiry_at",
    "inquiries",
    "missed_30s",
    "missed_3m",
    "missed_5m",
    "converted",
    "order_id",
    "paid_at",
    "order_amount",
    "conversion_agent_id",
    "version",
    "is_deleted",
)

REFUNDS = (
    "refund_id",
    "shop_id",
    "order_id",
    "buyer_id",
    "agent_id",
    "status",
    "amount",
    "requested_at",
    "decided_at",
    "refunded_at",
    "disputed",
    "responsibility",
    "processing_seconds",
    "completion_seconds",
    "dispute_closed_at",
    "merchant_responsible",
    "updated_at",
    "version",
)

ORDERS = (
    "order_id",
    "shop_id",
    "buyer_id",
    "status",
    "amount",
    "created_at",
    "paid_at",
    "grouped_at",
    "updated_at",
    "version",
)

RATINGS = (
    "event_id",
    "shop_id",
    "buyer_id",
    "agent_id",
    "score",
    "occurred_at",
    "business_date",
)

COMPLAINTS = (
    "complaint_id",
    "shop_id",
    "buyer_id",
    "agent_id",
    "order_id",
    "category",
    "occurred_at",
    "event_id",
    "business_date",
)

ALERTS = (
    "alert_id",
    "rule",
    "shop_id",
    "agent_id",
    "state",
    "value",
    "threshold",
    "inquiries",
    "window_start",
    "window_end",
    "event_time",
    "raised_at",
    "message",
    "reason",
    "silenced",
    "acked_by",
)

ALERT_CONTROLS = (
    "control_id",
    "kind",
    "shop_id",
    "agent_id",
    "alert_id",
    "until",
    "reason",
    "author",
    "created_at",
)

DEAD_LETTERS = (
    "topic",
    "partition",
    "offset",
    "reason",
    "raw",
    "received_at",
)

ESCALATIONS = (
    "escalation_id",
    "shop_id",
    "buyer_id",
    "agent_id",
    "rule",
    "severity",
    "occurred_at",
    "business_date",
    "detail",
)

QC_FINDINGS = (
    "event_id",
    "shop_id",
    "buyer_id",
    "agent_id",
    "sender",
    "occurred_at",
    "business_date",
    "category",
    "severity",
    "rule_id",
    "matched",
)

SCRIPT_USES = (
    "event_id",
    "shop_id",
    "buyer_id",
    "agent_id",
    "occurred_at",
    "business_date",
    "script_id",
    "similarity",
)

SCRIPTS = ("shop_id", "script_id", "intent", "text", "version")

WORK_ORDER_EVENTS = ("event_id", "work_order_id", "action", "at", "by", "to", "received_at")

WORK_ORDERS = (
    "work_order_id",
    "shop_id",
    "buyer_id",
    "agent_id",
    "rule",
    "priority",
    "owner",
    "state",
    "opened_at",
    "first_action_at",
    "resolved_at",
    "first_action_due",
    "resolve_due",
    "breached_first_action",
    "breached_resolve",
    "business_date",
    "version",
)

STAFFING_PLAN = (
    "shop_id",
    "interval_start",
    "business_date",
    "forecast_inquiries",
    "forecast_low",
    "forecast_high",
    "promotion",
    "handle_seconds",
    "concurrency",
    "target_rate",
    "target_seconds",
    "required_agents",
    "required_agents_high",
    "planned_at",
)

STAFFING_SHIFTS = (
    "shop_id",
    "business_date",
    "shift_start",
    "hours",
    "break_after_minutes",
    "agents",
    "planned_at",
)

COLUMNS: dict[str, tuple[str, ...]] = {
    "chat_messages": CHAT_MESSAGES,
    "inquiries": INQUIRIES,
    "buyer_days": BUYER_DAYS,
    "refunds": REFUNDS,
    "orders": ORDERS,
    "ratings": RATINGS,
    "complaints": COMPLAINTS,
    "alerts": ALERTS,
    "alert_controls": ALERT_CONTROLS,
    "dead_letters": DEAD_LETTERS,
    "escalations": ESCALATIONS,
    "work_order_events": WORK_ORDER_EVENTS,
    "work_orders": WORK_ORDERS,
    "qc_findings": QC_FINDINGS,
    "script_uses": SCRIPT_USES,
    "scripts": SCRIPTS,
    "staffing_plan": STAFFING_PLAN,
    "staffing_shifts": STAFFING_SHIFTS,
}
