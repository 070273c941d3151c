-- 0030: the changed periods are kept apart, in rollup_changes, so finding them no longer
-- reads every period ever refreshed.
--   * Until now every reader of the changed periods (each view's read-time side, the
--     rollup_dirty test that decides whether to plan it, and the refresher) read
--     rollup_state FINAL for the whole view: fresh is not in its sort key, so FINAL
--     merged every period the view ever had (600k rows at 100M inquiries) to find the few
--     changed ones: the rollup_dirty check cost 3-4x more with a year of history
--     (docs/storage-benchmarks.md, which also says what else grows with it).
--   * The marks now go to rollup_changes, which forwards them to rollup_state (the
--     materialized view rollup_changes_to_state), and a refresh deletes the marks its stamp
--     covers (sinks/rollups.py). So rollup_changes holds the changed periods and few others.
--   * rollup_state still decides: a period is changed when its newest state there is a
--     mark. rollup_changes only narrows that read to its keys, which the sort key of
--     rollup_state turns into a few granules. It may hold more than the changed periods
--     (a refresher stopped between its two writes leaves covered marks behind), never
--     fewer: a mark reaches rollup_changes before rollup_state, and a refresh deletes only
--     marks older than a stamp it has already written to rollup_state.
--   * Marks written straight into rollup_state would not be seen: mark periods by
--     inserting into rollup_changes (sinks/rollups.py invalidate does).
-- Run with the writers stopped, as every migration: an insert between the copy below and
-- the new marking views would mark nothing.

CREATE TABLE IF NOT EXISTS {database}.rollup_changes
(
    view_name  LowCardinality(String),
    shop_id    String,
    period     DateTime('UTC'),
    changed_at DateTime64(6, 'UTC')
)
ENGINE = ReplacingMergeTree(changed_at)
ORDER BY (view_name, shop_id, period);

-- The periods changed now, before anything forwards to rollup_state (a copied mark would
-- come back to it).
INSERT INTO {database}.rollup_changes
SELECT view_name, shop_id, period, changed_at
FROM {database}.rollup_state FINAL
WHERE fresh = 0;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_changes_to_state
TO {database}.rollup_state AS
SELECT view_name, shop_id, period, changed_at, toUInt8(0) AS fresh
FROM {database}.rollup_changes;

-- The marking views of 0023, 0025 and 0027, their queries unchanged, now into rollup_changes.

DROP VIEW IF EXISTS {database}.rollup_marks_inquiries;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_inquiries
TO {database}.rollup_changes AS
SELECT view_name, shop_id, period, now64(6, 'UTC') AS changed_at
FROM {database}.inquiries
ARRAY JOIN
    [toDateTime(business_date, 'UTC'), toStartOfHour(toDateTime(effective_opened_at, 'UTC'))]
        AS periods,
    [['shop_daily', 'agent_daily'],
     ['shop_minutely', 'agent_minutely', 'shop_hourly', 'agent_hourly']] AS tiers
ARRAY JOIN tiers AS view_name
GROUP BY view_name, shop_id, periods AS period;

DROP VIEW IF EXISTS {database}.rollup_marks_buyer_days;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_buyer_days
TO {database}.rollup_changes AS
SELECT view_name, shop_id, toDateTime(business_date + shift, 'UTC') AS period,
    now64(6, 'UTC') AS changed_at
FROM {database}.buyer_days
ARRAY JOIN [-3, -2, -1, 0, 1, 2, 3] AS shift
ARRAY JOIN ['shop_daily', 'agent_daily'] AS view_name
GROUP BY view_name, shop_id, period;

DROP VIEW IF EXISTS {database}.rollup_marks_ratings;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_ratings
TO {database}.rollup_changes AS
SELECT view_name, shop_id, toDateTime(business_date, 'UTC') AS period,
    now64(6, 'UTC') AS changed_at
FROM {database}.ratings
ARRAY JOIN ['shop_daily', 'agent_daily'] AS view_name
GROUP BY view_name, shop_id, period;

DROP VIEW IF EXISTS {database}.rollup_marks_replies;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_replies
TO {database}.rollup_changes AS
SELECT 'agent_daily' AS view_name, shop_id,
    toDateTime(toDate(occurred_at, 'UTC') + shift, 'UTC') AS period,
    now64(6, 'UTC') AS changed_at
