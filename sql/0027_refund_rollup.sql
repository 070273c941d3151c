-- 0027: the daily inputs of the scorecard's trailing 30-day refund rates rolled up like the
-- views of 0023 (docs/analysts.md "Rollups"). shop_refund_rates_30d and
-- agent_refund_rates_30d, and so agent_scores, read paid_orders_daily and refund_daily,
-- which computed every day of orders and refunds with FINAL at read time: those tables
-- sort by (shop, id) and change their times between versions, so nothing pruned, and one
-- day of agent_scores read every order of the history.
--   * Two rollups, paid_orders_daily_rollup (shop, day) and refund_daily_rollup (shop,
--     agent, day), not one: each keeps its view's columns and grain, and an order insert
--     (every sale) then recomputes paid orders only, not refunds, and a refund insert
--     refunds only.
--   * The day is shop-local (the settings views paid_order_days and refund_days): a
--     fact's UTC date and the day either side are marked, which covers every zone, and
--     a settings change marks every fresh period (sinks/rollups.py), these included.
--   * A correction can move an order's paid day or a refund's decision or close day, or
--     clear it: an insert marks the days of the new version and of every stored version
--     of the same key, read through views (order_paid_times, and refund_decision_times
--     of 0025), since inside a materialized view the table is the inserted block.
--   * The FINAL side (read time, and the refresher) is <view>_between: the round-1 text
--     (<view>_final, the reference) on the days first..last, reading only the orders and
--     refunds that paid_orders_by_day and refunds_by_day list for those days and the day
--     either side. Every stored version's UTC days are listed, so the latest version's
--     are; the lookup by (shop, id) skips the other granules when ids grow with time, as
--     Pinduoduo order numbers (yymmdd-...) and refund numbers do.
--   * The readers (agent_scores, agent_refund_rates_30d, agent_kpi_daily's two
--     computations) are re-created to read these views fewer times (see below).

