-- 0029: a rollup keeps the newest refresh of a row by its stamp, not the last one inserted.
-- The *_rollup tables of 0023, 0025 and 0027 were plain ReplacingMergeTrees: a merge (or
-- FINAL) kept the row inserted last. rollup_state keeps the newest stamp, and the views read
-- a fresh period's rows by that stamp (computed_at = changed_at). Two refreshers of one
-- period (two workers while partitions move) whose inserts landed in the other order than
-- their stamps left, once merged, only the older computation in the rollup while
-- rollup_state named the newer one: the views then showed nothing for that period.
-- Versioned by computed_at, the refresh stamp rollup_state gets too (sinks/rollups.py),
-- a merge keeps the computation rollup_state calls fresh, whatever the insert order.
-- A table's engine cannot be altered, so each rollup is rebuilt: a copy with the new engine
-- (same columns, partitions and sort key; every row, merged or not), swapped in under the
-- name by EXCHANGE TABLES (the views bind to names when they run), the old table dropped.
-- The first DROP clears a copy a broken earlier attempt left behind, so the file can be run
-- again. A TTL on a rollup (rollups.*_days) is not copied: a worker re-applies it at start
-- (sinks/rollups.py apply_ttls). Rows a refresher inserts into the old table between its
-- copy and the swap are lost: migrate with the refreshers stopped (a worker migrates before
-- it starts its own). The last statements mark such a period changed if the rollup held it
-- before, and every period a race before this file has spoiled (see there).
-- On a cluster the rollups are Distributed tables: sinks/migrate.py skips the copy and the
-- swap there, and deploy/clickhouse/README.md says how to rebuild the local tables.

DROP TABLE IF EXISTS {database}.shop_daily_rollup_v;

CREATE TABLE {database}.shop_daily_rollup_v
ENGINE = ReplacingMergeTree(computed_at)
PARTITION BY toYYYYMM(business_date)
ORDER BY (shop_id, business_date)
AS SELECT * FROM {database}.shop_daily_rollup;

EXCHANGE TABLES {database}.shop_daily_rollup AND {database}.shop_daily_rollup_v;

DROP TABLE IF EXISTS {database}.shop_daily_rollup_v;

DROP TABLE IF EXISTS {database}.agent_daily_rollup_v;

CREATE TABLE {database}.agent_daily_rollup_v
ENGINE = ReplacingMergeTree(computed_at)
PARTITION BY toYYYYMM(business_date)
ORDER BY (shop_id, business_date, agent_id)
AS SELECT * FROM {database}.agent_daily_rollup;

EXCHANGE TABLES {database}.agent_daily_rollup AND {database}.agent_daily_rollup_v;

DROP TABLE IF EXISTS {database}.agent_daily_rollup_v;

DROP TABLE IF EXISTS {database}.shop_minutely_rollup_v;

CREATE TABLE {database}.shop_minutely_rollup_v
ENGINE = ReplacingMergeTree(computed_at)
PARTITION BY toYYYYMM(minute)
ORDER BY (shop_id, minute)
AS SELECT * FROM {database}.shop_minutely_rollup;

EXCHANGE TABLES {database}.shop_minutely_rollup AND {database}.shop_minutely_rollup_v;

DROP TABLE IF EXISTS {database}.shop_minutely_rollup_v;

DROP TABLE IF EXISTS {database}.agent_minutely_rollup_v;

CREATE TABLE {database}.agent_minutely_rollup_v
ENGINE = ReplacingMergeTree(computed_at)
PARTITION BY toYYYYMM(minute)
ORDER BY (shop_id, minute, agent_id)
AS SELECT * FROM {database}.agent_minutely_rollup;

EXCHANGE TABLES {database}.agent_minutely_rollup AND {database}.agent_minutely_rollup_v;

DROP TABLE IF EXISTS {database}.agent_minutely_rollup_v;

DROP TABLE IF EXISTS {database}.shop_hourly_rollup_v;

CREATE TABLE {database}.shop_hourly_rollup_v
ENGINE = ReplacingMergeTree(computed_at)
PARTITION BY toYYYYMM(hour)
ORDER BY (shop_id, hour)
AS SELECT * FROM {database}.shop_hourly_rollup;

EXCHANGE TABLES {database}.shop_hourly_rollup AND {database}.shop_hourly_rollup_v;

DROP TABLE IF EXISTS {database}.shop_hourly_rollup_v;

DROP TABLE IF EXISTS {database}.agent_hourly_rollup_v;

CREATE TABLE {database}.agent_hourly_rollup_v
ENGINE = ReplacingMergeTree(computed_at)
PARTITION BY toYYYYMM(hour)
ORDER BY (shop_id, hour, agent_id)
AS SELECT * FROM {database}.agent_hourly_rollup;

