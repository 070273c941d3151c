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
