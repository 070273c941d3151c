-- 0023: exact rollups of shop_daily, agent_daily, shop_minutely and agent_minutely
-- (docs/analysts.md "Rollups"). Rows are corrected in place (ReplacingMergeTree), so a
-- rollup cannot be a sum of inserts. Instead:
--   * every insert into a fact table marks the periods it can change in rollup_marks
--     (materialized views below; a day per shop for the daily views, an hour per shop
--     for the minutely ones), stamped with the time of the insert;
--   * a refresher (the worker every rollups.refresh_seconds, or `kefu db rollup`) stores
--     the FINAL computation (the *_final views, the round-1 text) of marked periods in
--     the *_rollup tables and records in rollup_refreshes when it started;
--   * a period is fresh when its refresh started after its newest mark and under the
--     settings views in force (rollup_settings): its rows come from the rollup;
--     every other marked period is computed with FINAL at read time.
-- A mark is written after its rows are stored, in the same INSERT, so a refresh that
-- started after a mark reads that mark's rows: the rollup-backed views equal the FINAL
-- computation at every moment, fresh or not.

CREATE TABLE IF NOT EXISTS {database}.rollup_marks
(
    tier      LowCardinality(String),
    shop_id   String,
    period    DateTime('UTC'),
    marked_at DateTime64(6, 'UTC')
)
ENGINE = ReplacingMergeTree(marked_at)
ORDER BY (tier, shop_id, period);

CREATE TABLE IF NOT EXISTS {database}.rollup_refreshes
(
    view_name     LowCardinality(String),
    tier          LowCardinality(String),
    shop_id       String,
    period        DateTime('UTC'),
    computed_at   DateTime64(6, 'UTC'),
    settings_hash UInt64
)
ENGINE = ReplacingMergeTree(computed_at)
ORDER BY (view_name, shop_id, period);

-- Which rollup reads which tier of marks.
CREATE OR REPLACE VIEW {database}.rollup_views AS
SELECT * FROM values('view_name String, tier String',
    ('shop_daily', 'day'), ('agent_daily', 'day'),
    ('shop_minutely', 'hour'), ('agent_minutely', 'hour'));

-- Every view's text, hashed: the settings views (weights, time zones) are re-created
-- from configuration, and a rollup computed under other settings is not fresh.
CREATE OR REPLACE VIEW {database}.rollup_settings AS
SELECT cityHash64(arrayStringConcat(groupArray(create_table_query), '\n')) AS settings_hash
FROM
(
    SELECT create_table_query FROM system.tables
    WHERE database = '{database}' AND engine = 'View'
    ORDER BY name
);

-- Marks: inquiries change their day and the hour of their minute; buyer-days their day
-- and, through sales counted on an order's last converted buyer-day (72 h at most), the
-- three days either side; replies their shop-local day (a day either side of UTC covers
-- every zone); a complaint its old and its new day (its latest delivery wins).
CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_inquiries
TO {database}.rollup_marks AS
SELECT mark.1 AS tier, shop_id, mark.2 AS period, now64(6, 'UTC') AS marked_at
FROM {database}.inquiries
ARRAY JOIN [('day', toDateTime(business_date, 'UTC')),
            ('hour', toStartOfHour(toDateTime(effective_opened_at, 'UTC')))] AS mark
GROUP BY tier, shop_id, period;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_buyer_days
TO {database}.rollup_marks AS
SELECT 'day' AS tier, shop_id, toDateTime(business_date + shift, 'UTC') AS period,
    now64(6, 'UTC') AS marked_at
FROM {database}.buyer_days
ARRAY JOIN [-3, -2, -1, 0, 1, 2, 3] AS shift
GROUP BY tier, shop_id, period;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_ratings
TO {database}.rollup_marks AS
SELECT 'day' AS tier, shop_id, toDateTime(business_date, 'UTC') AS period,
    now64(6, 'UTC') AS marked_at
FROM {database}.ratings
GROUP BY tier, shop_id, period;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_replies
TO {database}.rollup_marks AS
SELECT 'day' AS tier, shop_id,
    toDateTime(toDate(occurred_at, 'UTC') + shift, 'UTC') AS period,
    now64(6, 'UTC') AS marked_at