FROM {database}.chat_messages
ARRAY JOIN [-1, 0, 1] AS shift
WHERE sender = 'agent'
GROUP BY view_name, shop_id, period;

DROP VIEW IF EXISTS {database}.rollup_marks_qc_findings;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_qc_findings
TO {database}.rollup_changes AS
SELECT 'agent_daily' AS view_name, shop_id, toDateTime(business_date, 'UTC') AS period,
    now64(6, 'UTC') AS changed_at
FROM {database}.qc_findings
GROUP BY view_name, shop_id, period;

DROP VIEW IF EXISTS {database}.rollup_marks_complaints;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_complaints
TO {database}.rollup_changes AS
SELECT view_name, c.shop_id AS shop_id, toDateTime(day, 'UTC') AS period,
    now64(6, 'UTC') AS changed_at
FROM {database}.complaints AS c
LEFT JOIN {database}.complaint_days AS d
    ON d.shop_id = c.shop_id AND d.complaint_id = c.complaint_id
ARRAY JOIN [c.business_date, d.business_date] AS day
ARRAY JOIN ['shop_daily', 'agent_daily'] AS view_name
WHERE day > toDate(0)
GROUP BY view_name, shop_id, period;

DROP VIEW IF EXISTS {database}.rollup_marks_kpi_inquiries;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_kpi_inquiries
TO {database}.rollup_changes AS
SELECT 'agent_kpi_daily' AS view_name, shop_id, toDateTime(business_date, 'UTC') AS period,
    now64(6, 'UTC') AS changed_at
FROM {database}.inquiries
GROUP BY shop_id, period;

DROP VIEW IF EXISTS {database}.rollup_marks_kpi_buyer_days;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_kpi_buyer_days
TO {database}.rollup_changes AS
SELECT 'agent_kpi_daily' AS view_name, shop_id, toDateTime(business_date + shift, 'UTC') AS period,
    now64(6, 'UTC') AS changed_at
FROM {database}.buyer_days
ARRAY JOIN [-3, -2, -1, 0, 1, 2, 3] AS shift
GROUP BY shop_id, period;

DROP VIEW IF EXISTS {database}.rollup_marks_kpi_ratings;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_kpi_ratings
TO {database}.rollup_changes AS
SELECT 'agent_kpi_daily' AS view_name, shop_id, toDateTime(business_date, 'UTC') AS period,
    now64(6, 'UTC') AS changed_at
FROM {database}.ratings
GROUP BY shop_id, period;

DROP VIEW IF EXISTS {database}.rollup_marks_kpi_replies;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_kpi_replies
TO {database}.rollup_changes AS
SELECT 'agent_kpi_daily' AS view_name, shop_id,
    toDateTime(toDate(occurred_at, 'UTC') + shift, 'UTC') AS period,
    now64(6, 'UTC') AS changed_at
FROM {database}.chat_messages
ARRAY JOIN [-1, 0, 1] AS shift
WHERE sender = 'agent'
GROUP BY shop_id, period;

DROP VIEW IF EXISTS {database}.rollup_marks_kpi_qc_findings;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_kpi_qc_findings
TO {database}.rollup_changes AS
SELECT 'agent_kpi_daily' AS view_name, shop_id, toDateTime(business_date, 'UTC') AS period,
    now64(6, 'UTC') AS changed_at
FROM {database}.qc_findings
GROUP BY shop_id, period;

DROP VIEW IF EXISTS {database}.rollup_marks_kpi_complaints;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_kpi_complaints
TO {database}.rollup_changes AS
SELECT 'agent_kpi_daily' AS view_name, c.shop_id AS shop_id, toDateTime(day, 'UTC') AS period,
    now64(6, 'UTC') AS changed_at
FROM {database}.complaints AS c
LEFT JOIN {database}.complaint_days AS d
    ON d.shop_id = c.shop_id AND d.complaint_id = c.complaint_id
ARRAY JOIN [c.business_date, d.business_date] AS day
WHERE day > toDate(0)
GROUP BY shop_id, period;

DROP VIEW IF EXISTS {database}.rollup_marks_kpi_orders;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_kpi_orders
TO {database}.rollup_changes AS
SELECT 'agent_kpi_daily' AS view_name, shop_id,
    toDateTime(toDate(at, 'UTC') + shift, 'UTC') AS period,
    now64(6, 'UTC') AS changed_at
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

