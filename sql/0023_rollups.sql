-- 0023: exact rollups of shop_daily, agent_daily, shop_minutely and agent_minutely, and
-- the hour tier shop_hourly and agent_hourly (docs/analysts.md "Rollups"). Rows are
-- corrected in place (ReplacingMergeTree), so a rollup cannot be a sum of inserts. Instead:
--   * every insert into a fact table marks the periods it can change (the materialized
--     views below; a day per shop for the daily views, an hour per shop for the minutely
--     and hourly ones): a rollup_state row with fresh = 0, versioned by the insert's time;
--   * a refresher (the worker every rollups.refresh_seconds, or `kefu db rollup`) stores
--     the FINAL computation (the *_final views, the round-1 text) of such periods in the
--     *_rollup tables, stamped with the time it started, then a rollup_state row with
--     fresh = 1 versioned by that same time (since 0029 the *_rollup tables are versioned
--     by that stamp too, so a merge keeps the refresh rollup_state calls fresh);
--   * the views read a period from its rollup when its newest state is fresh, and compute
--     every other period with FINAL at read time.
-- A mark is stamped while its INSERT runs, before that insert's rows can be read, and a
-- refresh is stamped rollups.settle_seconds before it started (sinks/rollups.py). So a
-- mark stamped before a refresh's stamp comes from an insert that began at least the
-- settle time before the refresh, whose rows it read unless that insert took longer, and
-- a mark stamped after it outranks it: while inserts take less than the settle time, the
-- views equal the FINAL computation at every moment, fresh or not.
-- What changes the *_final views' results without an insert (settings views re-created
-- with other settings, a later migration) marks every period (sinks/rollups.py).
-- The *_final views read FINAL with the skipping indexes of 0024 in their fast mode
-- (use_skip_indexes_if_final_exact_mode = 0): the exact mode re-reads every granule whose
-- key range meets a selected one, which for these sort keys is every granule. The fast
-- mode is exact here because every version of an inquiry or rating carries the same
-- business_date and effective_opened_at (functions of opened_at or occurred_at, in the
-- sort key); complaints, whose day may change between deliveries, have no such index.

CREATE TABLE IF NOT EXISTS {database}.rollup_state
(
    view_name  LowCardinality(String),
    shop_id    String,
    period     DateTime('UTC'),
    changed_at DateTime64(6, 'UTC'),
    fresh      UInt8
)
ENGINE = ReplacingMergeTree(changed_at)
ORDER BY (view_name, shop_id, period);

-- The marks. Inquiries change their day and the hour of their effective_opened_at;
-- buyer-days their day and, through sales counted on an order's last converted buyer-day
-- (72 h at most), the three days either side; replies their shop-local day (a day either
-- side of UTC covers every zone); a complaint its old and its new day (its latest
-- delivery wins).
CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_inquiries
TO {database}.rollup_state AS
SELECT view_name, shop_id, period, now64(6, 'UTC') AS changed_at, toUInt8(0) AS fresh
FROM {database}.inquiries
ARRAY JOIN
    [toDateTime(business_date, 'UTC'), toStartOfHour(toDateTime(effective_opened_at, 'UTC'))]
        AS periods,
    [['shop_daily', 'agent_daily'],
     ['shop_minutely', 'agent_minutely', 'shop_hourly', 'agent_hourly']] AS tiers
ARRAY JOIN tiers AS view_name
GROUP BY view_name, shop_id, periods AS period;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_buyer_days
TO {database}.rollup_state AS
SELECT view_name, shop_id, toDateTime(business_date + shift, 'UTC') AS period,
    now64(6, 'UTC') AS changed_at, toUInt8(0) AS fresh
FROM {database}.buyer_days
ARRAY JOIN [-3, -2, -1, 0, 1, 2, 3] AS shift
ARRAY JOIN ['shop_daily', 'agent_daily'] AS view_name
GROUP BY view_name, shop_id, period;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_ratings
TO {database}.rollup_state AS
SELECT view_name, shop_id, toDateTime(business_date, 'UTC') AS period,
    now64(6, 'UTC') AS changed_at, toUInt8(0) AS fresh
FROM {database}.ratings
ARRAY JOIN ['shop_daily', 'agent_daily'] AS view_name
GROUP BY view_name, shop_id, period;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_replies
TO {database}.rollup_state AS
SELECT 'agent_daily' AS view_name, shop_id,
    toDateTime(toDate(occurred_at, 'UTC') + shift, 'UTC') AS period,
    now64(6, 'UTC') AS changed_at, toUInt8(0) AS fresh
FROM {database}.chat_messages
ARRAY JOIN [-1, 0, 1] AS shift
WHERE sender = 'agent'
GROUP BY view_name, shop_id, period;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_qc_findings
TO {database}.rollup_state AS
SELECT 'agent_daily' AS view_name, shop_id, toDateTime(business_date, 'UTC') AS period,
    now64(6, 'UTC') AS changed_at, toUInt8(0) AS fresh
FROM {database}.qc_findings
GROUP BY view_name, shop_id, period;

-- Read through a view, the complaints table is the whole table (the materialized view
-- itself sees only the inserted block), so the previous delivery's day is found; the
-- block's own day is marked too (on a cluster the new row may not be readable yet).
CREATE OR REPLACE VIEW {database}.complaint_days AS
SELECT shop_id, complaint_id, business_date FROM {database}.complaints;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_complaints
TO {database}.rollup_state AS
SELECT view_name, c.shop_id AS shop_id, toDateTime(day, 'UTC') AS period,
    now64(6, 'UTC') AS changed_at, toUInt8(0) AS fresh
FROM {database}.complaints AS c
LEFT JOIN {database}.complaint_days AS d
    ON d.shop_id = c.shop_id AND d.complaint_id = c.complaint_id
ARRAY JOIN [c.business_date, d.business_date] AS day
ARRAY JOIN ['shop_daily', 'agent_daily'] AS view_name
WHERE day > toDate(0)
GROUP BY view_name, shop_id, period;

-- A store migrated from an earlier release: its periods are marked once, now.
INSERT INTO {database}.rollup_state
SELECT view_name, shop_id, toDateTime(day + shift, 'UTC'), now64(6, 'UTC'), 0
FROM
(
    SELECT DISTINCT shop_id, business_date AS day FROM {database}.inquiries
    UNION DISTINCT
    SELECT DISTINCT shop_id, business_date FROM {database}.buyer_days
    UNION DISTINCT
    SELECT DISTINCT shop_id, business_date FROM {database}.ratings
    UNION DISTINCT
    SELECT DISTINCT shop_id, business_date FROM {database}.complaints
    UNION DISTINCT
    SELECT DISTINCT shop_id, business_date FROM {database}.qc_findings
    UNION DISTINCT
    SELECT DISTINCT shop_id, toDate(occurred_at, 'UTC') FROM {database}.chat_messages
    WHERE sender = 'agent'
)
ARRAY JOIN [-3, -2, -1, 0, 1, 2, 3] AS shift
ARRAY JOIN ['shop_daily', 'agent_daily'] AS view_name;