FROM {database}.chat_messages
ARRAY JOIN [-1, 0, 1] AS shift
WHERE sender = 'agent'
GROUP BY tier, shop_id, period;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_qc_findings
TO {database}.rollup_marks AS
SELECT 'day' AS tier, shop_id, toDateTime(business_date, 'UTC') AS period,
    now64(6, 'UTC') AS marked_at
FROM {database}.qc_findings
GROUP BY tier, shop_id, period;

-- Read through a view, the complaints table is the whole table (the materialized view
-- itself sees only the inserted block), so the previous delivery's day is found; the
-- block's own day is marked too (on a cluster the new row may not be readable yet).
CREATE OR REPLACE VIEW {database}.complaint_days AS
SELECT shop_id, complaint_id, business_date FROM {database}.complaints;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_complaints
TO {database}.rollup_marks AS
SELECT 'day' AS tier, c.shop_id AS shop_id, toDateTime(day, 'UTC') AS period,
    now64(6, 'UTC') AS marked_at
FROM {database}.complaints AS c
LEFT JOIN {database}.complaint_days AS d
    ON d.shop_id = c.shop_id AND d.complaint_id = c.complaint_id
ARRAY JOIN [c.business_date, d.business_date] AS day
WHERE day > toDate(0)
GROUP BY tier, shop_id, period;

-- A store migrated from an earlier release: its periods are marked once, now.
INSERT INTO {database}.rollup_marks
SELECT mark.1, shop_id, mark.2, now64(6, 'UTC')
FROM (SELECT DISTINCT shop_id, business_date, toStartOfHour(toDateTime(effective_opened_at, 'UTC')) AS hour
      FROM {database}.inquiries)
ARRAY JOIN [('day', toDateTime(business_date, 'UTC')), ('hour', hour)] AS mark;

INSERT INTO {database}.rollup_marks
SELECT 'day', shop_id, toDateTime(day, 'UTC'), now64(6, 'UTC')
FROM
(
    SELECT DISTINCT shop_id, business_date + shift AS day
    FROM {database}.buyer_days ARRAY JOIN [-3, -2, -1, 0, 1, 2, 3] AS shift
    UNION DISTINCT
    SELECT DISTINCT shop_id, business_date FROM {database}.ratings
    UNION DISTINCT
    SELECT DISTINCT shop_id, business_date FROM {database}.complaints
    UNION DISTINCT
    SELECT DISTINCT shop_id, business_date FROM {database}.qc_findings
    UNION DISTINCT
    SELECT DISTINCT shop_id, toDate(occurred_at, 'UTC') + shift
    FROM {database}.chat_messages ARRAY JOIN [-1, 0, 1] AS shift WHERE sender = 'agent'
);

-- Periods whose newest refresh started after their newest mark, under today's settings.
CREATE OR REPLACE VIEW {database}.rollup_fresh AS
SELECT f.view_name AS view_name, f.shop_id AS shop_id, f.period AS period,
    f.newest AS computed_at
FROM
(
    SELECT view_name, tier, shop_id, period, max(computed_at) AS newest,
        argMax(settings_hash, computed_at) AS hash
    FROM {database}.rollup_refreshes
    GROUP BY view_name, tier, shop_id, period
) AS f
INNER JOIN
(
    SELECT tier, shop_id, period, max(marked_at) AS newest_mark
    FROM {database}.rollup_marks
    GROUP BY tier, shop_id, period
) AS m ON m.tier = f.tier AND m.shop_id = f.shop_id AND m.period = f.period
WHERE f.newest > m.newest_mark
  AND f.hash = (SELECT settings_hash FROM {database}.rollup_settings);

-- Marked periods that are not fresh, per rollup, with their newest mark.
CREATE OR REPLACE VIEW {database}.rollup_dirty AS
SELECT v.view_name AS view_name, m.tier AS tier, m.shop_id AS shop_id, m.period AS period,
    m.newest_mark AS marked_at
