-- 0008: the after-sales rates and the KPI scorecard (metrics.md 3-6, interfaces.md).
--
-- Settings views (kpi_weights, kpi_defaults, kpi_agent_roles, kpi_shop_stages,
-- refund_days, paid_order_days) hold what the config file says: weights, floors and
-- targets per role and stage, coaching topics, agent roles, shop stages, and the shop
-- time zones (ClickHouse takes a zone only as a constant, so local dates of refunds and
-- orders are computed with one constant branch per zone). This file creates them with the
-- default settings; agents.kpi.store_views.apply_kpi_views re-creates them from the
-- configuration at start-up and on `kefu score` (tests keep the two texts identical).
--
-- Refund rates (metrics.md 4), trailing 30 shop-local days ending on as_of_date:
--   dispute_refund_rate     = merchant-responsible disputes (by dispute close date)
--                             / orders paid in the window (by paid date; for an agent, the
--                             shop's paid orders, so an agent's rates add up to the shop's)
--   dispute_resolution_rate = disputed refunds closed with a responsibility other than
--                             merchant / disputed refunds closed (by close date)
--   avg_refund_seconds      = mean processing time (first decision - request) of the
--                             refunds decided in the window (by decision date)
-- A refund counts for refunds.agent_id (the latest event naming an agent).
--
-- agent_kpi_daily holds the sums behind each scored metric per agent and business day,
-- with the attribution of agent_daily (0007): inquiries and consulting buyer-days by the
-- inquiry's agent, conversions by conversion_agent_id, ratings and complaints by their
-- agent_id. agent_kpi_periods sums them per day, ISO week and month; agent_scores scores
-- them (see agents/kpi/scoring.py for the same rules in Python):
--   metric score = 100 * clamp((value - floor) / (target - floor), 0, 1)
--   score        = sum(score * weight) / sum(weight) over the metrics that have a value
--   coaching     = the scored metric with the lowest score (then higher weight, then order),
--                  none when every scored metric is at its target
-- Trailing-30-day metrics take their value as of the period's last day.

-- settings: kpi.weights (role, stage, metric, weight, floor, target)
CREATE OR REPLACE VIEW {database}.kpi_weights AS
SELECT * FROM values('role String, stage String, metric String, weight Float64, floor Float64, target Float64',
    ('presale', 'launch', 'response_speed', 0.3, 120.0, 20.0),
    ('presale', 'launch', 'conversion_rate', 0.4, 0.1, 0.5),
    ('presale', 'launch', 'positive_rating_rate', 0.3, 0.6, 0.95),
    ('presale', 'steady', 'response_speed', 0.25, 120.0, 20.0),
    ('presale', 'steady', 'conversion_rate', 0.3, 0.1, 0.5),
    ('presale', 'steady', 'positive_rating_rate', 0.25, 0.6, 0.95),
    ('presale', 'steady', 'avg_order_value', 0.1, 20.0, 100.0),
    ('presale', 'steady', 'repeat_purchase_rate', 0.1, 0.0, 0.3),
    ('aftersale', 'launch', 'complaint_rate', 0.3, 0.05, 0.005),
    ('aftersale', 'launch', 'dispute_resolution_rate', 0.5, 0.3, 0.9),
    ('aftersale', 'launch', 'refund_speed', 0.2, 21600.0, 1800.0),
    ('aftersale', 'steady', 'complaint_rate', 0.3, 0.05, 0.005),
    ('aftersale', 'steady', 'dispute_resolution_rate', 0.5, 0.3, 0.9),
    ('aftersale', 'steady', 'refund_speed', 0.2, 21600.0, 1800.0));

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
        'dispute_refund_rate', 'refund policy and merchant responsibility (退款规则)'
    ) AS coaching;

-- settings: kpi.agent_roles
CREATE OR REPLACE VIEW {database}.kpi_agent_roles AS
SELECT '' AS agent_id, '' AS role WHERE 0;

