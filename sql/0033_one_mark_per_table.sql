-- 0033: one marking view per fact table instead of one per rollup family.
--   * Each fact table that feeds both the daily rollups (0023, 0027) and the KPI rollup
--     (0025) had two marking views, each a separate insert into rollup_changes (and on
--     through rollup_changes_to_state) for every block written to the table: on the
--     embedded store a marking view costs a fact insert about as much as the insert itself
--     (BENCHMARKS.md, "One marking view per fact table").
--   * Each view below marks the union of the two it replaces: the same periods for the
--     same rows, so the rollups refresh exactly as before.
--   * orders keeps its two: they read different side tables (buyer_paid_orders,
--     order_paid_times) for different periods.
-- Run with the writers stopped, as every migration: an insert between a DROP and the
-- CREATE after it would mark nothing.

DROP VIEW IF EXISTS {database}.rollup_marks_kpi_inquiries;
DROP VIEW IF EXISTS {database}.rollup_marks_inquiries;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_inquiries
TO {database}.rollup_changes AS
SELECT view_name, shop_id, period, now64(6, 'UTC') AS changed_at
FROM {database}.inquiries
ARRAY JOIN
    [toDateTime(business_date, 'UTC'), toStartOfHour(toDateTime(effective_opened_at, 'UTC'))]
        AS periods,
    [['shop_daily', 'agent_daily', 'agent_kpi_daily'],
     ['shop_minutely', 'agent_minutely', 'shop_hourly', 'agent_hourly']] AS tiers
ARRAY JOIN tiers AS view_name
GROUP BY view_name, shop_id, periods AS period;

DROP VIEW IF EXISTS {database}.rollup_marks_kpi_buyer_days;
DROP VIEW IF EXISTS {database}.rollup_marks_buyer_days;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_buyer_days
TO {database}.rollup_changes AS
SELECT view_name, shop_id, toDateTime(business_date + shift, 'UTC') AS period,
    now64(6, 'UTC') AS changed_at
FROM {database}.buyer_days
ARRAY JOIN [-3, -2, -1, 0, 1, 2, 3] AS shift
ARRAY JOIN ['shop_daily', 'agent_daily', 'agent_kpi_daily'] AS view_name
GROUP BY view_name, shop_id, period;

DROP VIEW IF EXISTS {database}.rollup_marks_kpi_ratings;
DROP VIEW IF EXISTS {database}.rollup_marks_ratings;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_ratings
TO {database}.rollup_changes AS
SELECT view_name, shop_id, toDateTime(business_date, 'UTC') AS period,
    now64(6, 'UTC') AS changed_at
FROM {database}.ratings
ARRAY JOIN ['shop_daily', 'agent_daily', 'agent_kpi_daily'] AS view_name
GROUP BY view_name, shop_id, period;

DROP VIEW IF EXISTS {database}.rollup_marks_kpi_replies;
DROP VIEW IF EXISTS {database}.rollup_marks_replies;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_replies
TO {database}.rollup_changes AS
SELECT view_name, shop_id,
    toDateTime(toDate(occurred_at, 'UTC') + shift, 'UTC') AS period,
    now64(6, 'UTC') AS changed_at
FROM {database}.chat_messages
ARRAY JOIN [-1, 0, 1] AS shift
ARRAY JOIN ['agent_daily', 'agent_kpi_daily'] AS view_name
WHERE sender = 'agent'
GROUP BY view_name, shop_id, period;

DROP VIEW IF EXISTS {database}.rollup_marks_kpi_qc_findings;
DROP VIEW IF EXISTS {database}.rollup_marks_qc_findings;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_qc_findings
TO {database}.rollup_changes AS
SELECT view_name, shop_id, toDateTime(business_date, 'UTC') AS period,
    now64(6, 'UTC') AS changed_at
FROM {database}.qc_findings
ARRAY JOIN ['agent_daily', 'agent_kpi_daily'] AS view_name
GROUP BY view_name, shop_id, period;

DROP VIEW IF EXISTS {database}.rollup_marks_kpi_complaints;
DROP VIEW IF EXISTS {database}.rollup_marks_complaints;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_complaints
TO {database}.rollup_changes AS
SELECT view_name, c.shop_id AS shop_id, toDateTime(day, 'UTC') AS period,
    now64(6, 'UTC') AS changed_at
FROM {database}.complaints AS c
LEFT JOIN {database}.complaint_days AS d
    ON d.shop_id = c.shop_id AND d.complaint_id = c.complaint_id
ARRAY JOIN [c.business_date, d.business_date] AS day
ARRAY JOIN ['shop_daily', 'agent_daily', 'agent_kpi_daily'] AS view_name
WHERE day > toDate(0)
GROUP BY view_name, shop_id, period;

DROP VIEW IF EXISTS {database}.rollup_marks_kpi_refunds;
DROP VIEW IF EXISTS {database}.rollup_marks_refunds;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_refunds
TO {database}.rollup_changes AS
SELECT view_name, shop_id,
    toDateTime(toDate(at, 'UTC') + shift, 'UTC') AS period,
    now64(6, 'UTC') AS changed_at
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
ARRAY JOIN ['refund_daily', 'agent_kpi_daily'] AS view_name
WHERE at IS NOT NULL
GROUP BY view_name, shop_id, period;
