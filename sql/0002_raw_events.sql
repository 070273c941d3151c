-- 0002: event tables, one row per real-world event, and the dead letters.
-- Redelivered events carry the same sort key and collapse under FINAL; retried
-- insert batches are dropped by insert_deduplication_token (dedup window 1000).
-- The raw message text expires after {text_ttl_days} days (KefuSettings.raw_text_ttl_days;
-- the migration runner re-applies a changed value with ALTER ... MODIFY COLUMN).

CREATE TABLE IF NOT EXISTS {database}.chat_messages
(
    event_id    String,
    shop_id     String,
    buyer_id    String,
    sender      LowCardinality(String),
    agent_id    String,
    occurred_at DateTime64(3, 'UTC'),
    msg_type    LowCardinality(String),
    text        Nullable(String) TTL toDateTime(occurred_at) + toIntervalDay({text_ttl_days}),
    order_id    Nullable(String),
    extra       String DEFAULT '{}',
    ingested_at DateTime64(3, 'UTC') DEFAULT now64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (shop_id, occurred_at, event_id)
SETTINGS non_replicated_deduplication_window = 1000;

-- business_date: the shop-local date of occurred_at, computed upstream.
CREATE TABLE IF NOT EXISTS {database}.ratings
(
    event_id      String,
    shop_id       String,
    buyer_id      String,
    agent_id      String,
    score         UInt8,
    occurred_at   DateTime64(3, 'UTC'),
    business_date Date
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (shop_id, occurred_at, event_id)
SETTINGS non_replicated_deduplication_window = 1000;

-- One row per complaint_id (the latest delivery wins); no time partition, since
-- a later event about the same complaint may carry another time.
CREATE TABLE IF NOT EXISTS {database}.complaints
(
    complaint_id  String,
    shop_id       String,
    buyer_id      String,
    agent_id      String,
    order_id      Nullable(String),
    category      LowCardinality(String),
    occurred_at   DateTime64(3, 'UTC'),
    event_id      String,
    business_date Date
)
ENGINE = ReplacingMergeTree
ORDER BY (shop_id, complaint_id)
SETTINGS non_replicated_deduplication_window = 1000;

-- Rejected messages, keyed by their position in Kafka; raw holds the original bytes.
CREATE TABLE IF NOT EXISTS {database}.dead_letters
(
    topic       LowCardinality(String),
    `partition` Int32,
    `offset`    Int64,
    reason      String,
    raw         String,
    received_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY (topic, `partition`, `offset`)
SETTINGS non_replicated_deduplication_window = 1000;
