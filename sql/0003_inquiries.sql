-- 0003: inquiries and consulting buyer-days (metrics.md sections 1 and 3).
-- Both are upserted as the stream learns more: the row with the highest version
-- wins under FINAL, and a row written with is_deleted = 1 disappears under FINAL
-- (a late message re-cut the conversation). Sort keys never change for a logical
-- row, so every version of it lands in the same partition and collapses.

CREATE TABLE IF NOT EXISTS {database}.inquiries
(
    shop_id              String,
    buyer_id             String,
    inquiry_id           String,
    agent_id             String,
    opened_at            DateTime64(3, 'UTC'),
    effective_opened_at  DateTime64(3, 'UTC'),
    answered_at          Nullable(DateTime64(3, 'UTC')),
    answered_by          Nullable(String),
    response_seconds     Nullable(Float64),
    within_30s           UInt8,
    within_3m            UInt8,
    within_5m            UInt8,
    business_date        Date,
    status               LowCardinality(String),
    in_8_23              UInt8,
    raw_response_seconds Nullable(Float64),
    version              UInt64,
    is_deleted           UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(version, is_deleted)
PARTITION BY toYYYYMM(opened_at)
ORDER BY (shop_id, opened_at, buyer_id, inquiry_id)
SETTINGS non_replicated_deduplication_window = 1000;

-- missed_*: some inquiry of the buyer-day missed the threshold (service scope).
CREATE TABLE IF NOT EXISTS {database}.buyer_days
(
    shop_id             String,
    buyer_id            String,
    business_date       Date,
    first_inquiry_at    DateTime64(3, 'UTC'),
    inquiries           UInt32,
    missed_30s          UInt8,
    missed_3m           UInt8,
    missed_5m           UInt8,
    converted           UInt8,
    order_id            Nullable(String),
    paid_at             Nullable(DateTime64(3, 'UTC')),
    order_amount        Nullable(Decimal(18, 2)),
    conversion_agent_id String,
    version             UInt64,
    is_deleted          UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(version, is_deleted)
PARTITION BY toYYYYMM(business_date)
ORDER BY (shop_id, business_date, buyer_id)
SETTINGS non_replicated_deduplication_window = 1000;
