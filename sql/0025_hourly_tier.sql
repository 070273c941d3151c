-- 0025: the hour tier, shop_hourly and agent_hourly (docs/analysts.md "Rollups"): the
-- columns of shop_minutely and agent_minutely per hour of effective_opened_at, for board
-- panels over days and weeks. Rolled up like the minutely views (sql/0023): a period is
-- an hour, marked by the same inserts.

CREATE OR REPLACE VIEW {database}.rollup_views AS
SELECT * FROM values('view_name String, tier String',
    ('shop_daily', 'day'), ('agent_daily', 'day'),
    ('shop_minutely', 'hour'), ('agent_minutely', 'hour'),
    ('shop_hourly', 'hour'), ('agent_hourly', 'hour'));

CREATE OR REPLACE VIEW {database}.shop_hourly_final AS
SELECT
    shop_id,
    toDateTime64(toStartOfHour(effective_opened_at), 3, 'UTC') AS hour,
    count() AS inquiries,
    countIf(answered_at IS NOT NULL) AS answered,
    if(count() = 0, NULL, sum(within_30s) / count()) AS rate_30s,
    if(count() = 0, NULL, sum(within_3m) / count()) AS rate_3m,
    if(count() = 0, NULL, sum(within_5m) / count()) AS rate_5m,
    avg(response_seconds) AS avg_response_seconds,
    toUInt8(countIf(status = 'open') = 0) AS is_final
FROM {database}.inquiries FINAL
GROUP BY shop_id, hour;

CREATE OR REPLACE VIEW {database}.agent_hourly_final AS
SELECT
    shop_id,
    agent_id,
    toDateTime64(toStartOfHour(effective_opened_at), 3, 'UTC') AS hour,
    count() AS inquiries,
    countIf(answered_at IS NOT NULL) AS answered,
    if(count() = 0, NULL, sum(within_30s) / count()) AS rate_30s,
    if(count() = 0, NULL, sum(within_3m) / count()) AS rate_3m,
    if(count() = 0, NULL, sum(within_5m) / count()) AS rate_5m,
    avg(response_seconds) AS avg_response_seconds,
    toUInt8(countIf(status = 'open') = 0) AS is_final
FROM {database}.inquiries FINAL
GROUP BY shop_id, agent_id, hour;

CREATE TABLE IF NOT EXISTS {database}.shop_hourly_rollup
(
    shop_id              String,
    hour                 DateTime64(3, 'UTC'),
    inquiries            UInt64,
    answered             UInt64,
    rate_30s             Nullable(Float64),
    rate_3m              Nullable(Float64),
    rate_5m              Nullable(Float64),
    avg_response_seconds Nullable(Float64),
    is_final             UInt8,
    computed_at          DateTime64(6, 'UTC')
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (shop_id, hour);

CREATE TABLE IF NOT EXISTS {database}.agent_hourly_rollup
(
    shop_id              String,
    agent_id             String,
    hour                 DateTime64(3, 'UTC'),
    inquiries            UInt64,
    answered             UInt64,
    rate_30s             Nullable(Float64),
    rate_3m              Nullable(Float64),
    rate_5m              Nullable(Float64),
    avg_response_seconds Nullable(Float64),
    is_final             UInt8,
    computed_at          DateTime64(6, 'UTC')
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (shop_id, hour, agent_id);

CREATE OR REPLACE VIEW {database}.shop_hourly AS
SELECT * EXCEPT (computed_at) FROM {database}.shop_hourly_rollup
WHERE (shop_id, toDateTime(hour, 'UTC'), computed_at) IN
    (SELECT shop_id, period, computed_at FROM {database}.rollup_fresh WHERE view_name = 'shop_hourly')
UNION ALL
SELECT * FROM {database}.shop_hourly_final
WHERE toDateTime(hour, 'UTC') IN
    (SELECT period FROM {database}.rollup_dirty WHERE view_name = 'shop_hourly')
  AND (shop_id, toDateTime(hour, 'UTC')) IN
    (SELECT shop_id, period FROM {database}.rollup_dirty WHERE view_name = 'shop_hourly');

CREATE OR REPLACE VIEW {database}.agent_hourly AS
SELECT * EXCEPT (computed_at) FROM {database}.agent_hourly_rollup
WHERE (shop_id, toDateTime(hour, 'UTC'), computed_at) IN
    (SELECT shop_id, period, computed_at FROM {database}.rollup_fresh WHERE view_name = 'agent_hourly')
UNION ALL
SELECT * FROM {database}.agent_hourly_final
WHERE toDateTime(hour, 'UTC') IN
    (SELECT period FROM {database}.rollup_dirty WHERE view_name = 'agent_hourly')
  AND (shop_id, toDateTime(hour, 'UTC')) IN
    (SELECT shop_id, period FROM {database}.rollup_dirty WHERE view_name = 'agent_hourly');