DROP VIEW IF EXISTS {database}.rollup_marks_kpi_refunds;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_kpi_refunds
TO {database}.rollup_changes AS
SELECT 'agent_kpi_daily' AS view_name, shop_id,
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
WHERE at IS NOT NULL
GROUP BY shop_id, period;

DROP VIEW IF EXISTS {database}.rollup_marks_kpi_work_orders;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_kpi_work_orders
TO {database}.rollup_changes AS
SELECT 'agent_kpi_daily' AS view_name, w.shop_id AS shop_id, toDateTime(day, 'UTC') AS period,
    now64(6, 'UTC') AS changed_at
FROM {database}.work_orders AS w
LEFT JOIN
(
    SELECT * FROM {database}.work_order_days
    WHERE (shop_id, work_order_id) IN (SELECT shop_id, work_order_id FROM {database}.work_orders)
) AS d ON d.shop_id = w.shop_id AND d.work_order_id = w.work_order_id
ARRAY JOIN [w.business_date, d.business_date] AS day
WHERE day > toDate(0)
GROUP BY shop_id, period;

DROP VIEW IF EXISTS {database}.rollup_marks_paid_orders;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_paid_orders
TO {database}.rollup_changes AS
SELECT 'paid_orders_daily' AS view_name, shop_id,
    toDateTime(toDate(at, 'UTC') + shift, 'UTC') AS period,
    now64(6, 'UTC') AS changed_at
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

DROP VIEW IF EXISTS {database}.rollup_marks_refunds;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_marks_refunds
TO {database}.rollup_changes AS
SELECT 'refund_daily' AS view_name, shop_id,
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
WHERE at IS NOT NULL
GROUP BY shop_id, period;

-- As 0023's, read through rollup_changes' keys.
CREATE OR REPLACE VIEW {database}.rollup_dirty AS
SELECT view_name, shop_id, period, changed_at
FROM {database}.rollup_state FINAL
WHERE fresh = 0
  AND (view_name, shop_id, period) IN
    (SELECT view_name, shop_id, period FROM {database}.rollup_changes);

-- The read-time sides of 0028, their changed periods read through rollup_dirty.
-- shop_daily and agent_daily
CREATE OR REPLACE VIEW {database}.shop_daily_changed AS
SELECT * FROM {database}.shop_daily_between(
    first = (SELECT toDate(min(period)) FROM {database}.rollup_dirty WHERE view_name = 'shop_daily'),
    last = (SELECT toDate(max(period)) FROM {database}.rollup_dirty WHERE view_name = 'shop_daily'))
WHERE business_date BETWEEN
    (SELECT toDate(min(period)) FROM {database}.rollup_dirty WHERE view_name = 'shop_daily')
    AND (SELECT toDate(max(period)) FROM {database}.rollup_dirty WHERE view_name = 'shop_daily')
  AND (shop_id, toDateTime(business_date, 'UTC')) IN
    (SELECT shop_id, period FROM {database}.rollup_dirty WHERE view_name = 'shop_daily');

CREATE OR REPLACE VIEW {database}.agent_daily_changed AS
SELECT * FROM {database}.agent_daily_between(
    first = (SELECT toDate(min(period)) FROM {database}.rollup_dirty WHERE view_name = 'agent_daily'),
    last = (SELECT toDate(max(period)) FROM {database}.rollup_dirty WHERE view_name = 'agent_daily'))
WHERE business_date BETWEEN
    (SELECT toDate(min(period)) FROM {database}.rollup_dirty WHERE view_name = 'agent_daily')
    AND (SELECT toDate(max(period)) FROM {database}.rollup_dirty WHERE view_name = 'agent_daily')
  AND (shop_id, toDateTime(business_date, 'UTC')) IN
    (SELECT shop_id, period FROM {database}.rollup_dirty WHERE view_name = 'agent_daily');

-- The read-time sides of 0023's minutely and hourly views
CREATE OR REPLACE VIEW {database}.shop_minutely_changed AS
SELECT * REPLACE (toDateTime64(f.minute, 3, 'UTC') AS minute)
FROM {database}.shop_minutely_final AS f
WHERE f.minute >= (SELECT min(period) FROM {database}.rollup_dirty WHERE view_name = 'shop_minutely')
  AND f.minute < (SELECT max(period) FROM {database}.rollup_dirty WHERE view_name = 'shop_minutely') + INTERVAL 1 HOUR
  AND (shop_id, toStartOfHour(toDateTime(f.minute, 'UTC'))) IN
    (SELECT shop_id, period FROM {database}.rollup_dirty WHERE view_name = 'shop_minutely');

