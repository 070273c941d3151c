-- 0025: the KPI scorecard's daily sums (agent_kpi_daily, which agent_kpi_periods and
-- agent_scores read) rolled up like the views of 0023 (docs/analysts.md "Rollups").
-- What agent_kpi_daily adds to agent_daily's inputs, and how each insert marks it:
--   * repeat purchases: an order is a repeat unless it is the buyer's first paid order at
--     the shop, over the buyer's whole history. A paid order can change which order is
--     first, so an insert into orders marks the sales days of every paid order of the
--     buyer: buyer_paid_orders indexes them by buyer, and an order's sales day lies within
--     the 72 hours before its paid (or grouped) time, four days before to one after its
--     UTC date in any zone;
--   * decided refunds: a refund's decision day, old and new;
--   * work orders: their business day, old and new.
-- The FINAL side (read time, and the refresher) is agent_kpi_daily_between: the round-1
-- computation (agent_kpi_daily_final) on a range of days. It reads buyer-days three days
-- beyond the range, since an order's converted buyer-days lie within three days of its
-- last one, and the first paid orders of those buyer-days' buyers only.

CREATE TABLE IF NOT EXISTS {database}.buyer_paid_orders
(
    shop_id    String,
    buyer_id   String,
    order_id   String,
    paid_at    Nullable(DateTime64(3, 'UTC')),
    grouped_at Nullable(DateTime64(3, 'UTC'))
)
ENGINE = ReplacingMergeTree
ORDER BY (shop_id, buyer_id, order_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.buyer_paid_orders_index
TO {database}.buyer_paid_orders AS
SELECT shop_id, buyer_id, order_id, paid_at, grouped_at
FROM {database}.orders
WHERE paid_at IS NOT NULL;

INSERT INTO {database}.buyer_paid_orders
SELECT shop_id, buyer_id, order_id, paid_at, grouped_at
FROM {database}.orders FINAL
WHERE paid_at IS NOT NULL;

-- The marks of 0023's agent_daily, for agent_kpi_daily.
CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_kpi_inquiries
TO {database}.rollup_state AS
SELECT 'agent_kpi_daily' AS view_name, shop_id, toDateTime(business_date, 'UTC') AS period,
    now64(6, 'UTC') AS changed_at, toUInt8(0) AS fresh
FROM {database}.inquiries
GROUP BY shop_id, period;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_kpi_buyer_days
TO {database}.rollup_state AS
SELECT 'agent_kpi_daily' AS view_name, shop_id, toDateTime(business_date + shift, 'UTC') AS period,
    now64(6, 'UTC') AS changed_at, toUInt8(0) AS fresh
FROM {database}.buyer_days
ARRAY JOIN [-3, -2, -1, 0, 1, 2, 3] AS shift
GROUP BY shop_id, period;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_kpi_ratings
TO {database}.rollup_state AS
SELECT 'agent_kpi_daily' AS view_name, shop_id, toDateTime(business_date, 'UTC') AS period,
    now64(6, 'UTC') AS changed_at, toUInt8(0) AS fresh
FROM {database}.ratings
GROUP BY shop_id, period;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_kpi_replies
TO {database}.rollup_state AS
SELECT 'agent_kpi_daily' AS view_name, shop_id,
    toDateTime(toDate(occurred_at, 'UTC') + shift, 'UTC') AS period,
    now64(6, 'UTC') AS changed_at, toUInt8(0) AS fresh
FROM {database}.chat_messages
ARRAY JOIN [-1, 0, 1] AS shift
WHERE sender = 'agent'
GROUP BY shop_id, period;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_kpi_qc_findings
TO {database}.rollup_state AS
SELECT 'agent_kpi_daily' AS view_name, shop_id, toDateTime(business_date, 'UTC') AS period,
    now64(6, 'UTC') AS changed_at, toUInt8(0) AS fresh
FROM {database}.qc_findings
GROUP BY shop_id, period;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_kpi_complaints
TO {database}.rollup_state AS
SELECT 'agent_kpi_daily' AS view_name, c.shop_id AS shop_id, toDateTime(day, 'UTC') AS period,
    now64(6, 'UTC') AS changed_at, toUInt8(0) AS fresh
FROM {database}.complaints AS c
LEFT JOIN {database}.complaint_days AS d
    ON d.shop_id = c.shop_id AND d.complaint_id = c.complaint_id
ARRAY JOIN [c.business_date, d.business_date] AS day
WHERE day > toDate(0)
GROUP BY shop_id, period;

-- Inside a materialized view the orders table is the inserted block: the subquery names
-- the block's buyers, whose earlier paid orders buyer_paid_orders holds.
CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_kpi_orders
TO {database}.rollup_state AS
SELECT 'agent_kpi_daily' AS view_name, shop_id,
    toDateTime(toDate(at, 'UTC') + shift, 'UTC') AS period,
    now64(6, 'UTC') AS changed_at, toUInt8(0) AS fresh
FROM
(
    SELECT shop_id, [paid_at, grouped_at] AS times
    FROM {database}.orders
    UNION ALL
    SELECT shop_id, [paid_at, grouped_at]
    FROM {database}.buyer_paid_orders
    WHERE (shop_id, buyer_id) IN (SELECT shop_id, buyer_id FROM {database}.orders)
)
ARRAY JOIN times AS at
ARRAY JOIN [-4, -3, -2, -1, 0, 1] AS shift
WHERE at IS NOT NULL
GROUP BY shop_id, period;

-- Read through views, refunds and work orders are the whole tables, so the day of the
-- version an insert replaces is found by key.
CREATE OR REPLACE VIEW {database}.refund_decision_times AS
SELECT shop_id, refund_id, decided_at, dispute_closed_at FROM {database}.refunds;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_kpi_refunds
TO {database}.rollup_state AS
SELECT 'agent_kpi_daily' AS view_name, shop_id,
    toDateTime(toDate(at, 'UTC') + shift, 'UTC') AS period,
    now64(6, 'UTC') AS changed_at, toUInt8(0) AS fresh
FROM
(
    SELECT r.shop_id AS shop_id,
        [r.decided_at, r.dispute_closed_at, t.decided_at, t.dispute_closed_at] AS times
    FROM {database}.refunds AS r
    LEFT JOIN
    (
        SELECT * FROM {database}.refund_decision_times
        WHERE (shop_id, refund_id) IN (SELECT shop_id, refund_id FROM {database}.refunds)
    ) AS t ON t.shop_id = r.shop_id AND t.refund_id = r.refund_id
)
ARRAY JOIN times AS at
ARRAY JOIN [-1, 0, 1] AS shift
WHERE at IS NOT NULL
GROUP BY shop_id, period;

CREATE OR REPLACE VIEW {database}.work_order_days AS
SELECT shop_id, work_order_id, business_date FROM {database}.work_orders;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_kpi_work_orders
TO {database}.rollup_state AS
SELECT 'agent_kpi_daily' AS view_name, w.shop_id AS shop_id, toDateTime(day, 'UTC') AS period,
    now64(6, 'UTC') AS changed_at, toUInt8(0) AS fresh
FROM {database}.work_orders AS w
LEFT JOIN
(
    SELECT * FROM {database}.work_order_days
    WHERE (shop_id, work_order_id) IN (SELECT shop_id, work_order_id FROM {database}.work_orders)
) AS d ON d.shop_id = w.shop_id AND d.work_order_id = w.work_order_id
ARRAY JOIN [w.business_date, d.business_date] AS day
WHERE day > toDate(0)
GROUP BY shop_id, period;

-- A store migrated from an earlier release: every day its facts touch is marked once, now.
INSERT INTO {database}.rollup_state
SELECT 'agent_kpi_daily', shop_id, toDateTime(day + shift, 'UTC'), now64(6, 'UTC'), 0
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
    SELECT DISTINCT shop_id, business_date FROM {database}.work_orders
    UNION DISTINCT
    SELECT DISTINCT shop_id, toDate(occurred_at, 'UTC') FROM {database}.chat_messages
    WHERE sender = 'agent'
    UNION DISTINCT
    SELECT DISTINCT shop_id, toDate(at, 'UTC') FROM {database}.refunds
    ARRAY JOIN [decided_at, dispute_closed_at] AS at WHERE at IS NOT NULL
    UNION DISTINCT
    SELECT DISTINCT shop_id, toDate(at, 'UTC') FROM {database}.orders
    ARRAY JOIN [paid_at, grouped_at] AS at WHERE at IS NOT NULL
)
ARRAY JOIN [-4, -3, -2, -1, 0, 1, 2, 3] AS shift;

