-- 0032: the scorecard read from a rollup of its own.
-- agent_scores computed every score at read time from agent_kpi_periods and the 30-day
-- refund rates: with every input period fresh it read a few thousand rollup rows, but
-- planning its stack of views took 0.2-0.27 s a read (docs/storage-benchmarks.md). Its
-- rows are now refreshed into agent_scores_rollup like the other rollups (docs/analysts.md
-- "Rollups"), with one difference: its inputs are rollup-backed views, not fact tables, so
-- its periods are marked from their marks.
--   * A score row's period in rollup_state is its period_start (a day), for every kind at
--     once: a day, the week starting that Monday and the month starting that 1st share a
--     mark, which only refreshes them together.
--   * Each mark of an input (agent_kpi_daily, paid_orders_daily, refund_daily) in
--     rollup_changes is mapped, by a materialized view, to the score periods it reaches: a
--     day of agent_kpi_daily reaches the day, its week and its month; a day of
--     paid_orders_daily or refund_daily reaches every score row whose 30-day window ends
--     within the 30 days from it. Those marks, with the input mark's stamp, go to a table
--     of their own, rollup_derived_changes (a materialized view cannot write to the table
--     it reads), which forwards them to rollup_state as rollup_changes does; rollup_dirty
--     reads the keys of both. So the score periods are marked by the same insert that
--     marks their inputs, and everything else (settling, stamps, the refresh, the DELETE of
--     covered marks) is the other rollups'.
-- agent_scores_final is 0027's agent_scores, the computation the rollup stores and the
-- reference the tests hold the view to.

CREATE OR REPLACE VIEW {database}.agent_scores_final AS
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

CREATE TABLE IF NOT EXISTS {database}.agent_scores_rollup
(
    period                         String,
    period_start                   Date,
    period_end                     Date,
    shop_id                        String,
    agent_id                       String,
    role                           String,
    stage                          String,
    score                          Nullable(Float64),
    metrics_scored                 UInt64,
    coaching_metric                String,
    coaching_topic                 String,
    response_speed                 Nullable(Float64),
    response_speed_score           Nullable(Float64),
    response_speed_weight          Float64,
    conversion_rate                Nullable(Float64),
    conversion_rate_score          Nullable(Float64),
    conversion_rate_weight         Float64,
    positive_rating_rate           Nullable(Float64),
    positive_rating_rate_score     Nullable(Float64),
    positive_rating_rate_weight    Float64,
    avg_order_value                Nullable(Float64),
    avg_order_value_score          Nullable(Float64),
    avg_order_value_weight         Float64,
    repeat_purchase_rate           Nullable(Float64),
    repeat_purchase_rate_score     Nullable(Float64),
    repeat_purchase_rate_weight    Float64,
    complaint_rate                 Nullable(Float64),
    complaint_rate_score           Nullable(Float64),
    complaint_rate_weight          Float64,
    dispute_resolution_rate        Nullable(Float64),
    dispute_resolution_rate_score  Nullable(Float64),
    dispute_resolution_rate_weight Float64,
    refund_speed                   Nullable(Float64),
    refund_speed_score             Nullable(Float64),
    refund_speed_weight            Float64,
    dispute_refund_rate            Nullable(Float64),
    dispute_refund_rate_score      Nullable(Float64),
    dispute_refund_rate_weight     Float64,
    work_order_sla_rate            Nullable(Float64),
    work_order_sla_rate_score      Nullable(Float64),
    work_order_sla_rate_weight     Float64,
    qc_score                       Nullable(Float64),
    qc_score_score                 Nullable(Float64),
    qc_score_weight                Float64,
    computed_at                    DateTime64(6, 'UTC')
)
ENGINE = ReplacingMergeTree(computed_at)
PARTITION BY toYYYYMM(period_start)
ORDER BY (shop_id, period_start, period, agent_id);

CREATE TABLE IF NOT EXISTS {database}.rollup_derived_changes
(
    view_name  LowCardinality(String),
    shop_id    String,
    period     DateTime('UTC'),
    changed_at DateTime64(6, 'UTC')
)
ENGINE = ReplacingMergeTree(changed_at)
ORDER BY (view_name, shop_id, period);

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_derived_changes_to_state
TO {database}.rollup_state AS
SELECT view_name, shop_id, period, changed_at, toUInt8(0) AS fresh
FROM {database}.rollup_derived_changes;