INSERT INTO {database}.rollup_state
SELECT view_name, shop_id, hour, now64(6, 'UTC'), 0
FROM
(
    SELECT DISTINCT shop_id, toStartOfHour(toDateTime(effective_opened_at, 'UTC')) AS hour
    FROM {database}.inquiries
)
ARRAY JOIN ['shop_minutely', 'agent_minutely', 'shop_hourly', 'agent_hourly'] AS view_name;

-- Periods an insert has changed since their last refresh, with the newest such insert:
-- how far the refresher is behind, and what the views compute at read time.
CREATE OR REPLACE VIEW {database}.rollup_dirty AS
SELECT view_name, shop_id, period, changed_at
FROM {database}.rollup_state FINAL
WHERE fresh = 0;

-- shop_minutely: the FINAL computation (the reference the rollup must equal)
CREATE OR REPLACE VIEW {database}.shop_minutely_final AS
SELECT
    shop_id,
    toStartOfMinute(effective_opened_at) AS minute,
    count() AS inquiries,
    countIf(answered_at IS NOT NULL) AS answered,
    if(count() = 0, NULL, sum(within_30s) / count()) AS rate_30s,
    if(count() = 0, NULL, sum(within_3m) / count()) AS rate_3m,
    if(count() = 0, NULL, sum(within_5m) / count()) AS rate_5m,
    avg(response_seconds) AS avg_response_seconds,
    toUInt8(countIf(status = 'open') = 0) AS is_final
FROM {database}.inquiries FINAL
GROUP BY shop_id, minute
-- See the header: every version of a row has the same indexed day and hour.
SETTINGS use_skip_indexes_if_final_exact_mode = 0;

-- agent_minutely: the FINAL computation (the reference the rollup must equal)
CREATE OR REPLACE VIEW {database}.agent_minutely_final AS
SELECT
    shop_id,
    agent_id,
    toStartOfMinute(effective_opened_at) AS minute,
    count() AS inquiries,
    countIf(answered_at IS NOT NULL) AS answered,
    if(count() = 0, NULL, sum(within_30s) / count()) AS rate_30s,
    if(count() = 0, NULL, sum(within_3m) / count()) AS rate_3m,
    if(count() = 0, NULL, sum(within_5m) / count()) AS rate_5m,
    avg(response_seconds) AS avg_response_seconds,
    toUInt8(countIf(status = 'open') = 0) AS is_final
FROM {database}.inquiries FINAL
GROUP BY shop_id, agent_id, minute
-- See the header: every version of a row has the same indexed day and hour.
SETTINGS use_skip_indexes_if_final_exact_mode = 0;

-- shop_daily: the FINAL computation (the reference the rollup must equal)
CREATE OR REPLACE VIEW {database}.shop_daily_final AS
SELECT
    shop_id,
    business_date,
    sum(n_inquiries) AS inquiries,
    sum(n_answered) AS answered,
    sum(n_buyers) AS consulting_buyers,
    if(inquiries = 0, NULL, sum(n_30s) / inquiries) AS rate_30s,
    if(inquiries = 0, NULL, sum(n_3m) / inquiries) AS rate_3m,
    if(inquiries = 0, NULL, sum(n_5m) / inquiries) AS rate_5m,
    if(sum(n_responded) = 0, NULL, sum(s_response) / sum(n_responded)) AS avg_response_seconds,
    max(p50) AS p50_response_seconds,
    max(p90) AS p90_response_seconds,
    if(sum(n_first) = 0, NULL, sum(s_first) / sum(n_first)) AS avg_first_response_seconds,
    if(consulting_buyers = 0, NULL,
       (toInt64(consulting_buyers) - toInt64(sum(n_bmiss_30s))) / consulting_buyers) AS buyer_rate_30s,
    if(consulting_buyers = 0, NULL,
       (toInt64(consulting_buyers) - toInt64(sum(n_bmiss_3m))) / consulting_buyers) AS buyer_rate_3m,
    if(consulting_buyers = 0, NULL,
       (toInt64(consulting_buyers) - toInt64(sum(n_bmiss_5m))) / consulting_buyers) AS buyer_rate_5m,
    sum(n_converted) AS converted_buyers,
    if(consulting_buyers = 0, NULL, converted_buyers / consulting_buyers) AS conversion_rate,
    sum(s_amount) AS converted_amount,
    if(sum(n_orders) = 0, NULL, toFloat64(converted_amount) / sum(n_orders)) AS avg_order_value,
    sum(n_ratings) AS ratings,
    if(ratings = 0, NULL, sum(n_positive) / ratings) AS positive_rating_rate,
    sum(n_complaints) AS complaints,
    if(consulting_buyers = 0, NULL, complaints / consulting_buyers) AS complaint_rate,
    toUInt8(sum(n_open) = 0) AS is_final,
    -- scope 8_23
    sum(n_inq_8_23) AS inquiries_8_23,
    sum(n_buyers_8_23) AS consulting_buyers_8_23,
    if(inquiries_8_23 = 0, NULL, sum(n_30s_8_23) / inquiries_8_23) AS rate_30s_8_23,
    if(inquiries_8_23 = 0, NULL, sum(n_3m_8_23) / inquiries_8_23) AS rate_3m_8_23,
    if(inquiries_8_23 = 0, NULL, sum(n_5m_8_23) / inquiries_8_23) AS rate_5m_8_23,
    if(sum(n_raw_8_23) = 0, NULL, sum(s_raw_8_23) / sum(n_raw_8_23)) AS avg_response_seconds_8_23,
    if(consulting_buyers_8_23 = 0, NULL,
       (toInt64(consulting_buyers_8_23) - toInt64(sum(n_bmiss_30s_8_23))) / consulting_buyers_8_23) AS buyer_rate_30s_8_23,
    if(consulting_buyers_8_23 = 0, NULL,
       (toInt64(consulting_buyers_8_23) - toInt64(sum(n_bmiss_3m_8_23))) / consulting_buyers_8_23) AS buyer_rate_3m_8_23,
    if(consulting_buyers_8_23 = 0, NULL,
       (toInt64(consulting_buyers_8_23) - toInt64(sum(n_bmiss_5m_8_23))) / consulting_buyers_8_23) AS buyer_rate_5m_8_23,
    -- scope all_day
    sum(n_buyers_all) AS consulting_buyers_all_day,
    if(inquiries = 0, NULL, sum(n_30s_all) / inquiries) AS rate_30s_all_day,
    if(inquiries = 0, NULL, sum(n_3m_all) / inquiries) AS rate_3m_all_day,
    if(inquiries = 0, NULL, sum(n_5m_all) / inquiries) AS rate_5m_all_day,
    if(sum(n_raw_all) = 0, NULL, sum(s_raw_all) / sum(n_raw_all)) AS avg_response_seconds_all_day,
    if(consulting_buyers_all_day = 0, NULL,
       (toInt64(consulting_buyers_all_day) - toInt64(sum(n_bmiss_30s_all))) / consulting_buyers_all_day) AS buyer_rate_30s_all_day,
    if(consulting_buyers_all_day = 0, NULL,
       (toInt64(consulting_buyers_all_day) - toInt64(sum(n_bmiss_3m_all))) / consulting_buyers_all_day) AS buyer_rate_3m_all_day,
    if(consulting_buyers_all_day = 0, NULL,
       (toInt64(consulting_buyers_all_day) - toInt64(sum(n_bmiss_5m_all))) / consulting_buyers_all_day) AS buyer_rate_5m_all_day