FROM
(
    SELECT tier, shop_id, period, max(marked_at) AS newest_mark
    FROM {database}.rollup_marks
    GROUP BY tier, shop_id, period
) AS m
INNER JOIN {database}.rollup_views AS v ON v.tier = m.tier
LEFT ANTI JOIN {database}.rollup_fresh AS f
    ON f.view_name = v.view_name AND f.shop_id = m.shop_id AND f.period = m.period;


-- shop_minutely: the FINAL computation (the reference the rollup must equal)
CREATE OR REPLACE VIEW {database}.shop_minutely_final AS
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

-- agent_minutely: the FINAL computation (the reference the rollup must equal)
CREATE OR REPLACE VIEW {database}.agent_minutely_final AS
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
GROUP BY shop_id, business_date;

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
    ON q.shop_id = d.shop_id AND q.agent_id = d.agent_id AND q.business_date = d.business_date;

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

-- The interface views: fresh periods from the rollups, the rest computed with FINAL.
-- The shop and date sets let the FINAL side read only the marked periods' parts.
CREATE OR REPLACE VIEW {database}.shop_daily AS
SELECT * EXCEPT (computed_at) FROM {database}.shop_daily_rollup
WHERE (shop_id, toDateTime(business_date, 'UTC'), computed_at) IN
    (SELECT shop_id, period, computed_at FROM {database}.rollup_fresh WHERE view_name = 'shop_daily')
UNION ALL
SELECT * FROM {database}.shop_daily_final
WHERE business_date IN (SELECT toDate(period) FROM {database}.rollup_dirty WHERE view_name = 'shop_daily')
  AND (shop_id, toDateTime(business_date, 'UTC')) IN
    (SELECT shop_id, period FROM {database}.rollup_dirty WHERE view_name = 'shop_daily');

CREATE OR REPLACE VIEW {database}.agent_daily AS
SELECT * EXCEPT (computed_at) FROM {database}.agent_daily_rollup
WHERE (shop_id, toDateTime(business_date, 'UTC'), computed_at) IN
    (SELECT shop_id, period, computed_at FROM {database}.rollup_fresh WHERE view_name = 'agent_daily')
UNION ALL
SELECT * FROM {database}.agent_daily_final
WHERE business_date IN (SELECT toDate(period) FROM {database}.rollup_dirty WHERE view_name = 'agent_daily')
  AND (shop_id, toDateTime(business_date, 'UTC')) IN
    (SELECT shop_id, period FROM {database}.rollup_dirty WHERE view_name = 'agent_daily');

CREATE OR REPLACE VIEW {database}.shop_minutely AS
SELECT * EXCEPT (computed_at) FROM {database}.shop_minutely_rollup
WHERE (shop_id, toStartOfHour(toDateTime(minute, 'UTC')), computed_at) IN
    (SELECT shop_id, period, computed_at FROM {database}.rollup_fresh WHERE view_name = 'shop_minutely')
UNION ALL
SELECT * FROM {database}.shop_minutely_final
WHERE toStartOfHour(toDateTime(minute, 'UTC')) IN
    (SELECT period FROM {database}.rollup_dirty WHERE view_name = 'shop_minutely')
  AND (shop_id, toStartOfHour(toDateTime(minute, 'UTC'))) IN
    (SELECT shop_id, period FROM {database}.rollup_dirty WHERE view_name = 'shop_minutely');

CREATE OR REPLACE VIEW {database}.agent_minutely AS
SELECT * EXCEPT (computed_at) FROM {database}.agent_minutely_rollup
WHERE (shop_id, toStartOfHour(toDateTime(minute, 'UTC')), computed_at) IN
    (SELECT shop_id, period, computed_at FROM {database}.rollup_fresh WHERE view_name = 'agent_minutely')
UNION ALL
SELECT * FROM {database}.agent_minutely_final
WHERE toStartOfHour(toDateTime(minute, 'UTC')) IN
    (SELECT period FROM {database}.rollup_dirty WHERE view_name = 'agent_minutely')
  AND (shop_id, toStartOfHour(toDateTime(minute, 'UTC'))) IN
    (SELECT shop_id, period FROM {database}.rollup_dirty WHERE view_name = 'agent_minutely');