-- settings: kpi.shop_stages
CREATE OR REPLACE VIEW {database}.kpi_shop_stages AS
SELECT '' AS shop_id, '' AS stage WHERE 0;

-- settings: shop time zones. Refunds (latest state) with the shop-local dates of
-- their decision and of their dispute's close (metrics.md 4).
CREATE OR REPLACE VIEW {database}.refund_days AS
SELECT *, toDate(decided_at, 'Asia/Shanghai') AS decided_date,
    toDate(dispute_closed_at, 'Asia/Shanghai') AS closed_date
FROM {database}.refunds FINAL;

-- settings: shop time zones. Paid orders with the shop-local date of payment.
CREATE OR REPLACE VIEW {database}.paid_order_days AS
SELECT *, toDate(paid_at, 'Asia/Shanghai') AS paid_date
FROM {database}.orders FINAL
WHERE paid_at IS NOT NULL;


-- Refund facts per shop, agent and shop-local day.
CREATE OR REPLACE VIEW {database}.refund_daily AS
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

CREATE OR REPLACE VIEW {database}.paid_orders_daily AS
SELECT shop_id, assumeNotNull(paid_date) AS day, count() AS paid_orders
FROM {database}.paid_order_days
GROUP BY shop_id, day;

-- Each day's facts count towards the 30 windows ending on it and the 29 days after it.
CREATE OR REPLACE VIEW {database}.shop_refund_rates_30d AS
SELECT
    shop_id,
    as_of_date,
    as_of_date - 29 AS window_start,
    sum(n_paid) AS paid_orders,
    sum(n_merchant) AS merchant_disputes,
    if(paid_orders = 0, NULL, merchant_disputes / paid_orders) AS dispute_refund_rate,
    sum(n_closed) AS closed_disputes,
    sum(n_resolved) AS resolved_disputes,
    if(closed_disputes = 0, NULL, resolved_disputes / closed_disputes) AS dispute_resolution_rate,
    sum(n_decided) AS decided_refunds,
    if(decided_refunds = 0, NULL, sum(s_processing) / decided_refunds) AS avg_refund_seconds
FROM
(
    SELECT
        shop_id, day + k AS as_of_date, paid_orders AS n_paid,
        toUInt64(0) AS n_merchant, toUInt64(0) AS n_closed, toUInt64(0) AS n_resolved,
        toUInt64(0) AS n_decided, toFloat64(0) AS s_processing
    FROM {database}.paid_orders_daily
    ARRAY JOIN range(30) AS k

    UNION ALL

    SELECT
        shop_id, day + k AS as_of_date, toUInt64(0) AS n_paid,
        merchant_disputes AS n_merchant, closed_disputes AS n_closed,
        resolved_disputes AS n_resolved, decided_refunds AS n_decided,
        processing_seconds_sum AS s_processing
    FROM {database}.refund_daily
    ARRAY JOIN range(30) AS k
)
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
LEFT JOIN {database}.shop_refund_rates_30d AS s
    ON s.shop_id = a.shop_id AND s.as_of_date = a.as_of_date;

-- Sums behind the scored metrics per agent and business day. An agent who only decided
-- refunds gets rows too (decided_refunds), so after-sales agents are scored.
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
    sum(n_decided) AS decided_refunds