FROM
(
    -- inquiries: service scope, then 8_23, then all_day
    SELECT
        shop_id, business_date,
        count() AS n_inquiries, countIf(answered_at IS NOT NULL) AS n_answered, countIf(status = 'open') AS n_open,
        toUInt64(sum(within_30s)) AS n_30s, toUInt64(sum(within_3m)) AS n_3m, toUInt64(sum(within_5m)) AS n_5m,
        sum(ifNull(response_seconds, 0)) AS s_response, count(response_seconds) AS n_responded,
        quantileExactInclusive(0.5)(response_seconds) AS p50, quantileExactInclusive(0.9)(response_seconds) AS p90,
        countIf(in_8_23 = 1) AS n_inq_8_23,
        countIf(in_8_23 = 1 AND ifNull(raw_response_seconds <= 30, 0)) AS n_30s_8_23,
        countIf(in_8_23 = 1 AND ifNull(raw_response_seconds <= 180, 0)) AS n_3m_8_23,
        countIf(in_8_23 = 1 AND ifNull(raw_response_seconds <= 300, 0)) AS n_5m_8_23,
        sumIf(ifNull(raw_response_seconds, 0), in_8_23 = 1) AS s_raw_8_23,
        countIf(in_8_23 = 1 AND raw_response_seconds IS NOT NULL) AS n_raw_8_23,
        uniqExactIf(buyer_id, in_8_23 = 1) AS n_buyers_8_23,
        uniqExactIf(buyer_id, in_8_23 = 1 AND NOT ifNull(raw_response_seconds <= 30, 0)) AS n_bmiss_30s_8_23,
        uniqExactIf(buyer_id, in_8_23 = 1 AND NOT ifNull(raw_response_seconds <= 180, 0)) AS n_bmiss_3m_8_23,
        uniqExactIf(buyer_id, in_8_23 = 1 AND NOT ifNull(raw_response_seconds <= 300, 0)) AS n_bmiss_5m_8_23,
        countIf(ifNull(raw_response_seconds <= 30, 0)) AS n_30s_all,
        countIf(ifNull(raw_response_seconds <= 180, 0)) AS n_3m_all,
        countIf(ifNull(raw_response_seconds <= 300, 0)) AS n_5m_all,
        sum(ifNull(raw_response_seconds, 0)) AS s_raw_all, count(raw_response_seconds) AS n_raw_all,
        uniqExact(buyer_id) AS n_buyers_all,
        uniqExactIf(buyer_id, NOT ifNull(raw_response_seconds <= 30, 0)) AS n_bmiss_30s_all,
        uniqExactIf(buyer_id, NOT ifNull(raw_response_seconds <= 180, 0)) AS n_bmiss_3m_all,
        uniqExactIf(buyer_id, NOT ifNull(raw_response_seconds <= 300, 0)) AS n_bmiss_5m_all,
        0 AS n_buyers,
        uniqExactIf(buyer_id, within_30s = 0) AS n_bmiss_30s,
        uniqExactIf(buyer_id, within_3m = 0) AS n_bmiss_3m,
        uniqExactIf(buyer_id, within_5m = 0) AS n_bmiss_5m,
        0 AS n_converted, toDecimal128(0, 2) AS s_amount, 0 AS n_orders,
        0 AS n_first, 0 AS s_first,
        0 AS n_ratings, 0 AS n_positive, 0 AS n_complaints
    FROM {database}.inquiries FINAL
    GROUP BY shop_id, business_date

    UNION ALL

    -- consulting buyer-days and their conversions
    SELECT
        shop_id, business_date,
        0 AS n_inquiries, 0 AS n_answered, 0 AS n_open, 0 AS n_30s, 0 AS n_3m, 0 AS n_5m,
        0 AS s_response, 0 AS n_responded, NULL AS p50, NULL AS p90,
        0 AS n_inq_8_23, 0 AS n_30s_8_23, 0 AS n_3m_8_23, 0 AS n_5m_8_23, 0 AS s_raw_8_23, 0 AS n_raw_8_23,
        0 AS n_buyers_8_23, 0 AS n_bmiss_30s_8_23, 0 AS n_bmiss_3m_8_23, 0 AS n_bmiss_5m_8_23,
        0 AS n_30s_all, 0 AS n_3m_all, 0 AS n_5m_all, 0 AS s_raw_all, 0 AS n_raw_all,
        0 AS n_buyers_all, 0 AS n_bmiss_30s_all, 0 AS n_bmiss_3m_all, 0 AS n_bmiss_5m_all,
        count() AS n_buyers, 0 AS n_bmiss_30s, 0 AS n_bmiss_3m, 0 AS n_bmiss_5m,
        countIf(converted = 1) AS n_converted, toDecimal128(0, 2) AS s_amount, 0 AS n_orders,
        0 AS n_first, 0 AS s_first,
        0 AS n_ratings, 0 AS n_positive, 0 AS n_complaints
    FROM {database}.buyer_days FINAL
    GROUP BY shop_id, business_date

    UNION ALL

    -- sales: each order once, on the last buyer-day it converts
    SELECT
        shop_id, business_date,
        0 AS n_inquiries, 0 AS n_answered, 0 AS n_open, 0 AS n_30s, 0 AS n_3m, 0 AS n_5m,
        0 AS s_response, 0 AS n_responded, NULL AS p50, NULL AS p90,
        0 AS n_inq_8_23, 0 AS n_30s_8_23, 0 AS n_3m_8_23, 0 AS n_5m_8_23, 0 AS s_raw_8_23, 0 AS n_raw_8_23,
        0 AS n_buyers_8_23, 0 AS n_bmiss_30s_8_23, 0 AS n_bmiss_3m_8_23, 0 AS n_bmiss_5m_8_23,
        0 AS n_30s_all, 0 AS n_3m_all, 0 AS n_5m_all, 0 AS s_raw_all, 0 AS n_raw_all,
        0 AS n_buyers_all, 0 AS n_bmiss_30s_all, 0 AS n_bmiss_3m_all, 0 AS n_bmiss_5m_all,
        0 AS n_buyers, 0 AS n_bmiss_30s, 0 AS n_bmiss_3m, 0 AS n_bmiss_5m,
        0 AS n_converted, sum(ifNull(order_amount, toDecimal64(0, 2))) AS s_amount, count() AS n_orders,
        0 AS n_first, 0 AS s_first,
        0 AS n_ratings, 0 AS n_positive, 0 AS n_complaints
FROM
(
    SELECT * FROM {database}.buyer_days FINAL
    WHERE converted = 1
    ORDER BY shop_id, order_id, business_date DESC
    LIMIT 1 BY shop_id, order_id
)
    GROUP BY shop_id, business_date

    UNION ALL

    -- first inquiry of each buyer-day: its response time
    SELECT
        shop_id, business_date,
        0 AS n_inquiries, 0 AS n_answered, 0 AS n_open, 0 AS n_30s, 0 AS n_3m, 0 AS n_5m,
        0 AS s_response, 0 AS n_responded, NULL AS p50, NULL AS p90,
        0 AS n_inq_8_23, 0 AS n_30s_8_23, 0 AS n_3m_8_23, 0 AS n_5m_8_23, 0 AS s_raw_8_23, 0 AS n_raw_8_23,
        0 AS n_buyers_8_23, 0 AS n_bmiss_30s_8_23, 0 AS n_bmiss_3m_8_23, 0 AS n_bmiss_5m_8_23,
        0 AS n_30s_all, 0 AS n_3m_all, 0 AS n_5m_all, 0 AS s_raw_all, 0 AS n_raw_all,
        0 AS n_buyers_all, 0 AS n_bmiss_30s_all, 0 AS n_bmiss_3m_all, 0 AS n_bmiss_5m_all,
        0 AS n_buyers, 0 AS n_bmiss_30s, 0 AS n_bmiss_3m, 0 AS n_bmiss_5m,
        0 AS n_converted, toDecimal128(0, 2) AS s_amount, 0 AS n_orders,
        count(first_response) AS n_first, sum(ifNull(first_response, 0)) AS s_first,
        0 AS n_ratings, 0 AS n_positive, 0 AS n_complaints
    FROM
    (
        SELECT
            shop_id, business_date, buyer_id,
            argMin(tuple(response_seconds), (opened_at, inquiry_id)).1 AS first_response
        FROM {database}.inquiries FINAL
        GROUP BY shop_id, business_date, buyer_id
    )
    GROUP BY shop_id, business_date

    UNION ALL

    SELECT
        shop_id, business_date,
        0 AS n_inquiries, 0 AS n_answered, 0 AS n_open, 0 AS n_30s, 0 AS n_3m, 0 AS n_5m,
        0 AS s_response, 0 AS n_responded, NULL AS p50, NULL AS p90,
        0 AS n_inq_8_23, 0 AS n_30s_8_23, 0 AS n_3m_8_23, 0 AS n_5m_8_23, 0 AS s_raw_8_23, 0 AS n_raw_8_23,
        0 AS n_buyers_8_23, 0 AS n_bmiss_30s_8_23, 0 AS n_bmiss_3m_8_23, 0 AS n_bmiss_5m_8_23,
        0 AS n_30s_all, 0 AS n_3m_all, 0 AS n_5m_all, 0 AS s_raw_all, 0 AS n_raw_all,
        0 AS n_buyers_all, 0 AS n_bmiss_30s_all, 0 AS n_bmiss_3m_all, 0 AS n_bmiss_5m_all,
        0 AS n_buyers, 0 AS n_bmiss_30s, 0 AS n_bmiss_3m, 0 AS n_bmiss_5m,
        0 AS n_converted, toDecimal128(0, 2) AS s_amount, 0 AS n_orders,
        0 AS n_first, 0 AS s_first,
        count() AS n_ratings, countIf(score >= 4) AS n_positive, 0 AS n_complaints
    FROM {database}.ratings FINAL
    GROUP BY shop_id, business_date

    UNION ALL

    SELECT
        shop_id, business_date,
        0 AS n_inquiries, 0 AS n_answered, 0 AS n_open, 0 AS n_30s, 0 AS n_3m, 0 AS n_5m,
        0 AS s_response, 0 AS n_responded, NULL AS p50, NULL AS p90,
        0 AS n_inq_8_23, 0 AS n_30s_8_23, 0 AS n_3m_8_23, 0 AS n_5m_8_23, 0 AS s_raw_8_23, 0 AS n_raw_8_23,
        0 AS n_buyers_8_23, 0 AS n_bmiss_30s_8_23, 0 AS n_bmiss_3m_8_23, 0 AS n_bmiss_5m_8_23,
        0 AS n_30s_all, 0 AS n_3m_all, 0 AS n_5m_all, 0 AS s_raw_all, 0 AS n_raw_all,
        0 AS n_buyers_all, 0 AS n_bmiss_30s_all, 0 AS n_bmiss_3m_all, 0 AS n_bmiss_5m_all,
        0 AS n_buyers, 0 AS n_bmiss_30s, 0 AS n_bmiss_3m, 0 AS n_bmiss_5m,
        0 AS n_converted, toDecimal128(0, 2) AS s_amount, 0 AS n_orders,
        0 AS n_first, 0 AS s_first,
        0 AS n_ratings, 0 AS n_positive, count() AS n_complaints
    FROM {database}.complaints FINAL
    GROUP BY shop_id, business_date
)
GROUP BY shop_id, business_date
-- See the header: every version of a row has the same indexed day and hour.
SETTINGS use_skip_indexes_if_final_exact_mode = 0;

