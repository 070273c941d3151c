-- 0004: refunds and orders, one row per refund / order in its latest state
-- (highest version wins under FINAL). Their times change as events arrive, so
-- they are not partitioned by time: every version of a row must meet its
-- predecessors in one partition to replace them.

CREATE TABLE IF NOT EXISTS {database}.refunds
(
    refund_id            String,
    shop_id              String,
    order_id             String,
    buyer_id             String,
    agent_id             String,
    status               LowCardinality(String),
    amount               Decimal(18, 2),
    requested_at         Nullable(DateTime64(3, 'UTC')),
    decided_at           Nullable(DateTime64(3, 'UTC')),
    refunded_at          Nullable(DateTime64(3, 'UTC')),
    disputed             UInt8,
    responsibility       LowCardinality(Nullable(String)),
    processing_seconds   Nullable(Float64),
    completion_seconds   Nullable(Float64),
    dispute_closed_at    Nullable(DateTime64(3, 'UTC')),
    merchant_responsible UInt8,
    updated_at           DateTime64(3, 'UTC'),
    version              UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (shop_id, refund_id)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS {database}.orders
(
    order_id   String,
    shop_id    String,
    buyer_id   String,
    status     LowCardinality(String),
    amount     Decimal(18, 2),
    created_at Nullable(DateTime64(3, 'UTC')),
    paid_at    Nullable(DateTime64(3, 'UTC')),
    grouped_at Nullable(DateTime64(3, 'UTC')),
    updated_at DateTime64(3, 'UTC'),
    version    UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (shop_id, order_id)
SETTINGS non_replicated_deduplication_window = 1000;
