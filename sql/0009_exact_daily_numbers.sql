-- 0009: exact daily numbers (docs/metrics.md; docs/analysts.md "Conversion and sales").
--
-- Re-creates shop_daily and agent_daily (0007) and agent_kpi_daily and agent_kpi_periods
-- (0008) with every name and column kept; agent_kpi_daily and agent_kpi_periods gain
-- converted_orders.
--
-- Open inquiries on a live day: an open inquiry counts in every denominator and as not
-- (yet) within every threshold, so it is a buyer-day miss for shop_daily's buyer_rate_*
-- exactly as for agent_daily and the _8_23/_all_day columns (shop_daily used to read the
-- buyer misses from buyer_days, which counts only settled inquiries). Once its deadline
-- has passed by the store's event time it is settled as missed; before that it keeps
-- is_final = 0 and the numbers of the day are provisional.
--
-- Conversion: an agent's converted_buyers are the agent's consulting buyer-days (the
-- buyers of the inquiries attributed to the agent that day) that converted, whoever
-- converted them, so conversion_rate stays in 0..1.
--
-- Sales: an order that converts several buyer-days counts once, on the last of them (the
-- one nearest the payment), for that buyer-day's conversion_agent_id, so a period's
-- converted_amount sums each order once. avg_order_value = converted_amount / the orders
-- counted, and repeat_purchase_rate = repeat orders / the orders counted.

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
GROUP BY shop_id, agent_id, business_date;

CREATE OR REPLACE VIEW {database}.agent_kpi_daily AS
SELECT
    shop_id,
    agent_id,
    business_date,
    sum(n_answered) AS answered,
    sum(s_response) AS response_seconds_sum,
    sum(n_buyers) AS consulting_buyers,
    sum(n_converted) AS converted_buyers,
    sum(s_amount) AS converted_amount,
    sum(n_repeat) AS repeat_buyers,
    sum(n_ratings) AS ratings,
    sum(n_positive) AS positive_ratings,
    sum(n_complaints) AS complaints,
    sum(n_decided) AS decided_refunds,
    sum(n_orders) AS converted_orders
FROM
(
    SELECT
        shop_id, agent_id, business_date,
        count(response_seconds) AS n_answered,
        sum(ifNull(response_seconds, 0)) AS s_response,
        uniqExact(buyer_id) AS n_buyers,
        toUInt64(0) AS n_converted, toDecimal128(0, 2) AS s_amount, toUInt64(0) AS n_repeat,
        toUInt64(0) AS n_ratings, toUInt64(0) AS n_positive, toUInt64(0) AS n_complaints,
        toUInt64(0) AS n_decided, toUInt64(0) AS n_orders
    FROM {database}.inquiries FINAL
    GROUP BY shop_id, agent_id, business_date

    UNION ALL

    -- conversions: the agent's consulting buyer-days that converted, whoever converted them
    SELECT
        a.shop_id AS shop_id, a.agent_id AS agent_id, a.business_date AS business_date,
        toUInt64(0) AS n_answered, toFloat64(0) AS s_response, toUInt64(0) AS n_buyers,
        count() AS n_converted, toDecimal128(0, 2) AS s_amount, toUInt64(0) AS n_repeat,
        toUInt64(0) AS n_ratings, toUInt64(0) AS n_positive, toUInt64(0) AS n_complaints,
        toUInt64(0) AS n_decided, toUInt64(0) AS n_orders
    FROM (SELECT DISTINCT shop_id, agent_id, business_date, buyer_id FROM {database}.inquiries FINAL) AS a
    INNER JOIN (SELECT shop_id, business_date, buyer_id FROM {database}.buyer_days FINAL WHERE converted = 1) AS b
        ON b.shop_id = a.shop_id AND b.business_date = a.business_date AND b.buyer_id = a.buyer_id
    GROUP BY shop_id, agent_id, business_date

    UNION ALL

    -- sales: each order once, on the last buyer-day it converts, for its conversion_agent_id;
    -- a repeat purchase is an order that is not the buyer's first paid order at the shop
    SELECT
        b.shop_id AS shop_id, b.conversion_agent_id AS agent_id, b.business_date AS business_date,
        toUInt64(0) AS n_answered, toFloat64(0) AS s_response, toUInt64(0) AS n_buyers,
        toUInt64(0) AS n_converted,
        sum(ifNull(b.order_amount, toDecimal64(0, 2))) AS s_amount,
        countIf(f.first_order != '' AND f.first_order != ifNull(b.order_id, '')) AS n_repeat,
        toUInt64(0) AS n_ratings, toUInt64(0) AS n_positive, toUInt64(0) AS n_complaints,
        toUInt64(0) AS n_decided, count() AS n_orders
    FROM
    (
        SELECT * FROM {database}.buyer_days FINAL
        WHERE converted = 1
        ORDER BY shop_id, order_id, business_date DESC
        LIMIT 1 BY shop_id, order_id
    ) AS b
    LEFT JOIN
    (
        SELECT shop_id, buyer_id, argMin(order_id, (paid_at, order_id)) AS first_order
        FROM {database}.orders FINAL
        WHERE paid_at IS NOT NULL
        GROUP BY shop_id, buyer_id
    ) AS f ON f.shop_id = b.shop_id AND f.buyer_id = b.buyer_id
    GROUP BY shop_id, agent_id, business_date

    UNION ALL

    SELECT
        shop_id, agent_id, business_date,
        toUInt64(0) AS n_answered, toFloat64(0) AS s_response, toUInt64(0) AS n_buyers,
        toUInt64(0) AS n_converted, toDecimal128(0, 2) AS s_amount, toUInt64(0) AS n_repeat,
        count() AS n_ratings, countIf(score >= 4) AS n_positive, toUInt64(0) AS n_complaints,
        toUInt64(0) AS n_decided, toUInt64(0) AS n_orders
    FROM {database}.ratings FINAL
    GROUP BY shop_id, agent_id, business_date

    UNION ALL

    SELECT
        shop_id, agent_id, business_date,
        toUInt64(0) AS n_answered, toFloat64(0) AS s_response, toUInt64(0) AS n_buyers,
        toUInt64(0) AS n_converted, toDecimal128(0, 2) AS s_amount, toUInt64(0) AS n_repeat,
        toUInt64(0) AS n_ratings, toUInt64(0) AS n_positive, count() AS n_complaints,
        toUInt64(0) AS n_decided, toUInt64(0) AS n_orders
    FROM {database}.complaints FINAL
    GROUP BY shop_id, agent_id, business_date

    UNION ALL

    SELECT
        shop_id, agent_id, day AS business_date,
        toUInt64(0) AS n_answered, toFloat64(0) AS s_response, toUInt64(0) AS n_buyers,
        toUInt64(0) AS n_converted, toDecimal128(0, 2) AS s_amount, toUInt64(0) AS n_repeat,
        toUInt64(0) AS n_ratings, toUInt64(0) AS n_positive, toUInt64(0) AS n_complaints,
        decided_refunds AS n_decided, toUInt64(0) AS n_orders
    FROM {database}.refund_daily
    WHERE decided_refunds > 0
)
GROUP BY shop_id, agent_id, business_date;