CREATE TABLE IF NOT EXISTS {database}.paid_orders_by_day
(
    shop_id  String,
    paid_on  Date,
    order_id String
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(paid_on)
ORDER BY (shop_id, paid_on, order_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.paid_orders_by_day_index
TO {database}.paid_orders_by_day AS
SELECT shop_id, toDate(assumeNotNull(paid_at), 'UTC') AS paid_on, order_id
FROM {database}.orders
WHERE paid_at IS NOT NULL;

CREATE TABLE IF NOT EXISTS {database}.refunds_by_day
(
    shop_id   String,
    day       Date,
    refund_id String
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (shop_id, day, refund_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.refunds_by_day_index
TO {database}.refunds_by_day AS
SELECT shop_id, toDate(assumeNotNull(at), 'UTC') AS day, refund_id
FROM {database}.refunds
ARRAY JOIN [decided_at, dispute_closed_at] AS at
WHERE at IS NOT NULL;

INSERT INTO {database}.paid_orders_by_day
SELECT shop_id, toDate(assumeNotNull(paid_at), 'UTC'), order_id
FROM {database}.orders
WHERE paid_at IS NOT NULL;

INSERT INTO {database}.refunds_by_day
SELECT shop_id, toDate(assumeNotNull(at), 'UTC'), refund_id
FROM {database}.refunds
ARRAY JOIN [decided_at, dispute_closed_at] AS at
WHERE at IS NOT NULL;

-- The marks (see the header).
CREATE OR REPLACE VIEW {database}.order_paid_times AS
SELECT shop_id, order_id, paid_at FROM {database}.orders;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_paid_orders
TO {database}.rollup_state AS
SELECT 'paid_orders_daily' AS view_name, shop_id,
    toDateTime(toDate(at, 'UTC') + shift, 'UTC') AS period,
    now64(6, 'UTC') AS changed_at, toUInt8(0) AS fresh
FROM
(
    SELECT shop_id, paid_at AS at FROM {database}.orders
    UNION ALL
    SELECT shop_id, paid_at FROM {database}.order_paid_times
    WHERE (shop_id, order_id) IN (SELECT shop_id, order_id FROM {database}.orders)
)
ARRAY JOIN [-1, 0, 1] AS shift
WHERE at IS NOT NULL
GROUP BY shop_id, period;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_refunds
TO {database}.rollup_state AS
SELECT 'refund_daily' AS view_name, shop_id,
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

-- A store migrated from an earlier release: every day its orders and refunds touch is
-- marked once, now (the lists above hold them all).
INSERT INTO {database}.rollup_state
SELECT 'paid_orders_daily', shop_id, toDateTime(paid_on + shift, 'UTC'), now64(6, 'UTC'), 0
FROM (SELECT DISTINCT shop_id, paid_on FROM {database}.paid_orders_by_day)
ARRAY JOIN [-1, 0, 1] AS shift;

INSERT INTO {database}.rollup_state
SELECT 'refund_daily', shop_id, toDateTime(day + shift, 'UTC'), now64(6, 'UTC'), 0
FROM (SELECT DISTINCT shop_id, day FROM {database}.refunds_by_day)
ARRAY JOIN [-1, 0, 1] AS shift;

-- paid_orders_daily and refund_daily: the FINAL computations of 0008 (the references the
-- rollups must equal)
CREATE OR REPLACE VIEW {database}.paid_orders_daily_final AS
SELECT shop_id, assumeNotNull(paid_date) AS day, count() AS paid_orders
FROM {database}.paid_order_days
GROUP BY shop_id, day;

CREATE OR REPLACE VIEW {database}.refund_daily_final AS
SELECT
    shop_id,
    agent_id,
    day,
    sum(n_merchant) AS merchant_disputes,
    sum(n_closed) AS closed_disputes,
    sum(n_resolved) AS resolved_disputes,
    sum(n_decided) AS decided_refunds,
    sum(s_processing) AS processing_seconds_sum
FROM
(
    SELECT
        shop_id, agent_id, assumeNotNull(closed_date) AS day,
        countIf(merchant_responsible = 1) AS n_merchant,
        countIf(disputed = 1) AS n_closed,
        countIf(disputed = 1 AND ifNull(responsibility, '') != 'merchant') AS n_resolved,
        toUInt64(0) AS n_decided,
        toFloat64(0) AS s_processing
    FROM {database}.refund_days
    WHERE closed_date IS NOT NULL
    GROUP BY shop_id, agent_id, day

    UNION ALL

    SELECT
        shop_id, agent_id, assumeNotNull(decided_date) AS day,
        toUInt64(0) AS n_merchant, toUInt64(0) AS n_closed, toUInt64(0) AS n_resolved,
        count() AS n_decided,
        sum(assumeNotNull(processing_seconds)) AS s_processing
    FROM {database}.refund_days
    WHERE decided_date IS NOT NULL AND processing_seconds IS NOT NULL
    GROUP BY shop_id, agent_id, day
)
GROUP BY shop_id, agent_id, day;

-- The same on the days first..last (see the header)
CREATE OR REPLACE VIEW {database}.paid_orders_daily_between AS
SELECT shop_id, assumeNotNull(paid_date) AS day, count() AS paid_orders
FROM {database}.paid_order_days
WHERE paid_date BETWEEN {first:Date} AND {last:Date}
  AND (shop_id, order_id) IN
    (SELECT shop_id, order_id FROM {database}.paid_orders_by_day
     WHERE paid_on BETWEEN toDate32({first:Date}) - 1 AND toDate32({last:Date}) + 1)
GROUP BY shop_id, day;

CREATE OR REPLACE VIEW {database}.refund_daily_between AS
SELECT
    shop_id,
    agent_id,
    day,
    sum(n_merchant) AS merchant_disputes,
    sum(n_closed) AS closed_disputes,
    sum(n_resolved) AS resolved_disputes,
    sum(n_decided) AS decided_refunds,
    sum(s_processing) AS processing_seconds_sum
FROM
(
    SELECT
        shop_id, agent_id, assumeNotNull(closed_date) AS day,
        countIf(merchant_responsible = 1) AS n_merchant,
        countIf(disputed = 1) AS n_closed,
        countIf(disputed = 1 AND ifNull(responsibility, '') != 'merchant') AS n_resolved,
        toUInt64(0) AS n_decided,
        toFloat64(0) AS s_processing
    FROM {database}.refund_days
    WHERE closed_date BETWEEN {first:Date} AND {last:Date}
      AND (shop_id, refund_id) IN
        (SELECT shop_id, refund_id FROM {database}.refunds_by_day
         WHERE day BETWEEN toDate32({first:Date}) - 1 AND toDate32({last:Date}) + 1)
    GROUP BY shop_id, agent_id, day

    UNION ALL

    SELECT
        shop_id, agent_id, assumeNotNull(decided_date) AS day,
        toUInt64(0) AS n_merchant, toUInt64(0) AS n_closed, toUInt64(0) AS n_resolved,
        count() AS n_decided,
        sum(assumeNotNull(processing_seconds)) AS s_processing
    FROM {database}.refund_days
    WHERE decided_date BETWEEN {first:Date} AND {last:Date} AND processing_seconds IS NOT NULL
      AND (shop_id, refund_id) IN
        (SELECT shop_id, refund_id FROM {database}.refunds_by_day
         WHERE day BETWEEN toDate32({first:Date}) - 1 AND toDate32({last:Date}) + 1)
    GROUP BY shop_id, agent_id, day
)
GROUP BY shop_id, agent_id, day;

CREATE TABLE IF NOT EXISTS {database}.paid_orders_daily_rollup
(
    shop_id     String,
    day         Date,
    paid_orders UInt64,
    computed_at DateTime64(6, 'UTC')
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (shop_id, day);

CREATE TABLE IF NOT EXISTS {database}.refund_daily_rollup
(
    shop_id                String,
    agent_id               String,
    day                    Date,
    merchant_disputes      UInt64,
    closed_disputes        UInt64,
    resolved_disputes      UInt64,
    decided_refunds        UInt64,
    processing_seconds_sum Float64,
    computed_at            DateTime64(6, 'UTC')
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (shop_id, day, agent_id);

-- The interface views, as 0026's: fresh days from the rollup, changed days computed at
-- read time on the range of the changed days.
CREATE OR REPLACE VIEW {database}.paid_orders_daily AS
SELECT * EXCEPT (computed_at) FROM {database}.paid_orders_daily_rollup
WHERE (shop_id, toDateTime(day, 'UTC'), computed_at) IN
    (SELECT shop_id, period, changed_at FROM {database}.rollup_state FINAL
     WHERE view_name = 'paid_orders_daily' AND fresh = 1)
UNION ALL
SELECT * FROM {database}.paid_orders_daily_between(
    first = (SELECT toDate(min(period)) FROM {database}.rollup_state FINAL
             WHERE view_name = 'paid_orders_daily' AND fresh = 0),
    last = (SELECT toDate(max(period)) FROM {database}.rollup_state FINAL
            WHERE view_name = 'paid_orders_daily' AND fresh = 0))
WHERE (shop_id, toDateTime(day, 'UTC')) IN
    (SELECT shop_id, period FROM {database}.rollup_state FINAL
     WHERE view_name = 'paid_orders_daily' AND fresh = 0);

CREATE OR REPLACE VIEW {database}.refund_daily AS
SELECT * EXCEPT (computed_at) FROM {database}.refund_daily_rollup
WHERE (shop_id, toDateTime(day, 'UTC'), computed_at) IN
    (SELECT shop_id, period, changed_at FROM {database}.rollup_state FINAL
     WHERE view_name = 'refund_daily' AND fresh = 1)
UNION ALL
SELECT * FROM {database}.refund_daily_between(
    first = (SELECT toDate(min(period)) FROM {database}.rollup_state FINAL
             WHERE view_name = 'refund_daily' AND fresh = 0),
    last = (SELECT toDate(max(period)) FROM {database}.rollup_state FINAL
            WHERE view_name = 'refund_daily' AND fresh = 0))
WHERE (shop_id, toDateTime(day, 'UTC')) IN
    (SELECT shop_id, period FROM {database}.rollup_state FINAL
     WHERE view_name = 'refund_daily' AND fresh = 0);

-- The readers. agent_scores joined shop_refund_rates_30d for its paid orders only, and
-- agent_refund_rates_30d likewise, so every scorecard read computed refund_daily three
-- times; each read of a rollup-backed view plans its read-time side, about 40 ms here.
-- They now join the paid orders alone. agent_kpi_daily computes its changed days with
-- refund_daily_between on the same days, and its reference with refund_daily_final, so
-- neither depends on the refund rollup's refreshes.

-- The trailing 30 days' paid orders per shop: the denominator of the dispute refund rate,
-- for agent_refund_rates_30d and agent_scores, which need no other shop rate.
CREATE OR REPLACE VIEW {database}.shop_paid_orders_30d AS
SELECT shop_id, day + k AS as_of_date, sum(paid_orders) AS paid_orders
FROM {database}.paid_orders_daily
ARRAY JOIN range(30) AS k
GROUP BY shop_id, as_of_date;

CREATE OR REPLACE VIEW {database}.agent_refund_rates_30d AS
SELECT
    a.shop_id AS shop_id,
    a.agent_id AS agent_id,
    a.as_of_date AS as_of_date,
    a.as_of_date - 29 AS window_start,
    s.paid_orders AS shop_paid_orders,
    a.n_merchant AS merchant_disputes,
    if(shop_paid_orders = 0, NULL, merchant_disputes / shop_paid_orders) AS dispute_refund_rate,
    a.n_closed AS closed_disputes,
    a.n_resolved AS resolved_disputes,
    if(closed_disputes = 0, NULL, resolved_disputes / closed_disputes) AS dispute_resolution_rate,
    a.n_decided AS decided_refunds,
    if(decided_refunds = 0, NULL, a.s_processing / decided_refunds) AS avg_refund_seconds
FROM
(
    SELECT
        shop_id, agent_id, day + k AS as_of_date,
        sum(merchant_disputes) AS n_merchant, sum(closed_disputes) AS n_closed,
        sum(resolved_disputes) AS n_resolved, sum(decided_refunds) AS n_decided,
        sum(processing_seconds_sum) AS s_processing
    FROM {database}.refund_daily
    ARRAY JOIN range(30) AS k
    GROUP BY shop_id, agent_id, as_of_date
) AS a
LEFT JOIN {database}.shop_paid_orders_30d AS s
    ON s.shop_id = a.shop_id AND s.as_of_date = a.as_of_date;

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
    LEFT JOIN {database}.shop_paid_orders_30d AS s
        ON s.shop_id = k.shop_id AND s.as_of_date = k.period_end
);

-- 0025's text, refunds from refund_daily_between
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
    FROM {database}.refund_daily_between(first = {first:Date}, last = {last:Date})
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

-- 0025's text, refunds from refund_daily_final
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
    FROM {database}.refund_daily_final
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