-- agent_daily: the FINAL computation (the reference the rollup must equal)
CREATE OR REPLACE VIEW {database}.agent_daily_final AS
SELECT
    d.*,
    ifNull(q.replies, 0) AS replies,
    ifNull(q.qc_findings, 0) AS qc_findings,
    q.qc_score AS qc_score
FROM
(
    SELECT
        shop_id,
        agent_id,
        business_date,
        sum(n_inquiries) AS inquiries,
        sum(n_answered) AS answered,
        sum(n_buyers) AS consulting_buyers,
        if(inquiries = 0, NULL, sum(n_30s) / inquiries) AS rate_30s,
        if(inquiries = 0, NULL, sum(n_3m) / inquiries) AS rate_3m,
        if(inquiries = 0, NULL, sum(n_5m) / inquiries) AS rate_5m,
        if(sum(n_responded) = 0, NULL, sum(s_response) / sum(n_responded)) AS avg_response_seconds,
        max(p50) AS p50_response_seconds,
        max(p90) AS p90_response_seconds,
        if(consulting_buyers = 0, NULL,
           (toInt64(consulting_buyers) - toInt64(sum(n_bmiss_30s))) / consulting_buyers) AS buyer_rate_30s,
        if(consulting_buyers = 0, NULL,
           (toInt64(consulting_buyers) - toInt64(sum(n_bmiss_3m))) / consulting_buyers) AS buyer_rate_3m,
        if(consulting_buyers = 0, NULL,
           (toInt64(consulting_buyers) - toInt64(sum(n_bmiss_5m))) / consulting_buyers) AS buyer_rate_5m,
        sum(n_converted) AS converted_buyers,
        if(consulting_buyers = 0, NULL, converted_buyers / consulting_buyers) AS conversion_rate,
        sum(s_amount) AS converted_amount,
        if(sum(n_orders) = 0, NULL, toFloat64(converted_amount) / sum(n_orders)) AS avg_order_value,
        sum(n_ratings) AS ratings,
        if(ratings = 0, NULL, sum(n_positive) / ratings) AS positive_rating_rate,
        sum(n_complaints) AS complaints,
        if(consulting_buyers = 0, NULL, complaints / consulting_buyers) AS complaint_rate,
        toUInt8(sum(n_open) = 0) AS is_final,
        -- scope 8_23
        sum(n_inq_8_23) AS inquiries_8_23,
        sum(n_buyers_8_23) AS consulting_buyers_8_23,
        if(inquiries_8_23 = 0, NULL, sum(n_30s_8_23) / inquiries_8_23) AS rate_30s_8_23,
        if(inquiries_8_23 = 0, NULL, sum(n_3m_8_23) / inquiries_8_23) AS rate_3m_8_23,
        if(inquiries_8_23 = 0, NULL, sum(n_5m_8_23) / inquiries_8_23) AS rate_5m_8_23,
        if(sum(n_raw_8_23) = 0, NULL, sum(s_raw_8_23) / sum(n_raw_8_23)) AS avg_response_seconds_8_23,
        if(consulting_buyers_8_23 = 0, NULL,
           (toInt64(consulting_buyers_8_23) - toInt64(sum(n_bmiss_30s_8_23))) / consulting_buyers_8_23) AS buyer_rate_30s_8_23,
        if(consulting_buyers_8_23 = 0, NULL,
           (toInt64(consulting_buyers_8_23) - toInt64(sum(n_bmiss_3m_8_23))) / consulting_buyers_8_23) AS buyer_rate_3m_8_23,
        if(consulting_buyers_8_23 = 0, NULL,
           (toInt64(consulting_buyers_8_23) - toInt64(sum(n_bmiss_5m_8_23))) / consulting_buyers_8_23) AS buyer_rate_5m_8_23,
        -- scope all_day
        sum(n_buyers) AS consulting_buyers_all_day,
        if(inquiries = 0, NULL, sum(n_30s_all) / inquiries) AS rate_30s_all_day,
        if(inquiries = 0, NULL, sum(n_3m_all) / inquiries) AS rate_3m_all_day,
        if(inquiries = 0, NULL, sum(n_5m_all) / inquiries) AS rate_5m_all_day,
        if(sum(n_raw_all) = 0, NULL, sum(s_raw_all) / sum(n_raw_all)) AS avg_response_seconds_all_day,
        if(consulting_buyers = 0, NULL,
           (toInt64(consulting_buyers) - toInt64(sum(n_bmiss_30s_all))) / consulting_buyers) AS buyer_rate_30s_all_day,
        if(consulting_buyers = 0, NULL,
           (toInt64(consulting_buyers) - toInt64(sum(n_bmiss_3m_all))) / consulting_buyers) AS buyer_rate_3m_all_day,
        if(consulting_buyers = 0, NULL,
           (toInt64(consulting_buyers) - toInt64(sum(n_bmiss_5m_all))) / consulting_buyers) AS buyer_rate_5m_all_day
    FROM
    (
        -- the agent's inquiries: service scope with its consulting buyer-days, then 8_23, then all_day
        SELECT
            shop_id, agent_id, business_date,
            count() AS n_inquiries, countIf(answered_at IS NOT NULL) AS n_answered, countIf(status = 'open') AS n_open,
            toUInt64(sum(within_30s)) AS n_30s, toUInt64(sum(within_3m)) AS n_3m, toUInt64(sum(within_5m)) AS n_5m,
            sum(ifNull(response_seconds, 0)) AS s_response, count(response_seconds) AS n_responded,
            quantileExactInclusive(0.5)(response_seconds) AS p50, quantileExactInclusive(0.9)(response_seconds) AS p90,
            uniqExact(buyer_id) AS n_buyers,
            uniqExactIf(buyer_id, within_30s = 0) AS n_bmiss_30s,
            uniqExactIf(buyer_id, within_3m = 0) AS n_bmiss_3m,
            uniqExactIf(buyer_id, within_5m = 0) AS n_bmiss_5m,
            countIf(in_8_23 = 1) AS n_inq_8_23,
            countIf(in_8_23 = 1 AND ifNull(raw_response_seconds <= 30, 0)) AS n_30s_8_23,
            countIf(in_8_23 = 1 AND ifNull(raw_response_seconds <= 180, 0)) AS n_3m_8_23,
            countIf(in_8_23 = 1 AND ifNull(raw_response_seconds <= 300, 0)) AS n_5m_8_23,
            sumIf(ifNull(raw_response_seconds, 0), in_8_23 = 1) AS s_raw_8_23,
            countIf(in_8_23 = 1 AND raw_response_seconds IS NOT NULL) AS n_raw_8_23,
            uniqExactIf(buyer_id, in_8_23 = 1) AS n_buyers_8_23,
            uniqExactIf(buyer_id, in_8_23 = 1 AND NOT ifNull(raw_response_seconds <= 30, 0)) AS n_bmiss_30s_8_23,
            uniqExactIf(buyer_id, in_8_23 = 1 AND NOT ifNull(raw_response_seconds <= 180, 0)) AS n_bmiss_3m_8_23,
            uniqExactIf(buyer_id, in_8_23 = 1 AND NOT ifNull(raw_response_seconds <= 300, 0)) AS n_bmiss_5m_8_23,
            countIf(ifNull(raw_response_seconds <= 30, 0)) AS n_30s_all,
            countIf(ifNull(raw_response_seconds <= 180, 0)) AS n_3m_all,
            countIf(ifNull(raw_response_seconds <= 300, 0)) AS n_5m_all,
            sum(ifNull(raw_response_seconds, 0)) AS s_raw_all, count(raw_response_seconds) AS n_raw_all,
            uniqExactIf(buyer_id, NOT ifNull(raw_response_seconds <= 30, 0)) AS n_bmiss_30s_all,
            uniqExactIf(buyer_id, NOT ifNull(raw_response_seconds <= 180, 0)) AS n_bmiss_3m_all,
            uniqExactIf(buyer_id, NOT ifNull(raw_response_seconds <= 300, 0)) AS n_bmiss_5m_all,
            0 AS n_converted, toDecimal128(0, 2) AS s_amount, 0 AS n_orders,
            0 AS n_ratings, 0 AS n_positive, 0 AS n_complaints
        FROM {database}.inquiries FINAL
        GROUP BY shop_id, agent_id, business_date

        UNION ALL

        -- conversions: the agent's consulting buyer-days that converted, whoever converted them
        SELECT
            a.shop_id AS shop_id, a.agent_id AS agent_id, a.business_date AS business_date,
            0 AS n_inquiries, 0 AS n_answered, 0 AS n_open, 0 AS n_30s, 0 AS n_3m, 0 AS n_5m,
            0 AS s_response, 0 AS n_responded, NULL AS p50, NULL AS p90,
            0 AS n_buyers, 0 AS n_bmiss_30s, 0 AS n_bmiss_3m, 0 AS n_bmiss_5m,
            0 AS n_inq_8_23, 0 AS n_30s_8_23, 0 AS n_3m_8_23, 0 AS n_5m_8_23, 0 AS s_raw_8_23, 0 AS n_raw_8_23,
            0 AS n_buyers_8_23, 0 AS n_bmiss_30s_8_23, 0 AS n_bmiss_3m_8_23, 0 AS n_bmiss_5m_8_23,
            0 AS n_30s_all, 0 AS n_3m_all, 0 AS n_5m_all, 0 AS s_raw_all, 0 AS n_raw_all,
            0 AS n_bmiss_30s_all, 0 AS n_bmiss_3m_all, 0 AS n_bmiss_5m_all,
            count() AS n_converted, toDecimal128(0, 2) AS s_amount, 0 AS n_orders,
            0 AS n_ratings, 0 AS n_positive, 0 AS n_complaints
        FROM (SELECT DISTINCT shop_id, agent_id, business_date, buyer_id FROM {database}.inquiries FINAL) AS a
        INNER JOIN (SELECT shop_id, business_date, buyer_id FROM {database}.buyer_days FINAL WHERE converted = 1) AS b
            ON b.shop_id = a.shop_id AND b.business_date = a.business_date AND b.buyer_id = a.buyer_id
        GROUP BY shop_id, agent_id, business_date

        UNION ALL

        -- sales: each order once, on the last buyer-day it converts, for its conversion_agent_id
        SELECT
            shop_id, conversion_agent_id AS agent_id, business_date,
            0 AS n_inquiries, 0 AS n_answered, 0 AS n_open, 0 AS n_30s, 0 AS n_3m, 0 AS n_5m,
            0 AS s_response, 0 AS n_responded, NULL AS p50, NULL AS p90,
            0 AS n_buyers, 0 AS n_bmiss_30s, 0 AS n_bmiss_3m, 0 AS n_bmiss_5m,
            0 AS n_inq_8_23, 0 AS n_30s_8_23, 0 AS n_3m_8_23, 0 AS n_5m_8_23, 0 AS s_raw_8_23, 0 AS n_raw_8_23,
            0 AS n_buyers_8_23, 0 AS n_bmiss_30s_8_23, 0 AS n_bmiss_3m_8_23, 0 AS n_bmiss_5m_8_23,
            0 AS n_30s_all, 0 AS n_3m_all, 0 AS n_5m_all, 0 AS s_raw_all, 0 AS n_raw_all,
            0 AS n_bmiss_30s_all, 0 AS n_bmiss_3m_all, 0 AS n_bmiss_5m_all,
            0 AS n_converted, sum(ifNull(order_amount, toDecimal64(0, 2))) AS s_amount, count() AS n_orders,
            0 AS n_ratings, 0 AS n_positive, 0 AS n_complaints
    FROM
    (
        SELECT * FROM {database}.buyer_days FINAL
        WHERE converted = 1
        ORDER BY shop_id, order_id, business_date DESC
        LIMIT 1 BY shop_id, order_id
    )
        GROUP BY shop_id, agent_id, business_date

        UNION ALL

        SELECT
            shop_id, agent_id, business_date,
            0 AS n_inquiries, 0 AS n_answered, 0 AS n_open, 0 AS n_30s, 0 AS n_3m, 0 AS n_5m,
            0 AS s_response, 0 AS n_responded, NULL AS p50, NULL AS p90,
            0 AS n_buyers, 0 AS n_bmiss_30s, 0 AS n_bmiss_3m, 0 AS n_bmiss_5m,
            0 AS n_inq_8_23, 0 AS n_30s_8_23, 0 AS n_3m_8_23, 0 AS n_5m_8_23, 0 AS s_raw_8_23, 0 AS n_raw_8_23,
            0 AS n_buyers_8_23, 0 AS n_bmiss_30s_8_23, 0 AS n_bmiss_3m_8_23, 0 AS n_bmiss_5m_8_23,
            0 AS n_30s_all, 0 AS n_3m_all, 0 AS n_5m_all, 0 AS s_raw_all, 0 AS n_raw_all,
            0 AS n_bmiss_30s_all, 0 AS n_bmiss_3m_all, 0 AS n_bmiss_5m_all,
            0 AS n_converted, toDecimal128(0, 2) AS s_amount, 0 AS n_orders,
            count() AS n_ratings, countIf(score >= 4) AS n_positive, 0 AS n_complaints
        FROM {database}.ratings FINAL
        GROUP BY shop_id, agent_id, business_date

        UNION ALL

        SELECT
            shop_id, agent_id, business_date,
            0 AS n_inquiries, 0 AS n_answered, 0 AS n_open, 0 AS n_30s, 0 AS n_3m, 0 AS n_5m,
            0 AS s_response, 0 AS n_responded, NULL AS p50, NULL AS p90,
            0 AS n_buyers, 0 AS n_bmiss_30s, 0 AS n_bmiss_3m, 0 AS n_bmiss_5m,
            0 AS n_inq_8_23, 0 AS n_30s_8_23, 0 AS n_3m_8_23, 0 AS n_5m_8_23, 0 AS s_raw_8_23, 0 AS n_raw_8_23,
            0 AS n_buyers_8_23, 0 AS n_bmiss_30s_8_23, 0 AS n_bmiss_3m_8_23, 0 AS n_bmiss_5m_8_23,
            0 AS n_30s_all, 0 AS n_3m_all, 0 AS n_5m_all, 0 AS s_raw_all, 0 AS n_raw_all,
            0 AS n_bmiss_30s_all, 0 AS n_bmiss_3m_all, 0 AS n_bmiss_5m_all,
            0 AS n_converted, toDecimal128(0, 2) AS s_amount, 0 AS n_orders,
            0 AS n_ratings, 0 AS n_positive, count() AS n_complaints
        FROM {database}.complaints FINAL
        GROUP BY shop_id, agent_id, business_date
    )
    GROUP BY shop_id, agent_id, business_date
) AS d
LEFT JOIN {database}.agent_qc_daily AS q
    ON q.shop_id = d.shop_id AND q.agent_id = d.agent_id AND q.business_date = d.business_date
