-- 0017: quality-inspection findings (docs/metrics.md#quality-inspection), as consumed from
-- kefu.qc-findings. One row per message and rule; `matched` is the span that matched, never
-- the whole message. A replay or a restart repeats rows with the same key, which collapse
-- under FINAL. business_date is the shop-local date of occurred_at.

CREATE TABLE IF NOT EXISTS {database}.qc_findings
(
    event_id      String,
    shop_id       String,
    buyer_id      String,
    agent_id      String,
    sender        LowCardinality(String),
    occurred_at   DateTime64(3, 'UTC'),
    business_date Date,
    category      LowCardinality(String),
    severity      LowCardinality(String),
    rule_id       LowCardinality(String),
    matched       String
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(business_date)
ORDER BY (shop_id, business_date, event_id, rule_id)
SETTINGS non_replicated_deduplication_window = 1000;