EXCHANGE TABLES {database}.agent_hourly_rollup AND {database}.agent_hourly_rollup_v;

DROP TABLE IF EXISTS {database}.agent_hourly_rollup_v;

DROP TABLE IF EXISTS {database}.agent_kpi_daily_rollup_v;

CREATE TABLE {database}.agent_kpi_daily_rollup_v
ENGINE = ReplacingMergeTree(computed_at)
PARTITION BY toYYYYMM(business_date)
ORDER BY (shop_id, business_date, agent_id)
AS SELECT * FROM {database}.agent_kpi_daily_rollup;

EXCHANGE TABLES {database}.agent_kpi_daily_rollup AND {database}.agent_kpi_daily_rollup_v;

DROP TABLE IF EXISTS {database}.agent_kpi_daily_rollup_v;

DROP TABLE IF EXISTS {database}.paid_orders_daily_rollup_v;

CREATE TABLE {database}.paid_orders_daily_rollup_v
ENGINE = ReplacingMergeTree(computed_at)
PARTITION BY toYYYYMM(day)
ORDER BY (shop_id, day)
AS SELECT * FROM {database}.paid_orders_daily_rollup;

EXCHANGE TABLES {database}.paid_orders_daily_rollup AND {database}.paid_orders_daily_rollup_v;

DROP TABLE IF EXISTS {database}.paid_orders_daily_rollup_v;

DROP TABLE IF EXISTS {database}.refund_daily_rollup_v;

CREATE TABLE {database}.refund_daily_rollup_v
ENGINE = ReplacingMergeTree(computed_at)
PARTITION BY toYYYYMM(day)
ORDER BY (shop_id, day, agent_id)
AS SELECT * FROM {database}.refund_daily_rollup;

EXCHANGE TABLES {database}.refund_daily_rollup AND {database}.refund_daily_rollup_v;

DROP TABLE IF EXISTS {database}.refund_daily_rollup_v;

-- Periods a race already spoiled: rollup_state calls a period fresh at a stamp, but a row of
-- the period (a key of the rollup) has another stamp as its newest. A merge before this file
-- kept an older computation in place of the fresh one (the views show nothing there), or a
-- refresh broke off between its two inserts. Such periods are marked changed, so the views
-- compute them at read time until the refresher stores them again. A key the fresh
-- computation no longer has (an agent who left the day) is marked too, which costs one
-- refresh of its period. The keys are grouped in the rollups' sort order, so the scan holds
-- one key at a time and the join only the fresh periods of the view.

INSERT INTO {database}.rollup_state (view_name, shop_id, period, changed_at, fresh)
SELECT DISTINCT 'shop_daily', r.shop_id, r.period, now64(6, 'UTC'), 0
FROM
(
    SELECT shop_id, toDateTime(business_date, 'UTC') AS period, max(computed_at) AS newest
    FROM {database}.shop_daily_rollup
    GROUP BY shop_id, business_date
    SETTINGS optimize_aggregation_in_order = 1
) AS r
INNER JOIN
(
    SELECT shop_id, period, changed_at FROM {database}.rollup_state FINAL
    WHERE view_name = 'shop_daily' AND fresh = 1
) AS s ON s.shop_id = r.shop_id AND s.period = r.period
WHERE r.newest != s.changed_at;

INSERT INTO {database}.rollup_state (view_name, shop_id, period, changed_at, fresh)
SELECT DISTINCT 'agent_daily', r.shop_id, r.period, now64(6, 'UTC'), 0
FROM
(
    SELECT shop_id, toDateTime(business_date, 'UTC') AS period, max(computed_at) AS newest
    FROM {database}.agent_daily_rollup
    GROUP BY shop_id, business_date, agent_id
    SETTINGS optimize_aggregation_in_order = 1
) AS r
INNER JOIN
(
    SELECT shop_id, period, changed_at FROM {database}.rollup_state FINAL
    WHERE view_name = 'agent_daily' AND fresh = 1
) AS s ON s.shop_id = r.shop_id AND s.period = r.period
WHERE r.newest != s.changed_at;

INSERT INTO {database}.rollup_state (view_name, shop_id, period, changed_at, fresh)
SELECT DISTINCT 'shop_minutely', r.shop_id, r.period, now64(6, 'UTC'), 0
FROM
(
    SELECT shop_id, toStartOfHour(toDateTime(minute, 'UTC')) AS period, max(computed_at) AS newest
    FROM {database}.shop_minutely_rollup
    GROUP BY shop_id, minute
    SETTINGS optimize_aggregation_in_order = 1
) AS r
INNER JOIN
(
    SELECT shop_id, period, changed_at FROM {database}.rollup_state FINAL
    WHERE view_name = 'shop_minutely' AND fresh = 1
) AS s ON s.shop_id = r.shop_id AND s.period = r.period
WHERE r.newest != s.changed_at;

