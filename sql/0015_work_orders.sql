-- 0015: escalations and work orders (工单). Escalations and lifecycle events are stored as
-- they arrive (a redelivery collapses under FINAL); work_orders holds each order's fold of
-- its events, one row per order under FINAL (highest version wins). Times are UTC;
-- business_date is the shop-local date the order was opened. SLA due times count service
-- hours only (docs/metrics.md, "Work orders").

CREATE TABLE IF NOT EXISTS {database}.escalations
(
    escalation_id String,
    shop_id       String,
    buyer_id      String,
    agent_id      String,
    rule          LowCardinality(String),
    severity      LowCardinality(String),
    occurred_at   DateTime64(3, 'UTC'),
    business_date Date,
    detail        String
)
ENGINE = ReplacingMergeTree
ORDER BY (shop_id, escalation_id)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS {database}.work_order_events
(
    event_id      String,
    work_order_id String,
    action        LowCardinality(String),
    at            DateTime64(3, 'UTC'),
    by            String,
    to            String,
    received_at   DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY (work_order_id, event_id)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS {database}.work_orders
(
    work_order_id         String,
    shop_id               String,
    buyer_id              String,
    agent_id              String,
    rule                  LowCardinality(String),
    priority              LowCardinality(String),
    owner                 String,
    state                 LowCardinality(String),
    opened_at             DateTime64(3, 'UTC'),
    first_action_at       Nullable(DateTime64(3, 'UTC')),
    resolved_at           Nullable(DateTime64(3, 'UTC')),
    first_action_due      DateTime64(3, 'UTC'),
    resolve_due           DateTime64(3, 'UTC'),
    breached_first_action UInt8,
    breached_resolve      UInt8,
    business_date         Date,
    version               UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (shop_id, work_order_id)
SETTINGS non_replicated_deduplication_window = 1000;

-- Orders not resolved, with their age band and SLA state at query time (a board computes exact
-- ages from opened_at): `breached` once a clock
-- ran out (or the fold already marked it), `due_soon` within 10 minutes of one, else `ok`.
CREATE OR REPLACE VIEW {database}.open_work_orders AS
SELECT
    work_order_id, shop_id, buyer_id, agent_id, rule, priority, owner, state, opened_at,
    first_action_at, first_action_due, resolve_due, business_date,
    multiIf(
        opened_at > now64(3) - INTERVAL 1 HOUR, 'under 1h',
        opened_at > now64(3) - INTERVAL 4 HOUR, '1-4h',
        opened_at > now64(3) - INTERVAL 1 DAY, '4-24h',
        'over 1d'
    ) AS age,
    breached_first_action OR (first_action_at IS NULL AND first_action_due <= now64(3))
        AS first_action_breached,
    breached_resolve OR resolve_due <= now64(3) AS resolve_breached,
    multiIf(
        first_action_breached OR resolve_breached, 'breached',
        (first_action_at IS NULL AND first_action_due <= now64(3) + INTERVAL 10 MINUTE)
            OR resolve_due <= now64(3) + INTERVAL 10 MINUTE, 'due_soon',
        'ok'
    ) AS sla_state
FROM {database}.work_orders FINAL
WHERE state != 'resolved';

-- Per shop, agent and the business date an order was opened: orders, and the share of them
-- that breached each clock (NULL where there are none). Breaches are the fold's flags, set on
-- event time (a late action, or a clock that ran out first), so a replay gives the same rates.
CREATE OR REPLACE VIEW {database}.work_order_sla_daily AS
SELECT
    shop_id,
    agent_id,
    business_date,
    count() AS work_orders,
    countIf(state = 'resolved') AS resolved,
    sum(breached_first_action) AS first_action_breaches,
    sum(breached_resolve) AS resolve_breaches,
    if(work_orders = 0, NULL, first_action_breaches / work_orders) AS first_action_breach_rate,
    if(work_orders = 0, NULL, resolve_breaches / work_orders) AS resolve_breach_rate
FROM {database}.work_orders FINAL
GROUP BY shop_id, agent_id, business_date;