-- See the header: every version of a row has the same indexed day and hour.
SETTINGS use_skip_indexes_if_final_exact_mode = 0;

CREATE TABLE IF NOT EXISTS {database}.shop_daily_rollup
(
    shop_id                      String,
    business_date                Date,
    inquiries                    UInt64,
    answered                     UInt64,
    consulting_buyers            UInt64,
    rate_30s                     Nullable(Float64),
    rate_3m                      Nullable(Float64),
    rate_5m                      Nullable(Float64),
    avg_response_seconds         Nullable(Float64),
    p50_response_seconds         Nullable(Float64),
    p90_response_seconds         Nullable(Float64),
    avg_first_response_seconds   Nullable(Float64),
    buyer_rate_30s               Nullable(Float64),
    buyer_rate_3m                Nullable(Float64),
    buyer_rate_5m                Nullable(Float64),
    converted_buyers             UInt64,
    conversion_rate              Nullable(Float64),
    converted_amount             Decimal(38, 2),
    avg_order_value              Nullable(Float64),
    ratings                      UInt64,
    positive_rating_rate         Nullable(Float64),
    complaints                   UInt64,
    complaint_rate               Nullable(Float64),
    is_final                     UInt8,
    inquiries_8_23               UInt64,
    consulting_buyers_8_23       UInt64,
    rate_30s_8_23                Nullable(Float64),
    rate_3m_8_23                 Nullable(Float64),
    rate_5m_8_23                 Nullable(Float64),
    avg_response_seconds_8_23    Nullable(Float64),
    buyer_rate_30s_8_23          Nullable(Float64),
    buyer_rate_3m_8_23           Nullable(Float64),
    buyer_rate_5m_8_23           Nullable(Float64),
    consulting_buyers_all_day    UInt64,
    rate_30s_all_day             Nullable(Float64),
    rate_3m_all_day              Nullable(Float64),
    rate_5m_all_day              Nullable(Float64),
    avg_response_seconds_all_day Nullable(Float64),
    buyer_rate_30s_all_day       Nullable(Float64),
    buyer_rate_3m_all_day        Nullable(Float64),
    buyer_rate_5m_all_day        Nullable(Float64),
    computed_at                  DateTime64(6, 'UTC')
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(business_date)
ORDER BY (shop_id, business_date);

CREATE TABLE IF NOT EXISTS {database}.agent_daily_rollup
(
    shop_id                      String,
    agent_id                     String,
    business_date                Date,
    inquiries                    UInt64,
    answered                     UInt64,
    consulting_buyers            UInt64,
    rate_30s                     Nullable(Float64),
    rate_3m                      Nullable(Float64),
    rate_5m                      Nullable(Float64),
    avg_response_seconds         Nullable(Float64),
    p50_response_seconds         Nullable(Float64),
    p90_response_seconds         Nullable(Float64),
    buyer_rate_30s               Nullable(Float64),
    buyer_rate_3m                Nullable(Float64),
    buyer_rate_5m                Nullable(Float64),
    converted_buyers             UInt64,
    conversion_rate              Nullable(Float64),
    converted_amount             Decimal(38, 2),
    avg_order_value              Nullable(Float64),
    ratings                      UInt64,
    positive_rating_rate         Nullable(Float64),
    complaints                   UInt64,
    complaint_rate               Nullable(Float64),
    is_final                     UInt8,
    inquiries_8_23               UInt64,
    consulting_buyers_8_23       UInt64,
    rate_30s_8_23                Nullable(Float64),
    rate_3m_8_23                 Nullable(Float64),
    rate_5m_8_23                 Nullable(Float64),
    avg_response_seconds_8_23    Nullable(Float64),
    buyer_rate_30s_8_23          Nullable(Float64),
    buyer_rate_3m_8_23           Nullable(Float64),
    buyer_rate_5m_8_23           Nullable(Float64),
    consulting_buyers_all_day    UInt64,
    rate_30s_all_day             Nullable(Float64),
    rate_3m_all_day              Nullable(Float64),
    rate_5m_all_day              Nullable(Float64),
    avg_response_seconds_all_day Nullable(Float64),
    buyer_rate_30s_all_day       Nullable(Float64),
    buyer_rate_3m_all_day        Nullable(Float64),
    buyer_rate_5m_all_day        Nullable(Float64),
    replies                      UInt64,
    qc_findings                  UInt64,
    qc_score                     Nullable(Float64),
    computed_at                  DateTime64(6, 'UTC')
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(business_date)
ORDER BY (shop_id, business_date, agent_id);

CREATE TABLE IF NOT EXISTS {database}.shop_minutely_rollup
(
    shop_id              String,
    minute               DateTime64(3, 'UTC'),
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
PARTITION BY toYYYYMM(minute)
ORDER BY (shop_id, minute);

CREATE TABLE IF NOT EXISTS {database}.agent_minutely_rollup
(
    shop_id              String,
    agent_id             String,
    minute               DateTime64(3, 'UTC'),
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
PARTITION BY toYYYYMM(minute)
ORDER BY (shop_id, minute, agent_id);

-- the hour tier: the minutely columns per hour of effective_opened_at
CREATE OR REPLACE VIEW {database}.shop_hourly_final AS
SELECT
    shop_id,
    toStartOfHour(effective_opened_at) AS hour,
    count() AS inquiries,
    countIf(answered_at IS NOT NULL) AS answered,
    if(count() = 0, NULL, sum(within_30s) / count()) AS rate_30s,
    if(count() = 0, NULL, sum(within_3m) / count()) AS rate_3m,
    if(count() = 0, NULL, sum(within_5m) / count()) AS rate_5m,
    avg(response_seconds) AS avg_response_seconds,
    toUInt8(countIf(status = 'open') = 0) AS is_final
FROM {database}.inquiries FINAL
GROUP BY shop_id, hour
-- See the header: every version of a row has the same indexed day and hour.
SETTINGS use_skip_indexes_if_final_exact_mode = 0;

CREATE OR REPLACE VIEW {database}.agent_hourly_final AS
SELECT
    shop_id,
    agent_id,
    toStartOfHour(effective_opened_at) AS hour,
    count() AS inquiries,
    countIf(answered_at IS NOT NULL) AS answered,
    if(count() = 0, NULL, sum(within_30s) / count()) AS rate_30s,
    if(count() = 0, NULL, sum(within_3m) / count()) AS rate_3m,
    if(count() = 0, NULL, sum(within_5m) / count()) AS rate_5m,
    avg(response_seconds) AS avg_response_seconds,
    toUInt8(countIf(status = 'open') = 0) AS is_final
FROM {database}.inquiries FINAL
GROUP BY shop_id, agent_id, hour
-- See the header: every version of a row has the same indexed day and hour.
SETTINGS use_skip_indexes_if_final_exact_mode = 0;

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

-- The interface views: fresh periods from the rollups, the rest computed with FINAL.
-- The range of the changed periods, constant once its scalar subqueries have run, lets
-- the FINAL side skip by partition, sort key and index to those periods' parts; the set
-- alone would be applied row by row over the whole history. The minutely and hourly
-- *_final views give their period as a DateTime, which the index on effective_opened_at
-- can bound (a DateTime64 conversion is not monotonic to it); the views here turn it
-- into the DateTime64 of the interface.

CREATE OR REPLACE VIEW {database}.shop_daily AS
SELECT * EXCEPT (computed_at) FROM {database}.shop_daily_rollup
WHERE (shop_id, toDateTime(business_date, 'UTC'), computed_at) IN
    (SELECT shop_id, period, changed_at FROM {database}.rollup_state FINAL
     WHERE view_name = 'shop_daily' AND fresh = 1)
UNION ALL
SELECT * FROM {database}.shop_daily_final
WHERE business_date BETWEEN
    (SELECT toDate(min(period)) FROM {database}.rollup_state FINAL WHERE view_name = 'shop_daily' AND fresh = 0)
    AND (SELECT toDate(max(period)) FROM {database}.rollup_state FINAL WHERE view_name = 'shop_daily' AND fresh = 0)
  AND (shop_id, toDateTime(business_date, 'UTC')) IN
    (SELECT shop_id, period FROM {database}.rollup_state FINAL
     WHERE view_name = 'shop_daily' AND fresh = 0);

CREATE OR REPLACE VIEW {database}.agent_daily AS
SELECT * EXCEPT (computed_at) FROM {database}.agent_daily_rollup
WHERE (shop_id, toDateTime(business_date, 'UTC'), computed_at) IN
    (SELECT shop_id, period, changed_at FROM {database}.rollup_state FINAL
     WHERE view_name = 'agent_daily' AND fresh = 1)
UNION ALL
SELECT * FROM {database}.agent_daily_final
WHERE business_date BETWEEN
    (SELECT toDate(min(period)) FROM {database}.rollup_state FINAL WHERE view_name = 'agent_daily' AND fresh = 0)
    AND (SELECT toDate(max(period)) FROM {database}.rollup_state FINAL WHERE view_name = 'agent_daily' AND fresh = 0)
  AND (shop_id, toDateTime(business_date, 'UTC')) IN
    (SELECT shop_id, period FROM {database}.rollup_state FINAL
     WHERE view_name = 'agent_daily' AND fresh = 0);

CREATE OR REPLACE VIEW {database}.shop_minutely AS
SELECT * EXCEPT (computed_at) FROM {database}.shop_minutely_rollup
WHERE (shop_id, toStartOfHour(toDateTime(minute, 'UTC')), computed_at) IN
    (SELECT shop_id, period, changed_at FROM {database}.rollup_state FINAL
     WHERE view_name = 'shop_minutely' AND fresh = 1)
UNION ALL
SELECT * REPLACE (toDateTime64(f.minute, 3, 'UTC') AS minute)
FROM {database}.shop_minutely_final AS f
WHERE f.minute >= (SELECT min(period) FROM {database}.rollup_state FINAL WHERE view_name = 'shop_minutely' AND fresh = 0)
  AND f.minute < (SELECT max(period) FROM {database}.rollup_state FINAL WHERE view_name = 'shop_minutely' AND fresh = 0) + INTERVAL 1 HOUR
  AND (shop_id, toStartOfHour(toDateTime(f.minute, 'UTC'))) IN
    (SELECT shop_id, period FROM {database}.rollup_state FINAL
     WHERE view_name = 'shop_minutely' AND fresh = 0);

CREATE OR REPLACE VIEW {database}.agent_minutely AS
SELECT * EXCEPT (computed_at) FROM {database}.agent_minutely_rollup
WHERE (shop_id, toStartOfHour(toDateTime(minute, 'UTC')), computed_at) IN
    (SELECT shop_id, period, changed_at FROM {database}.rollup_state FINAL
     WHERE view_name = 'agent_minutely' AND fresh = 1)
UNION ALL
SELECT * REPLACE (toDateTime64(f.minute, 3, 'UTC') AS minute)
FROM {database}.agent_minutely_final AS f
WHERE f.minute >= (SELECT min(period) FROM {database}.rollup_state FINAL WHERE view_name = 'agent_minutely' AND fresh = 0)
  AND f.minute < (SELECT max(period) FROM {database}.rollup_state FINAL WHERE view_name = 'agent_minutely' AND fresh = 0) + INTERVAL 1 HOUR
  AND (shop_id, toStartOfHour(toDateTime(f.minute, 'UTC'))) IN
    (SELECT shop_id, period FROM {database}.rollup_state FINAL
     WHERE view_name = 'agent_minutely' AND fresh = 0);

CREATE OR REPLACE VIEW {database}.shop_hourly AS
SELECT * EXCEPT (computed_at) FROM {database}.shop_hourly_rollup
WHERE (shop_id, toDateTime(hour, 'UTC'), computed_at) IN
    (SELECT shop_id, period, changed_at FROM {database}.rollup_state FINAL
     WHERE view_name = 'shop_hourly' AND fresh = 1)
UNION ALL
SELECT * REPLACE (toDateTime64(f.hour, 3, 'UTC') AS hour)
FROM {database}.shop_hourly_final AS f
WHERE f.hour BETWEEN
    (SELECT min(period) FROM {database}.rollup_state FINAL WHERE view_name = 'shop_hourly' AND fresh = 0)
    AND (SELECT max(period) FROM {database}.rollup_state FINAL WHERE view_name = 'shop_hourly' AND fresh = 0)
  AND (f.shop_id, toDateTime(f.hour, 'UTC')) IN
    (SELECT shop_id, period FROM {database}.rollup_state FINAL
     WHERE view_name = 'shop_hourly' AND fresh = 0);

CREATE OR REPLACE VIEW {database}.agent_hourly AS
SELECT * EXCEPT (computed_at) FROM {database}.agent_hourly_rollup
WHERE (shop_id, toDateTime(hour, 'UTC'), computed_at) IN
    (SELECT shop_id, period, changed_at FROM {database}.rollup_state FINAL
     WHERE view_name = 'agent_hourly' AND fresh = 1)
UNION ALL
SELECT * REPLACE (toDateTime64(f.hour, 3, 'UTC') AS hour)
FROM {database}.agent_hourly_final AS f
WHERE f.hour BETWEEN
    (SELECT min(period) FROM {database}.rollup_state FINAL WHERE view_name = 'agent_hourly' AND fresh = 0)
    AND (SELECT max(period) FROM {database}.rollup_state FINAL WHERE view_name = 'agent_hourly' AND fresh = 0)
  AND (f.shop_id, toDateTime(f.hour, 'UTC')) IN
    (SELECT shop_id, period FROM {database}.rollup_state FINAL
     WHERE view_name = 'agent_hourly' AND fresh = 0);
