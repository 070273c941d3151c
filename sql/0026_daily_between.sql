-- 0026: shop_daily and agent_daily compute their changed days on the changed days' range.
-- Sales count on an order's last converted buyer-day, found with LIMIT 1 BY over the
-- converted buyer-days, and no filter passes a LIMIT 1 BY: the FINAL side of 0023's views
-- read every converted buyer-day of the history whenever a day was changed, which on a
-- live store is always (today). shop_daily_between and agent_daily_between are the *_final
-- texts of 0023 with that step reading the range and the three days either side (an
-- order's converted buyer-days lie within three days of its last one), as
-- agent_kpi_daily_between does in 0025. The *_final views stay as they are: the reference.

-- shop_daily_final on the days first..last (see the header)
CREATE OR REPLACE VIEW {database}.shop_daily_between AS
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
    SELECT * FROM
    (
        SELECT * FROM {database}.buyer_days FINAL
        WHERE converted = 1
          AND business_date BETWEEN toDate32({first:Date}) - 3 AND toDate32({last:Date}) + 3
        ORDER BY shop_id, order_id, business_date DESC
        LIMIT 1 BY shop_id, order_id
    )
    WHERE business_date BETWEEN {first:Date} AND {last:Date}
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
-- As in 0023: every version of a row has the same indexed day and hour.
SETTINGS use_skip_indexes_if_final_exact_mode = 0;

-- agent_daily_final on the days first..last (see the header)
CREATE OR REPLACE VIEW {database}.agent_daily_between AS
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
        SELECT * FROM
        (
            SELECT * FROM {database}.buyer_days FINAL
            WHERE converted = 1
              AND business_date BETWEEN toDate32({first:Date}) - 3 AND toDate32({last:Date}) + 3
            ORDER BY shop_id, order_id, business_date DESC
            LIMIT 1 BY shop_id, order_id
        )
        WHERE business_date BETWEEN {first:Date} AND {last:Date}
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
-- As in 0023: every version of a row has the same indexed day and hour.
SETTINGS use_skip_indexes_if_final_exact_mode = 0;

CREATE OR REPLACE VIEW {database}.shop_daily AS
SELECT * EXCEPT (computed_at) FROM {database}.shop_daily_rollup
WHERE (shop_id, toDateTime(business_date, 'UTC'), computed_at) IN
    (SELECT shop_id, period, changed_at FROM {database}.rollup_state FINAL
     WHERE view_name = 'shop_daily' AND fresh = 1)
UNION ALL
SELECT * FROM {database}.shop_daily_between(
    first = (SELECT toDate(min(period)) FROM {database}.rollup_state FINAL
             WHERE view_name = 'shop_daily' AND fresh = 0),
    last = (SELECT toDate(max(period)) FROM {database}.rollup_state FINAL
            WHERE view_name = 'shop_daily' AND fresh = 0))
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
SELECT * FROM {database}.agent_daily_between(
    first = (SELECT toDate(min(period)) FROM {database}.rollup_state FINAL
             WHERE view_name = 'agent_daily' AND fresh = 0),
    last = (SELECT toDate(max(period)) FROM {database}.rollup_state FINAL
            WHERE view_name = 'agent_daily' AND fresh = 0))
WHERE business_date BETWEEN
    (SELECT toDate(min(period)) FROM {database}.rollup_state FINAL WHERE view_name = 'agent_daily' AND fresh = 0)
    AND (SELECT toDate(max(period)) FROM {database}.rollup_state FINAL WHERE view_name = 'agent_daily' AND fresh = 0)
  AND (shop_id, toDateTime(business_date, 'UTC')) IN
    (SELECT shop_id, period FROM {database}.rollup_state FINAL
     WHERE view_name = 'agent_daily' AND fresh = 0);
