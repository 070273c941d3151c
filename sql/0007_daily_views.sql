-- 0007: per business day by shop and by agent (interfaces.md, metrics.md 1, 3, 5).
--
-- Each view is a UNION ALL of per-source partial sums (inquiries, buyer-days,
-- ratings, complaints: every base table read with FINAL), summed per key, so a
-- day with ratings but no inquiry still has a row. Rates are Float64 in 0..1 and
-- NULL where the denominator is 0; times are seconds; p50/p90 are exact
-- quantiles with linear interpolation (numpy's default) over answered inquiries.
--
-- Scopes (metrics.md 1): unsuffixed columns use the service-hours clock; the
-- `_8_23` columns count only inquiries opened 08:00-23:00 shop-local (in_8_23)
-- and the `_all_day` columns every inquiry, both on the clock from opened_at
-- (raw_response_seconds). Per-buyer rates are over consulting buyer-days:
-- (buyers - buyers with an inquiry that missed the threshold) / buyers.
--
-- shop_daily: per-buyer rates, conversions and the complaint-rate denominator
-- come from buyer_days. agent_daily: the agent's consulting buyer-days are the
-- distinct buyers of the inquiries attributed to the agent that day;
-- conversions count for conversion_agent_id, ratings and complaints for their
-- agent_id. is_final = 1 once no inquiry of the group is still open.

CREATE OR REPLACE VIEW {database}.shop_daily AS
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
    if(converted_buyers = 0, NULL, toFloat64(converted_amount) / converted_buyers) AS avg_order_value,
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
        0 AS n_buyers, 0 AS n_bmiss_30s, 0 AS n_bmiss_3m, 0 AS n_bmiss_5m,
        0 AS n_converted, toDecimal128(0, 2) AS s_amount,
        0 AS n_first, 0 AS s_first,
        0 AS n_ratings, 0 AS n_positive, 0 AS n_complaints
    FROM {database}.inquiries FINAL
    GROUP BY shop_id, business_date

    UNION ALL

    -- consulting buyer-days: per-buyer misses and conversions
    SELECT
        shop_id, business_date,
        0 AS n_inquiries, 0 AS n_answered, 0 AS n_open, 0 AS n_30s, 0 AS n_3m, 0 AS n_5m,
        0 AS s_response, 0 AS n_responded, NULL AS p50, NULL AS p90,
        0 AS n_inq_8_23, 0 AS n_30s_8_23, 0 AS n_3m_8_23, 0 AS n_5m_8_23, 0 AS s_raw_8_23, 0 AS n_raw_8_23,
        0 AS n_buyers_8_23, 0 AS n_bmiss_30s_8_23, 0 AS n_bmiss_3m_8_23, 0 AS n_bmiss_5m_8_23,
        0 AS n_30s_all, 0 AS n_3m_all, 0 AS n_5m_all, 0 AS s_raw_all, 0 AS n_raw_all,
        0 AS n_buyers_all, 0 AS n_bmiss_30s_all, 0 AS n_bmiss_3m_all, 0 AS n_bmiss_5m_all,
        count() AS n_buyers,
        toUInt64(sum(missed_30s)) AS n_bmiss_30s, toUInt64(sum(missed_3m)) AS n_bmiss_3m,
        toUInt64(sum(missed_5m)) AS n_bmiss_5m,
        countIf(converted = 1) AS n_converted,
        sumIf(ifNull(order_amount, toDecimal64(0, 2)), converted = 1) AS s_amount,
        0 AS n_first, 0 AS s_first,
        0 AS n_ratings, 0 AS n_positive, 0 AS n_complaints
    FROM {database}.buyer_days FINAL
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
        0 AS n_converted, toDecimal128(0, 2) AS s_amount,
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
        0 AS n_converted, toDecimal128(0, 2) AS s_amount,
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
        0 AS n_converted, toDecimal128(0, 2) AS s_amount,
        0 AS n_first, 0 AS s_first,
        0 AS n_ratings, 0 AS n_positive, count() AS n_complaints
    FROM {database}.complaints FINAL
    GROUP BY shop_id, business_date
)
GROUP BY shop_id, business_date;

CREATE OR REPLACE VIEW {database}.agent_daily AS
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
    if(converted_buyers = 0, NULL, toFloat64(converted_amount) / converted_buyers) AS avg_order_value,
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
        0 AS n_converted, toDecimal128(0, 2) AS s_amount,
        0 AS n_ratings, 0 AS n_positive, 0 AS n_complaints
    FROM {database}.inquiries FINAL
    GROUP BY shop_id, agent_id, business_date

    UNION ALL

    -- conversions count for the agent who answered the buyer's last inquiry before payment
    SELECT
        shop_id, conversion_agent_id AS agent_id, business_date,
        0 AS n_inquiries, 0 AS n_answered, 0 AS n_open, 0 AS n_30s, 0 AS n_3m, 0 AS n_5m,
        0 AS s_response, 0 AS n_responded, NULL AS p50, NULL AS p90,
        0 AS n_buyers, 0 AS n_bmiss_30s, 0 AS n_bmiss_3m, 0 AS n_bmiss_5m,
        0 AS n_inq_8_23, 0 AS n_30s_8_23, 0 AS n_3m_8_23, 0 AS n_5m_8_23, 0 AS s_raw_8_23, 0 AS n_raw_8_23,
        0 AS n_buyers_8_23, 0 AS n_bmiss_30s_8_23, 0 AS n_bmiss_3m_8_23, 0 AS n_bmiss_5m_8_23,
        0 AS n_30s_all, 0 AS n_3m_all, 0 AS n_5m_all, 0 AS s_raw_all, 0 AS n_raw_all,
        0 AS n_bmiss_30s_all, 0 AS n_bmiss_3m_all, 0 AS n_bmiss_5m_all,
        count() AS n_converted, sum(ifNull(order_amount, toDecimal64(0, 2))) AS s_amount,
        0 AS n_ratings, 0 AS n_positive, 0 AS n_complaints
    FROM {database}.buyer_days FINAL
    WHERE converted = 1
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
        0 AS n_converted, toDecimal128(0, 2) AS s_amount,
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
        0 AS n_converted, toDecimal128(0, 2) AS s_amount,
        0 AS n_ratings, 0 AS n_positive, count() AS n_complaints
    FROM {database}.complaints FINAL
    GROUP BY shop_id, agent_id, business_date
)
GROUP BY shop_id, agent_id, business_date;
