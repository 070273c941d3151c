-- 0018: the QC score (docs/metrics.md#quality-inspection) per agent and day, in agent_daily,
-- and as the weightable scorecard metric `qc_score` (weight 0 unless a weight table names it).
--
-- qc_score = 100 - 100 x severity-weighted findings / replies, clamped to 0..100, where
-- replies are the agent's human messages (chat_messages with sender = 'agent') on the
-- shop-local day and only findings on the agent's own messages count. The weights and the
-- shop-local reply days come from the settings views qc_weights and agent_reply_days
-- (sinks/kpi_views.py rewrites them from the configuration). A period's score sums replies
-- and penalties over its days; it is never an average of daily scores.
--
-- Re-creates agent_daily (0009) with the columns replies, qc_findings and qc_score added,
-- and kpi_defaults (its coaching topic), agent_kpi_daily, agent_kpi_periods and agent_scores
-- (0016) with every earlier name and column kept and the metric's columns added.

-- settings: kpi.default_role, kpi.default_stage, kpi.coaching (metric -> topic)
CREATE OR REPLACE VIEW {database}.kpi_defaults AS
SELECT 'presale' AS default_role, 'launch' AS default_stage,
    map(
        'response_speed', 'conversation drills: first reply within 30 s, quick phrases (快捷短语)',
        'conversion_rate', 'cross-selling course (关联销售)',
        'positive_rating_rate', 'service etiquette and follow-up (服务礼仪)',
        'avg_order_value', 'bundles and upselling (搭配销售)',
        'repeat_purchase_rate', 'returning-customer care (老客维护)',
        'complaint_rate', 'complaint prevention: tone and expectations (投诉预防)',
        'dispute_resolution_rate', 'platform dispute rules and evidence (纠纷规则与举证)',
        'refund_speed', 'after-sales workflow: decide refunds fast (售后处理流程)',
        'dispute_refund_rate', 'refund policy and merchant responsibility (退款规则)',
        'work_order_sla_rate', 'escalated conversations: act and close within the SLA (工单处理时效)',
        'qc_score', 'service standards: no off-platform contact, banned claims or shrugs (服务规范)'
    ) AS coaching;

-- settings: qc.severity_weights
CREATE OR REPLACE VIEW {database}.qc_weights AS
SELECT * FROM values('severity String, weight Float64',
    ('critical', 10.0), ('warning', 3.0), ('info', 1.0));

-- settings: shop time zones. Each agent's human replies per shop-local day.
CREATE OR REPLACE VIEW {database}.agent_reply_days AS
SELECT shop_id, agent_id, toDate(occurred_at, 'Asia/Shanghai') AS business_date, count() AS replies
FROM {database}.chat_messages FINAL
WHERE sender = 'agent' AND agent_id != ''
GROUP BY shop_id, agent_id, business_date;

CREATE OR REPLACE VIEW {database}.agent_qc_daily AS
SELECT
    shop_id,
    agent_id,
    business_date,
    sum(n_replies) AS replies,
    sum(n_findings) AS qc_findings,
    sum(s_penalty) AS qc_penalty,
    if(replies = 0, NULL, greatest(0, least(100, 100 - 100 * qc_penalty / replies))) AS qc_score
FROM
(
    SELECT shop_id, agent_id, business_date, replies AS n_replies,
        toUInt64(0) AS n_findings, toFloat64(0) AS s_penalty
    FROM {database}.agent_reply_days

    UNION ALL

    SELECT f.shop_id AS shop_id, f.agent_id AS agent_id, f.business_date AS business_date,
        toUInt64(0) AS n_replies, count() AS n_findings, sum(ifNull(w.weight, 0)) AS s_penalty
    FROM (SELECT * FROM {database}.qc_findings FINAL WHERE sender = 'agent' AND agent_id != '') AS f
    LEFT JOIN {database}.qc_weights AS w ON w.severity = f.severity
    GROUP BY shop_id, agent_id, business_date
)
GROUP BY shop_id, agent_id, business_date;

CREATE OR REPLACE VIEW {database}.agent_daily AS
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
    sum(n_orders) AS converted_orders,
    sum(n_wo_settled) AS work_orders_settled,
    sum(n_wo_met) AS work_orders_met,
    sum(n_qc_replies) AS qc_replies,
    sum(s_qc_penalty) AS qc_penalty
FROM
(
    SELECT
        shop_id, agent_id, business_date,
        count(response_seconds) AS n_answered,
        sum(ifNull(response_seconds, 0)) AS s_response,
        uniqExact(buyer_id) AS n_buyers,
        toUInt64(0) AS n_converted, toDecimal128(0, 2) AS s_amount, toUInt64(0) AS n_repeat,
        toUInt64(0) AS n_ratings, toUInt64(0) AS n_positive, toUInt64(0) AS n_complaints,
        toUInt64(0) AS n_decided, toUInt64(0) AS n_orders,
        toUInt64(0) AS n_wo_settled, toUInt64(0) AS n_wo_met, toUInt64(0) AS n_qc_replies, toFloat64(0) AS s_qc_penalty
    FROM {database}.inquiries FINAL
    GROUP BY shop_id, agent_id, business_date

    UNION ALL

    -- conversions: the agent's consulting buyer-days that converted, whoever converted them
    SELECT
        a.shop_id AS shop_id, a.agent_id AS agent_id, a.business_date AS business_date,
        toUInt64(0) AS n_answered, toFloat64(0) AS s_response, toUInt64(0) AS n_buyers,
        count() AS n_converted, toDecimal128(0, 2) AS s_amount, toUInt64(0) AS n_repeat,
        toUInt64(0) AS n_ratings, toUInt64(0) AS n_positive, toUInt64(0) AS n_complaints,
        toUInt64(0) AS n_decided, toUInt64(0) AS n_orders,
        toUInt64(0) AS n_wo_settled, toUInt64(0) AS n_wo_met, toUInt64(0) AS n_qc_replies, toFloat64(0) AS s_qc_penalty
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
        toUInt64(0) AS n_decided, count() AS n_orders,
        toUInt64(0) AS n_wo_settled, toUInt64(0) AS n_wo_met, toUInt64(0) AS n_qc_replies, toFloat64(0) AS s_qc_penalty
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
        toUInt64(0) AS n_decided, toUInt64(0) AS n_orders,
        toUInt64(0) AS n_wo_settled, toUInt64(0) AS n_wo_met, toUInt64(0) AS n_qc_replies, toFloat64(0) AS s_qc_penalty
    FROM {database}.ratings FINAL
    GROUP BY shop_id, agent_id, business_date

    UNION ALL

    SELECT
        shop_id, agent_id, business_date,
        toUInt64(0) AS n_answered, toFloat64(0) AS s_response, toUInt64(0) AS n_buyers,
        toUInt64(0) AS n_converted, toDecimal128(0, 2) AS s_amount, toUInt64(0) AS n_repeat,
        toUInt64(0) AS n_ratings, toUInt64(0) AS n_positive, count() AS n_complaints,
        toUInt64(0) AS n_decided, toUInt64(0) AS n_orders,
        toUInt64(0) AS n_wo_settled, toUInt64(0) AS n_wo_met, toUInt64(0) AS n_qc_replies, toFloat64(0) AS s_qc_penalty
    FROM {database}.complaints FINAL
    GROUP BY shop_id, agent_id, business_date

    UNION ALL

    SELECT
        shop_id, agent_id, day AS business_date,
        toUInt64(0) AS n_answered, toFloat64(0) AS s_response, toUInt64(0) AS n_buyers,
        toUInt64(0) AS n_converted, toDecimal128(0, 2) AS s_amount, toUInt64(0) AS n_repeat,
        toUInt64(0) AS n_ratings, toUInt64(0) AS n_positive, toUInt64(0) AS n_complaints,
        decided_refunds AS n_decided, toUInt64(0) AS n_orders,
        toUInt64(0) AS n_wo_settled, toUInt64(0) AS n_wo_met, toUInt64(0) AS n_qc_replies, toFloat64(0) AS s_qc_penalty
    FROM {database}.refund_daily
    WHERE decided_refunds > 0

    UNION ALL

    -- work orders whose SLA outcome is known (resolved, or a clock ran out), for the
    -- conversation's agent on the order's business date
    SELECT
        shop_id, agent_id, business_date,
        toUInt64(0) AS n_answered, toFloat64(0) AS s_response, toUInt64(0) AS n_buyers,
        toUInt64(0) AS n_converted, toDecimal128(0, 2) AS s_amount, toUInt64(0) AS n_repeat,
        toUInt64(0) AS n_ratings, toUInt64(0) AS n_positive, toUInt64(0) AS n_complaints,
        toUInt64(0) AS n_decided, toUInt64(0) AS n_orders,
        countIf(state = 'resolved' OR breached_first_action = 1 OR breached_resolve = 1)
            AS n_wo_settled,
        countIf(state = 'resolved' AND breached_first_action = 0 AND breached_resolve = 0)
            AS n_wo_met, toUInt64(0) AS n_qc_replies, toFloat64(0) AS s_qc_penalty
    FROM {database}.work_orders FINAL
    GROUP BY shop_id, agent_id, business_date

    UNION ALL

    -- quality inspection: the agent's human replies and severity-weighted findings
    SELECT
        shop_id, agent_id, business_date,
        toUInt64(0) AS n_answered, toFloat64(0) AS s_response, toUInt64(0) AS n_buyers,
        toUInt64(0) AS n_converted, toDecimal128(0, 2) AS s_amount, toUInt64(0) AS n_repeat,
        toUInt64(0) AS n_ratings, toUInt64(0) AS n_positive, toUInt64(0) AS n_complaints,
        toUInt64(0) AS n_decided, toUInt64(0) AS n_orders,
        toUInt64(0) AS n_wo_settled, toUInt64(0) AS n_wo_met,
        replies AS n_qc_replies, qc_penalty AS s_qc_penalty
    FROM {database}.agent_qc_daily
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
    sum(d_wo_settled) AS work_orders_settled,
    sum(d_wo_met) AS work_orders_met,
    sum(d_qc_replies) AS qc_replies,
    sum(d_qc_penalty) AS qc_penalty,
    if(answered = 0, NULL, response_seconds_sum / answered) AS response_speed,
    if(consulting_buyers = 0, NULL, converted_buyers / consulting_buyers) AS conversion_rate,
    if(ratings = 0, NULL, positive_ratings / ratings) AS positive_rating_rate,
    if(converted_orders = 0, NULL, toFloat64(converted_amount) / converted_orders) AS avg_order_value,
    if(converted_orders = 0, NULL, repeat_buyers / converted_orders) AS repeat_purchase_rate,
    if(consulting_buyers = 0, NULL, complaints / consulting_buyers) AS complaint_rate,
    if(work_orders_settled = 0, NULL, work_orders_met / work_orders_settled) AS work_order_sla_rate,
    if(qc_replies = 0, NULL, greatest(0, least(100, 100 - 100 * qc_penalty / qc_replies))) AS qc_score
FROM
(
    SELECT
        shop_id, agent_id, business_date,
        answered AS d_answered, response_seconds_sum AS d_response,
        consulting_buyers AS d_buyers, converted_buyers AS d_converted,
        converted_amount AS d_amount, repeat_buyers AS d_repeat, ratings AS d_ratings,
        positive_ratings AS d_positive, complaints AS d_complaints, decided_refunds AS d_decided,
        converted_orders AS d_orders, work_orders_settled AS d_wo_settled,
        work_orders_met AS d_wo_met, qc_replies AS d_qc_replies, qc_penalty AS d_qc_penalty
    FROM {database}.agent_kpi_daily
    WHERE agent_id != ''
)
ARRAY JOIN
    ['day', 'week', 'month'] AS period,
    [business_date, toMonday(business_date), toStartOfMonth(business_date)] AS period_start
GROUP BY period, period_start, shop_id, agent_id;

CREATE OR REPLACE VIEW {database}.agent_scores AS
SELECT
    period,
    period_start,
    period_end,
    shop_id,
    agent_id,
    role,
    stage,
    if(weight_scored = 0, NULL, weighted_sum / weight_scored) AS score,
    length(scored) AS metrics_scored,
    -- nothing to coach when every scored metric is at its target
    if(empty(scored) OR arrayMin(i -> assumeNotNull(scores[i]), scored) >= 100, '',
       names[arraySort(i -> (scores[i], -weights[i], i), scored)[1]]) AS coaching_metric,
    if(coaching_metric = '', '', coaching[coaching_metric]) AS coaching_topic,
    vals[1] AS response_speed, scores[1] AS response_speed_score, weights[1] AS response_speed_weight,
    vals[2] AS conversion_rate, scores[2] AS conversion_rate_score, weights[2] AS conversion_rate_weight,
    vals[3] AS positive_rating_rate, scores[3] AS positive_rating_rate_score, weights[3] AS positive_rating_rate_weight,
    vals[4] AS avg_order_value, scores[4] AS avg_order_value_score, weights[4] AS avg_order_value_weight,
    vals[5] AS repeat_purchase_rate, scores[5] AS repeat_purchase_rate_score, weights[5] AS repeat_purchase_rate_weight,
    vals[6] AS complaint_rate, scores[6] AS complaint_rate_score, weights[6] AS complaint_rate_weight,
    vals[7] AS dispute_resolution_rate, scores[7] AS dispute_resolution_rate_score, weights[7] AS dispute_resolution_rate_weight,
    vals[8] AS refund_speed, scores[8] AS refund_speed_score, weights[8] AS refund_speed_weight,
    vals[9] AS dispute_refund_rate, scores[9] AS dispute_refund_rate_score, weights[9] AS dispute_refund_rate_weight,
    vals[10] AS work_order_sla_rate, scores[10] AS work_order_sla_rate_score, weights[10] AS work_order_sla_rate_weight,
    vals[11] AS qc_score, scores[11] AS qc_score_score, weights[11] AS qc_score_weight
FROM
(
    SELECT
        k.period AS period, k.period_start AS period_start, k.period_end AS period_end,
        k.shop_id AS shop_id, k.agent_id AS agent_id, k.role AS role, k.stage AS stage,
        k.coaching AS coaching,
        -- the order of agents.kpi.metrics.METRICS
        ['response_speed', 'conversion_rate', 'positive_rating_rate', 'avg_order_value',
         'repeat_purchase_rate', 'complaint_rate', 'dispute_resolution_rate', 'refund_speed',
         'dispute_refund_rate', 'work_order_sla_rate', 'qc_score'] AS names,
        [k.response_speed, k.conversion_rate, k.positive_rating_rate, k.avg_order_value,
         k.repeat_purchase_rate, k.complaint_rate, r.dispute_resolution_rate,
         r.avg_refund_seconds,
         -- an agent without a dispute in the window still has a rate (0) if the shop sold
         if(s.paid_orders = 0, NULL, r.merchant_disputes / s.paid_orders),
         k.work_order_sla_rate, k.qc_score] AS vals,
        arrayMap(n -> w.weight_of[n], names) AS weights,
        arrayMap(
            (n, v) -> if(w.weight_of[n] > 0 AND v IS NOT NULL,
                         100 * greatest(0, least(1, (v - w.floor_of[n]) / (w.target_of[n] - w.floor_of[n]))),
                         NULL),
            names, vals
        ) AS scores,
        arrayFilter(i -> scores[i] IS NOT NULL, arrayEnumerate(names)) AS scored,
        arraySum(arrayMap(i -> assumeNotNull(scores[i]) * weights[i], scored)) AS weighted_sum,
        arraySum(arrayMap(i -> weights[i], scored)) AS weight_scored
    FROM
    (
        SELECT
            p.period AS period, p.period_start AS period_start, p.period_end AS period_end,
            p.shop_id AS shop_id, p.agent_id AS agent_id,
            p.response_speed AS response_speed, p.conversion_rate AS conversion_rate,
            p.positive_rating_rate AS positive_rating_rate, p.avg_order_value AS avg_order_value,
            p.repeat_purchase_rate AS repeat_purchase_rate, p.complaint_rate AS complaint_rate,
            p.work_order_sla_rate AS work_order_sla_rate, p.qc_score AS qc_score,
            if(ifNull(ro.role, '') = '', d.default_role, ro.role) AS role,
            if(ifNull(st.stage, '') = '', d.default_stage, st.stage) AS stage,
            d.coaching AS coaching
        FROM {database}.agent_kpi_periods AS p
        CROSS JOIN {database}.kpi_defaults AS d
        LEFT JOIN {database}.kpi_agent_roles AS ro ON ro.agent_id = p.agent_id
        LEFT JOIN {database}.kpi_shop_stages AS st ON st.shop_id = p.shop_id
    ) AS k
    LEFT JOIN
    (
        SELECT
            role, stage,
            mapFromArrays(groupArray(metric), groupArray(weight)) AS weight_of,
            mapFromArrays(groupArray(metric), groupArray(floor)) AS floor_of,
            mapFromArrays(groupArray(metric), groupArray(target)) AS target_of
        FROM {database}.kpi_weights
        GROUP BY role, stage
    ) AS w ON w.role = k.role AND w.stage = k.stage
    LEFT JOIN {database}.agent_refund_rates_30d AS r
        ON r.shop_id = k.shop_id AND r.agent_id = k.agent_id AND r.as_of_date = k.period_end
    LEFT JOIN {database}.shop_refund_rates_30d AS s
        ON s.shop_id = k.shop_id AND s.as_of_date = k.period_end
);
