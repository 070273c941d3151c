-- 0006: per-minute reply rates by shop and by agent (interfaces.md), keyed by the
-- minute of effective_opened_at. Rates are Float64 in 0..1, NULL where there is no
-- inquiry (or, for avg_response_seconds, no answered inquiry); times are seconds.
-- is_final = 1 once no inquiry of the minute is still open (answered or missed).

CREATE OR REPLACE VIEW {database}.shop_minutely AS
SELECT
    shop_id,
    toDateTime64(toStartOfMinute(effective_opened_at), 3, 'UTC') AS minute,
    count() AS inquiries,
    countIf(answered_at IS NOT NULL) AS answered,
    if(count() = 0, NULL, sum(within_30s) / count()) AS rate_30s,
    if(count() = 0, NULL, sum(within_3m) / count()) AS rate_3m,
    if(count() = 0, NULL, sum(within_5m) / count()) AS rate_5m,
    avg(response_seconds) AS avg_response_seconds,
    toUInt8(countIf(status = 'open') = 0) AS is_final
FROM {database}.inquiries FINAL
GROUP BY shop_id, minute;

CREATE OR REPLACE VIEW {database}.agent_minutely AS
SELECT
    shop_id,
    agent_id,
    toDateTime64(toStartOfMinute(effective_opened_at), 3, 'UTC') AS minute,
    count() AS inquiries,
    countIf(answered_at IS NOT NULL) AS answered,
    if(count() = 0, NULL, sum(within_30s) / count()) AS rate_30s,
    if(count() = 0, NULL, sum(within_3m) / count()) AS rate_3m,
    if(count() = 0, NULL, sum(within_5m) / count()) AS rate_5m,
    avg(response_seconds) AS avg_response_seconds,
    toUInt8(countIf(status = 'open') = 0) AS is_final
FROM {database}.inquiries FINAL
GROUP BY shop_id, agent_id, minute;