INSERT INTO {database}.rollup_state (view_name, shop_id, period, changed_at, fresh)
SELECT DISTINCT 'agent_minutely', r.shop_id, r.period, now64(6, 'UTC'), 0
FROM
(
    SELECT shop_id, toStartOfHour(toDateTime(minute, 'UTC')) AS period, max(computed_at) AS newest
    FROM {database}.agent_minutely_rollup
    GROUP BY shop_id, minute, agent_id
    SETTINGS optimize_aggregation_in_order = 1
) AS r
INNER JOIN
(
    SELECT shop_id, period, changed_at FROM {database}.rollup_state FINAL
    WHERE view_name = 'agent_minutely' AND fresh = 1
) AS s ON s.shop_id = r.shop_id AND s.period = r.period
WHERE r.newest != s.changed_at;

INSERT INTO {database}.rollup_state (view_name, shop_id, period, changed_at, fresh)
SELECT DISTINCT 'shop_hourly', r.shop_id, r.period, now64(6, 'UTC'), 0
FROM
(
    SELECT shop_id, toDateTime(hour, 'UTC') AS period, max(computed_at) AS newest
    FROM {database}.shop_hourly_rollup
    GROUP BY shop_id, hour
    SETTINGS optimize_aggregation_in_order = 1
) AS r
INNER JOIN
(
    SELECT shop_id, period, changed_at FROM {database}.rollup_state FINAL
    WHERE view_name = 'shop_hourly' AND fresh = 1
) AS s ON s.shop_id = r.shop_id AND s.period = r.period
WHERE r.newest != s.changed_at;

INSERT INTO {database}.rollup_state (view_name, shop_id, period, changed_at, fresh)
SELECT DISTINCT 'agent_hourly', r.shop_id, r.period, now64(6, 'UTC'), 0
FROM
(
    SELECT shop_id, toDateTime(hour, 'UTC') AS period, max(computed_at) AS newest
    FROM {database}.agent_hourly_rollup
    GROUP BY shop_id, hour, agent_id
    SETTINGS optimize_aggregation_in_order = 1
) AS r
INNER JOIN
(
    SELECT shop_id, period, changed_at FROM {database}.rollup_state FINAL
    WHERE view_name = 'agent_hourly' AND fresh = 1
) AS s ON s.shop_id = r.shop_id AND s.period = r.period
WHERE r.newest != s.changed_at;

INSERT INTO {database}.rollup_state (view_name, shop_id, period, changed_at, fresh)
SELECT DISTINCT 'agent_kpi_daily', r.shop_id, r.period, now64(6, 'UTC'), 0
FROM
(
    SELECT shop_id, toDateTime(business_date, 'UTC') AS period, max(computed_at) AS newest
    FROM {database}.agent_kpi_daily_rollup
    GROUP BY shop_id, business_date, agent_id
    SETTINGS optimize_aggregation_in_order = 1
) AS r
INNER JOIN
(
    SELECT shop_id, period, changed_at FROM {database}.rollup_state FINAL
    WHERE view_name = 'agent_kpi_daily' AND fresh = 1
) AS s ON s.shop_id = r.shop_id AND s.period = r.period
WHERE r.newest != s.changed_at;

INSERT INTO {database}.rollup_state (view_name, shop_id, period, changed_at, fresh)
SELECT DISTINCT 'paid_orders_daily', r.shop_id, r.period, now64(6, 'UTC'), 0
FROM
(
    SELECT shop_id, toDateTime(day, 'UTC') AS period, max(computed_at) AS newest
    FROM {database}.paid_orders_daily_rollup
    GROUP BY shop_id, day
    SETTINGS optimize_aggregation_in_order = 1
) AS r
INNER JOIN
(
    SELECT shop_id, period, changed_at FROM {database}.rollup_state FINAL
    WHERE view_name = 'paid_orders_daily' AND fresh = 1
) AS s ON s.shop_id = r.shop_id AND s.period = r.period
WHERE r.newest != s.changed_at;

INSERT INTO {database}.rollup_state (view_name, shop_id, period, changed_at, fresh)
SELECT DISTINCT 'refund_daily', r.shop_id, r.period, now64(6, 'UTC'), 0
FROM
(
    SELECT shop_id, toDateTime(day, 'UTC') AS period, max(computed_at) AS newest
    FROM {database}.refund_daily_rollup
    GROUP BY shop_id, day, agent_id
    SETTINGS optimize_aggregation_in_order = 1
) AS r
INNER JOIN
(
    SELECT shop_id, period, changed_at FROM {database}.rollup_state FINAL
    WHERE view_name = 'refund_daily' AND fresh = 1
) AS s ON s.shop_id = r.shop_id AND s.period = r.period
WHERE r.newest != s.changed_at;