-- agent_kpi_daily: the FINAL computation (the reference the rollup must equal)
CREATE OR REPLACE VIEW {database}.agent_kpi_daily_final AS
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

-- agent_kpi_daily_final on the days first..last (see the header)
CREATE OR REPLACE VIEW {database}.agent_kpi_daily_between AS
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
    WHERE business_date BETWEEN {first:Date} AND {last:Date}
    GROUP BY shop_id, agent_id, business_date

    UNION ALL

    SELECT
        a.shop_id AS shop_id, a.agent_id AS agent_id, a.business_date AS business_date,
        toUInt64(0) AS n_answered, toFloat64(0) AS s_response, toUInt64(0) AS n_buyers,
        count() AS n_converted, toDecimal128(0, 2) AS s_amount, toUInt64(0) AS n_repeat,
        toUInt64(0) AS n_ratings, toUInt64(0) AS n_positive, toUInt64(0) AS n_complaints,
        toUInt64(0) AS n_decided, toUInt64(0) AS n_orders,
        toUInt64(0) AS n_wo_settled, toUInt64(0) AS n_wo_met, toUInt64(0) AS n_qc_replies, toFloat64(0) AS s_qc_penalty
    FROM
    (
        SELECT DISTINCT shop_id, agent_id, business_date, buyer_id FROM {database}.inquiries FINAL
        WHERE business_date BETWEEN {first:Date} AND {last:Date}
    ) AS a
    INNER JOIN
    (
        SELECT shop_id, business_date, buyer_id FROM {database}.buyer_days FINAL
        WHERE converted = 1 AND business_date BETWEEN {first:Date} AND {last:Date}
    ) AS b
        ON b.shop_id = a.shop_id AND b.business_date = a.business_date AND b.buyer_id = a.buyer_id
    GROUP BY shop_id, agent_id, business_date

    UNION ALL

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
        SELECT * FROM
        (
            SELECT * FROM {database}.buyer_days FINAL
            WHERE converted = 1
              AND business_date BETWEEN toDate32({first:Date}) - 3 AND toDate32({last:Date}) + 3
            ORDER BY shop_id, order_id, business_date DESC
            LIMIT 1 BY shop_id, order_id
        )
        WHERE business_date BETWEEN {first:Date} AND {last:Date}
    ) AS b
    LEFT JOIN
    (
        SELECT shop_id, buyer_id, argMin(order_id, (paid_at, order_id)) AS first_order
        FROM {database}.orders FINAL
        WHERE paid_at IS NOT NULL
          AND (shop_id, order_id) IN
            (SELECT shop_id, order_id FROM {database}.buyer_paid_orders
             WHERE (shop_id, buyer_id) IN
                (SELECT shop_id, buyer_id FROM {database}.buyer_days
                 WHERE converted = 1 AND business_date BETWEEN toDate32({first:Date}) - 3 AND toDate32({last:Date}) + 3))
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
    WHERE business_date BETWEEN {first:Date} AND {last:Date}
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
    WHERE business_date BETWEEN {first:Date} AND {last:Date}
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
    WHERE decided_refunds > 0 AND day BETWEEN {first:Date} AND {last:Date}

    UNION ALL

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
    WHERE business_date BETWEEN {first:Date} AND {last:Date}
    GROUP BY shop_id, agent_id, business_date

    UNION ALL

    SELECT
        shop_id, agent_id, business_date,
        toUInt64(0) AS n_answered, toFloat64(0) AS s_response, toUInt64(0) AS n_buyers,
        toUInt64(0) AS n_converted, toDecimal128(0, 2) AS s_amount, toUInt64(0) AS n_repeat,
        toUInt64(0) AS n_ratings, toUInt64(0) AS n_positive, toUInt64(0) AS n_complaints,
        toUInt64(0) AS n_decided, toUInt64(0) AS n_orders,
        toUInt64(0) AS n_wo_settled, toUInt64(0) AS n_wo_met,
        replies AS n_qc_replies, qc_penalty AS s_qc_penalty
    FROM {database}.agent_qc_daily
    WHERE business_date BETWEEN {first:Date} AND {last:Date}
)
GROUP BY shop_id, agent_id, business_date
SETTINGS use_skip_indexes_if_final_exact_mode = 0;

