-- 0005: alert state changes (metrics.md section 2), as consumed from the alerts topic.
-- rule: reply_rate_5m | waiting_buyer; state: firing | resolved | warning;
-- agent_id is '' for shop-wide alerts. A redelivered change collapses under FINAL.

CREATE TABLE IF NOT EXISTS {database}.alerts
(
    alert_id     String,
    rule         LowCardinality(String),
    shop_id      String,
    agent_id     String,
    state        LowCardinality(String),
    value        Nullable(Float64),
    threshold    Nullable(Float64),
    inquiries    UInt32,
    window_start Nullable(DateTime64(3, 'UTC')),
    window_end   Nullable(DateTime64(3, 'UTC')),
    event_time   DateTime64(3, 'UTC'),
    raised_at    DateTime64(3, 'UTC'),
    message      String DEFAULT ''
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(event_time)
ORDER BY (shop_id, event_time, alert_id, state)
SETTINGS non_replicated_deduplication_window = 1000;