CREATE OR REPLACE VIEW {database}.agent_minutely_changed AS
SELECT * REPLACE (toDateTime64(f.minute, 3, 'UTC') AS minute)
FROM {database}.agent_minutely_final AS f
WHERE f.minute >= (SELECT min(period) FROM {database}.rollup_dirty WHERE view_name = 'agent_minutely')
  AND f.minute < (SELECT max(period) FROM {database}.rollup_dirty WHERE view_name = 'agent_minutely') + INTERVAL 1 HOUR
  AND (shop_id, toStartOfHour(toDateTime(f.minute, 'UTC'))) IN
    (SELECT shop_id, period FROM {database}.rollup_dirty WHERE view_name = 'agent_minutely');

CREATE OR REPLACE VIEW {database}.shop_hourly_changed AS
SELECT * REPLACE (toDateTime64(f.hour, 3, 'UTC') AS hour)
FROM {database}.shop_hourly_final AS f
WHERE f.hour BETWEEN
    (SELECT min(period) FROM {database}.rollup_dirty WHERE view_name = 'shop_hourly')
    AND (SELECT max(period) FROM {database}.rollup_dirty WHERE view_name = 'shop_hourly')
  AND (f.shop_id, toDateTime(f.hour, 'UTC')) IN
    (SELECT shop_id, period FROM {database}.rollup_dirty WHERE view_name = 'shop_hourly');

CREATE OR REPLACE VIEW {database}.agent_hourly_changed AS
SELECT * REPLACE (toDateTime64(f.hour, 3, 'UTC') AS hour)
FROM {database}.agent_hourly_final AS f
WHERE f.hour BETWEEN
    (SELECT min(period) FROM {database}.rollup_dirty WHERE view_name = 'agent_hourly')
    AND (SELECT max(period) FROM {database}.rollup_dirty WHERE view_name = 'agent_hourly')
  AND (f.shop_id, toDateTime(f.hour, 'UTC')) IN
    (SELECT shop_id, period FROM {database}.rollup_dirty WHERE view_name = 'agent_hourly');

-- The read-time side of 0025's agent_kpi_daily
CREATE OR REPLACE VIEW {database}.agent_kpi_daily_changed AS
SELECT * FROM {database}.agent_kpi_daily_between(
    first = (SELECT toDate(min(period)) FROM {database}.rollup_dirty WHERE view_name = 'agent_kpi_daily'),
    last = (SELECT toDate(max(period)) FROM {database}.rollup_dirty WHERE view_name = 'agent_kpi_daily'))
WHERE (shop_id, toDateTime(business_date, 'UTC')) IN
    (SELECT shop_id, period FROM {database}.rollup_dirty WHERE view_name = 'agent_kpi_daily');

-- The read-time sides of 0027's paid_orders_daily and refund_daily
CREATE OR REPLACE VIEW {database}.paid_orders_daily_changed AS
SELECT * FROM {database}.paid_orders_daily_between(
    first = (SELECT toDate(min(period)) FROM {database}.rollup_dirty WHERE view_name = 'paid_orders_daily'),
    last = (SELECT toDate(max(period)) FROM {database}.rollup_dirty WHERE view_name = 'paid_orders_daily'))
WHERE (shop_id, toDateTime(day, 'UTC')) IN
    (SELECT shop_id, period FROM {database}.rollup_dirty WHERE view_name = 'paid_orders_daily');

CREATE OR REPLACE VIEW {database}.refund_daily_changed AS
SELECT * FROM {database}.refund_daily_between(
    first = (SELECT toDate(min(period)) FROM {database}.rollup_dirty WHERE view_name = 'refund_daily'),
    last = (SELECT toDate(max(period)) FROM {database}.rollup_dirty WHERE view_name = 'refund_daily'))
WHERE (shop_id, toDateTime(day, 'UTC')) IN
    (SELECT shop_id, period FROM {database}.rollup_dirty WHERE view_name = 'refund_daily');