FROM
(
    SELECT
        shop_id, agent_id, business_date,
        count(response_seconds) AS n_answered,
        sum(ifNull(response_seconds, 0)) AS s_response,
        uniqExact(buyer_id) AS n_buyers,
        toUInt64(0) AS n_converted, toDecimal128(0, 2) AS s_amount, toUInt64(0) AS n_repeat,
        toUInt64(0) AS n_ratings, toUInt64(0) AS n_positive, toUInt64(0) AS n_complaints,
        toUInt64(0) AS n_decided
    FROM {database}.inquiries FINAL
    GROUP BY shop_id, agent_id, business_date

    UNION ALL

    -- a repeat purchase: the converting order is not the buyer's first paid order at the shop
    SELECT
        b.shop_id AS shop_id, b.conversion_agent_id AS agent_id, b.business_date AS business_date,
        toUInt64(0) AS n_answered, toFloat64(0) AS s_response, toUInt64(0) AS n_buyers,
        count() AS n_converted,
        sum(ifNull(b.order_amount, toDecimal64(0, 2))) AS s_amount,
        countIf(f.first_order != '' AND f.first_order != ifNull(b.order_id, '')) AS n_repeat,
        toUInt64(0) AS n_ratings, toUInt64(0) AS n_positive, toUInt64(0) AS n_complaints,
        toUInt64(0) AS n_decided
    FROM (SELECT * FROM {database}.buyer_days FINAL WHERE converted = 1) AS b
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
        toUInt64(0) AS n_decided
    FROM {database}.ratings FINAL
    GROUP BY shop_id, agent_id, business_date

    UNION ALL

    SELECT
        shop_id, agent_id, business_date,
        toUInt64(0) AS n_answered, toFloat64(0) AS s_response, toUInt64(0) AS n_buyers,
        toUInt64(0) AS n_converted, toDecimal128(0, 2) AS s_amount, toUInt64(0) AS n_repeat,
        toUInt64(0) AS n_ratings, toUInt64(0) AS n_positive, count() AS n_complaints,
        toUInt64(0) AS n_decided
    FROM {database}.complaints FINAL
    GROUP BY shop_id, agent_id, business_date

    UNION ALL

    SELECT
        shop_id, agent_id, day AS business_date,
        toUInt64(0) AS n_answered, toFloat64(0) AS s_response, toUInt64(0) AS n_buyers,
        toUInt64(0) AS n_converted, toDecimal128(0, 2) AS s_amount, toUInt64(0) AS n_repeat,
        toUInt64(0) AS n_ratings, toUInt64(0) AS n_positive, toUInt64(0) AS n_complaints,
        decided_refunds AS n_decided
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
    if(answered = 0, NULL, response_seconds_sum / answered) AS response_speed,
    if(consulting_buyers = 0, NULL, converted_buyers / consulting_buyers) AS conversion_rate,
    if(ratings = 0, NULL, positive_ratings / ratings) AS positive_rating_rate,
    if(converted_buyers = 0, NULL, toFloat64(converted_amount) / converted_buyers) AS avg_order_value,
    if(converted_buyers = 0, NULL, repeat_buyers / converted_buyers) AS repeat_purchase_rate,
    if(consulting_buyers = 0, NULL, complaints / consulting_buyers) AS complaint_rate
FROM
(
    SELECT
        shop_id, agent_id, business_date,
        answered AS d_answered, response_seconds_sum AS d_response,
        consulting_buyers AS d_buyers, converted_buyers AS d_converted,
        converted_amount AS d_amount, repeat_buyers AS d_repeat, ratings AS d_ratings,
        positive_ratings AS d_positive, complaints AS d_complaints, decided_refunds AS d_decided
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
    vals[9] AS dispute_refund_rate, scores[9] AS dispute_refund_rate_score, weights[9] AS dispute_refund_rate_weight
FROM
(
    SELECT
        k.period AS period, k.period_start AS period_start, k.period_end AS period_end,
        k.shop_id AS shop_id, k.agent_id AS agent_id, k.role AS role, k.stage AS stage,
        k.coaching AS coaching,
        -- the order of agents.kpi.metrics.METRICS
        ['response_speed', 'conversion_rate', 'positive_rating_rate', 'avg_order_value',
         'repeat_purchase_rate', 'complaint_rate', 'dispute_resolution_rate', 'refund_speed',
         'dispute_refund_rate'] AS names,
        [k.response_speed, k.conversion_rate, k.positive_rating_rate, k.avg_order_value,
         k.repeat_purchase_rate, k.complaint_rate, r.dispute_resolution_rate,
         r.avg_refund_seconds,
         -- an agent without a dispute in the window still has a rate (0) if the shop sold
         if(s.paid_orders = 0, NULL, r.merchant_disputes / s.paid_orders)] AS vals,
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