-- The input columns are read in a sub-select: outside, the aliases view_name and period
-- would stand for the new values in every expression.
CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_scores
TO {database}.rollup_derived_changes AS
SELECT 'agent_scores' AS view_name, shop_id, toDateTime(reached, 'UTC') AS period, changed_at
FROM
(
    SELECT shop_id, changed_at, toDate(period) AS day,
        if(view_name = 'agent_kpi_daily',
           [day, toMonday(day), toStartOfMonth(day)],
           -- windows ending on the day and the 29 after it: day rows, weeks, months
           arrayDistinct(arrayConcat(
               arrayMap(k -> day + k, range(30)),
               arrayFilter(m -> toDayOfWeek(m) = 1, arrayMap(k -> day - 6 + k, range(30))),
               arrayMap(e -> toStartOfMonth(e),
                        arrayFilter(e -> e = toLastDayOfMonth(e),
                                    arrayMap(k -> day + k, range(30))))))) AS reach
    FROM {database}.rollup_changes
    WHERE view_name IN ('agent_kpi_daily', 'paid_orders_daily', 'refund_daily')
)
ARRAY JOIN reach AS reached;

-- As 0030's, the keys of both tables of marks.
CREATE OR REPLACE VIEW {database}.rollup_dirty AS
SELECT view_name, shop_id, period, changed_at
FROM {database}.rollup_state FINAL
WHERE fresh = 0
  AND (view_name, shop_id, period) IN
    (SELECT view_name, shop_id, period FROM {database}.rollup_changes
     UNION ALL
     SELECT view_name, shop_id, period FROM {database}.rollup_derived_changes);

CREATE OR REPLACE VIEW {database}.agent_scores_changed AS
SELECT * FROM {database}.agent_scores_final
WHERE (shop_id, toDateTime(period_start, 'UTC')) IN
    (SELECT shop_id, period FROM {database}.rollup_dirty WHERE view_name = 'agent_scores');

CREATE OR REPLACE VIEW {database}.agent_scores AS
SELECT r.* EXCEPT (computed_at)
FROM {database}.agent_scores_rollup AS r
INNER JOIN
    (SELECT shop_id, toDate(period) AS period_start, changed_at
     FROM {database}.rollup_state FINAL
     WHERE view_name = 'agent_scores' AND fresh = 1) AS s
    ON s.shop_id = r.shop_id AND s.period_start = r.period_start
   AND s.changed_at = r.computed_at
UNION ALL
SELECT * FROM merge('{database}', '^agent_scores_changed$')
WHERE _table = (SELECT if(count() = 0, '', 'agent_scores_changed') FROM {database}.rollup_dirty
                WHERE view_name = 'agent_scores');

-- The scores whose period starts between {first} and {last}, equal to agent_scores with
-- that filter. A changed score period outside the range does not make it plan the
-- read-time side, which agent_scores plans whenever any score period is changed (on a live
-- store, always: today's). `kefu score` reads it.
CREATE OR REPLACE VIEW {database}.agent_scores_between AS
SELECT r.* EXCEPT (computed_at)
FROM {database}.agent_scores_rollup AS r
INNER JOIN
    (SELECT shop_id, toDate(period) AS period_start, changed_at
     FROM {database}.rollup_state FINAL
     WHERE view_name = 'agent_scores' AND fresh = 1
       AND period BETWEEN toDateTime({first:Date}, 'UTC') AND toDateTime({last:Date}, 'UTC')) AS s
    ON s.shop_id = r.shop_id AND s.period_start = r.period_start
   AND s.changed_at = r.computed_at
WHERE r.period_start BETWEEN {first:Date} AND {last:Date}
UNION ALL
SELECT * FROM merge('{database}', '^agent_scores_changed$')
WHERE _table = (SELECT if(count() = 0, '', 'agent_scores_changed') FROM {database}.rollup_dirty
                WHERE view_name = 'agent_scores'
                  AND period BETWEEN toDateTime({first:Date}, 'UTC') AND toDateTime({last:Date}, 'UTC'))
  AND period_start BETWEEN {first:Date} AND {last:Date};

-- Every score period a store already has is changed, for the refresher to store.
INSERT INTO {database}.rollup_derived_changes (view_name, shop_id, period, changed_at)
SELECT DISTINCT 'agent_scores', shop_id, toDateTime(period_start, 'UTC'), now64(6, 'UTC')
FROM {database}.agent_kpi_periods;