CREATE TABLE IF NOT EXISTS {database}.agent_kpi_daily_rollup
(
    shop_id              String,
    agent_id             String,
    business_date        Date,
    answered             UInt64,
    response_seconds_sum Float64,
    consulting_buyers    UInt64,
    converted_buyers     UInt64,
    converted_amount     Decimal(38, 2),
    repeat_buyers        UInt64,
    ratings              UInt64,
    positive_ratings     UInt64,
    complaints           UInt64,
    decided_refunds      UInt64,
    converted_orders     UInt64,
    work_orders_settled  UInt64,
    work_orders_met      UInt64,
    qc_replies           UInt64,
    qc_penalty           Float64,
    computed_at          DateTime64(6, 'UTC')
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(business_date)
ORDER BY (shop_id, business_date, agent_id);

-- As 0023's interface views: fresh days from the rollup, changed days computed at read time
-- on the range of the changed days.
CREATE OR REPLACE VIEW {database}.agent_kpi_daily AS
SELECT * EXCEPT (computed_at) FROM {database}.agent_kpi_daily_rollup
WHERE (shop_id, toDateTime(business_date, 'UTC'), computed_at) IN
    (SELECT shop_id, period, changed_at FROM {database}.rollup_state FINAL
     WHERE view_name = 'agent_kpi_daily' AND fresh = 1)
UNION ALL
SELECT * FROM {database}.agent_kpi_daily_between(
    first = (SELECT toDate(min(period)) FROM {database}.rollup_state FINAL
             WHERE view_name = 'agent_kpi_daily' AND fresh = 0),
    last = (SELECT toDate(max(period)) FROM {database}.rollup_state FINAL
            WHERE view_name = 'agent_kpi_daily' AND fresh = 0))
WHERE (shop_id, toDateTime(business_date, 'UTC')) IN
    (SELECT shop_id, period FROM {database}.rollup_state FINAL
     WHERE view_name = 'agent_kpi_daily' AND fresh = 0);