-- Per agent and period (day, ISO week from Monday, month): the sums and the metric values
-- that do not need the trailing 30 days. Rates over a period sum numerators and
-- denominators of its days; they are never averages of daily rates.
CREATE OR REPLACE VIEW {database}.agent_kpi_periods AS
SELECT
    period,
    period_start,
    multiIf(
        period = 'day', period_start,
        period = 'week', period_start + 6,
        toLastDayOfMonth(period_start)
    ) AS period_end,
    shop_id,
    agent_id,
    sum(d_answered) AS answered,
    sum(d_response) AS response_seconds_sum,
    sum(d_buyers) AS consulting_buyers,
    sum(d_converted) AS converted_buyers,
    sum(d_amount) AS converted_amount,
    sum(d_repeat) AS repeat_buyers,
    sum(d_ratings) AS ratings,
    sum(d_positive) AS positive_ratings,
    sum(d_complaints) AS complaints,
    sum(d_decided) AS decided_refunds,
    sum(d_orders) AS converted_orders,
    if(answered = 0, NULL, response_seconds_sum / answered) AS response_speed,
    if(consulting_buyers = 0, NULL, converted_buyers / consulting_buyers) AS conversion_rate,
    if(ratings = 0, NULL, positive_ratings / ratings) AS positive_rating_rate,
    if(converted_orders = 0, NULL, toFloat64(converted_amount) / converted_orders) AS avg_order_value,
    if(converted_orders = 0, NULL, repeat_buyers / converted_orders) AS repeat_purchase_rate,
    if(consulting_buyers = 0, NULL, complaints / consulting_buyers) AS complaint_rate
FROM
(
    SELECT
        shop_id, agent_id, business_date,
        answered AS d_answered, response_seconds_sum AS d_response,
        consulting_buyers AS d_buyers, converted_buyers AS d_converted,
        converted_amount AS d_amount, repeat_buyers AS d_repeat, ratings AS d_ratings,
        positive_ratings AS d_positive, complaints AS d_complaints, decided_refunds AS d_decided,
        converted_orders AS d_orders
    FROM {database}.agent_kpi_daily
    WHERE agent_id != ''
)
ARRAY JOIN
    ['day', 'week', 'month'] AS period,
    [business_date, toMonday(business_date), toStartOfMonth(business_date)] AS period_start
GROUP BY period, period_start, shop_id, agent_id;
