-- 0028: a rollup-backed view costs (close to) nothing beyond its rollup when none of its
-- periods is changed, and its fresh side reads the rollup_state of the queried days only.
--   * The read-time side of 0023-0027's interface views (the *_between or *_final
--     computation of the changed periods) cost 0.1-0.2 s CPU a read on this machine even
--     when no period was changed: that is planning the nested FINAL sub-selects (the same
--     query with WHERE 0 takes as long on an empty store), not reading, so no filter or
--     empty set can save it; ClickHouse builds a view's plan before filters are pushed
--     into it. A merge() over a view plans the view only if its `_table` passes the
--     filter, and a scalar subquery in that filter runs first: the read-time side moves
--     into <view>_changed, its text unchanged, read through merge() when rollup_dirty
--     holds a period of the view. That filter cannot see the queried range: while any
--     period of the view is changed (on a live store, today) the side is planned as
--     before, and the merge() and the join below then cost some 0.04 s CPU more on
--     shop_daily and agent_daily (docs/storage-benchmarks.md).
--   * The fresh side matched (shop, period, computed_at) IN every fresh rollup_state row
--     of the view, which no outer filter reaches (144k rows for an hourly view at 100M
--     inquiries). The daily and hourly views join them instead, on the period in the
--     rollup's own column, so a filter on business_date, day or hour reaches the
--     rollup_state read through the join keys and its sort key bounds it. The minutely
--     views keep the IN: their period is the hour of the minute, which a filter on the
--     minute cannot be carried to.
-- A period is read from exactly one side as before: fresh rows only where the newest state
-- is fresh, the read-time side only where it is not.

-- The read-time sides of 0026's shop_daily and agent_daily
CREATE OR REPLACE VIEW {database}.shop_daily_changed AS
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

CREATE OR REPLACE VIEW {database}.agent_daily_changed AS
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

-- The read-time sides of 0023's minutely and hourly views
CREATE OR REPLACE VIEW {database}.shop_minutely_changed AS
SELECT * REPLACE (toDateTime64(f.minute, 3, 'UTC') AS minute)
FROM {database}.shop_minutely_final AS f
WHERE f.minute >= (SELECT min(period) FROM {database}.rollup_state FINAL WHERE view_name = 'shop_minutely' AND fresh = 0)
  AND f.minute < (SELECT max(period) FROM {database}.rollup_state FINAL WHERE view_name = 'shop_minutely' AND fresh = 0) + INTERVAL 1 HOUR
  AND (shop_id, toStartOfHour(toDateTime(f.minute, 'UTC'))) IN
    (SELECT shop_id, period FROM {database}.rollup_state FINAL
     WHERE view_name = 'shop_minutely' AND fresh = 0);

CREATE OR REPLACE VIEW {database}.agent_minutely_changed AS
SELECT * REPLACE (toDateTime64(f.minute, 3, 'UTC') AS minute)
FROM {database}.agent_minutely_final AS f
WHERE f.minute >= (SELECT min(period) FROM {database}.rollup_state FINAL WHERE view_name = 'agent_minutely' AND fresh = 0)
  AND f.minute < (SELECT max(period) FROM {database}.rollup_state FINAL WHERE view_name = 'agent_minutely' AND fresh = 0) + INTERVAL 1 HOUR
  AND (shop_id, toStartOfHour(toDateTime(f.minute, 'UTC'))) IN
    (SELECT shop_id, period FROM {database}.rollup_state FINAL
     WHERE view_name = 'agent_minutely' AND fresh = 0);

CREATE OR REPLACE VIEW {database}.shop_hourly_changed AS
SELECT * REPLACE (toDateTime64(f.hour, 3, 'UTC') AS hour)
FROM {database}.shop_hourly_final AS f
WHERE f.hour BETWEEN
    (SELECT min(period) FROM {database}.rollup_state FINAL WHERE view_name = 'shop_hourly' AND fresh = 0)
    AND (SELECT max(period) FROM {database}.rollup_state FINAL WHERE view_name = 'shop_hourly' AND fresh = 0)
  AND (f.shop_id, toDateTime(f.hour, 'UTC')) IN
    (SELECT shop_id, period FROM {database}.rollup_state FINAL
     WHERE view_name = 'shop_hourly' AND fresh = 0);

CREATE OR REPLACE VIEW {database}.agent_hourly_changed AS
SELECT * REPLACE (toDateTime64(f.hour, 3, 'UTC') AS hour)
FROM {database}.agent_hourly_final AS f
WHERE f.hour BETWEEN
    (SELECT min(period) FROM {database}.rollup_state FINAL WHERE view_name = 'agent_hourly' AND fresh = 0)
    AND (SELECT max(period) FROM {database}.rollup_state FINAL WHERE view_name = 'agent_hourly' AND fresh = 0)
  AND (f.shop_id, toDateTime(f.hour, 'UTC')) IN
    (SELECT shop_id, period FROM {database}.rollup_state FINAL
     WHERE view_name = 'agent_hourly' AND fresh = 0);

-- The read-time side of 0025's agent_kpi_daily
CREATE OR REPLACE VIEW {database}.agent_kpi_daily_changed AS
SELECT * FROM {database}.agent_kpi_daily_between(
    first = (SELECT toDate(min(period)) FROM {database}.rollup_state FINAL
             WHERE view_name = 'agent_kpi_daily' AND fresh = 0),
    last = (SELECT toDate(max(period)) FROM {database}.rollup_state FINAL
            WHERE view_name = 'agent_kpi_daily' AND fresh = 0))
WHERE (shop_id, toDateTime(business_date, 'UTC')) IN
    (SELECT shop_id, period FROM {database}.rollup_state FINAL
     WHERE view_name = 'agent_kpi_daily' AND fresh = 0);

-- The read-time sides of 0027's paid_orders_daily and refund_daily
CREATE OR REPLACE VIEW {database}.paid_orders_daily_changed AS
SELECT * FROM {database}.paid_orders_daily_between(
    first = (SELECT toDate(min(period)) FROM {database}.rollup_state FINAL
             WHERE view_name = 'paid_orders_daily' AND fresh = 0),
    last = (SELECT toDate(max(period)) FROM {database}.rollup_state FINAL
            WHERE view_name = 'paid_orders_daily' AND fresh = 0))
WHERE (shop_id, toDateTime(day, 'UTC')) IN
    (SELECT shop_id, period FROM {database}.rollup_state FINAL
     WHERE view_name = 'paid_orders_daily' AND fresh = 0);

CREATE OR REPLACE VIEW {database}.refund_daily_changed AS
SELECT * FROM {database}.refund_daily_between(
    first = (SELECT toDate(min(period)) FROM {database}.rollup_state FINAL
             WHERE view_name = 'refund_daily' AND fresh = 0),
    last = (SELECT toDate(max(period)) FROM {database}.rollup_state FINAL
            WHERE view_name = 'refund_daily' AND fresh = 0))
WHERE (shop_id, toDateTime(day, 'UTC')) IN
    (SELECT shop_id, period FROM {database}.rollup_state FINAL
     WHERE view_name = 'refund_daily' AND fresh = 0);

-- The interface views (see the header). A daily period is the UTC midnight of its day and
-- an hourly one its hour, so the joins match what 0023's IN matched. The hour is
-- toDateTime64(period, 3), which keeps period's UTC: with a time zone argument the sort
-- key analysis no longer takes the conversion for monotonic, and the filter bounds nothing.

CREATE OR REPLACE VIEW {database}.shop_daily AS
SELECT r.* EXCEPT (computed_at)
FROM {database}.shop_daily_rollup AS r
INNER JOIN
    (SELECT shop_id, toDate(period) AS business_date, changed_at
     FROM {database}.rollup_state FINAL
     WHERE view_name = 'shop_daily' AND fresh = 1) AS s
    ON s.shop_id = r.shop_id AND s.business_date = r.business_date
   AND s.changed_at = r.computed_at
UNION ALL
SELECT * FROM merge('{database}', '^shop_daily_changed$')
WHERE _table = (SELECT if(count() = 0, '', 'shop_daily_changed') FROM {database}.rollup_dirty
                WHERE view_name = 'shop_daily');

CREATE OR REPLACE VIEW {database}.agent_daily AS
SELECT r.* EXCEPT (computed_at)
FROM {database}.agent_daily_rollup AS r
INNER JOIN
    (SELECT shop_id, toDate(period) AS business_date, changed_at
     FROM {database}.rollup_state FINAL
     WHERE view_name = 'agent_daily' AND fresh = 1) AS s
    ON s.shop_id = r.shop_id AND s.business_date = r.business_date
   AND s.changed_at = r.computed_at
UNION ALL
SELECT * FROM merge('{database}', '^agent_daily_changed$')
WHERE _table = (SELECT if(count() = 0, '', 'agent_daily_changed') FROM {database}.rollup_dirty
                WHERE view_name = 'agent_daily');

CREATE OR REPLACE VIEW {database}.shop_minutely AS
SELECT * EXCEPT (computed_at) FROM {database}.shop_minutely_rollup
WHERE (shop_id, toStartOfHour(toDateTime(minute, 'UTC')), computed_at) IN
    (SELECT shop_id, period, changed_at FROM {database}.rollup_state FINAL
     WHERE view_name = 'shop_minutely' AND fresh = 1)
UNION ALL
SELECT * FROM merge('{database}', '^shop_minutely_changed$')
WHERE _table = (SELECT if(count() = 0, '', 'shop_minutely_changed') FROM {database}.rollup_dirty
                WHERE view_name = 'shop_minutely');

CREATE OR REPLACE VIEW {database}.agent_minutely AS
SELECT * EXCEPT (computed_at) FROM {database}.agent_minutely_rollup
WHERE (shop_id, toStartOfHour(toDateTime(minute, 'UTC')), computed_at) IN
    (SELECT shop_id, period, changed_at FROM {database}.rollup_state FINAL
     WHERE view_name = 'agent_minutely' AND fresh = 1)
UNION ALL
SELECT * FROM merge('{database}', '^agent_minutely_changed$')
WHERE _table = (SELECT if(count() = 0, '', 'agent_minutely_changed') FROM {database}.rollup_dirty
                WHERE view_name = 'agent_minutely');

CREATE OR REPLACE VIEW {database}.shop_hourly AS
SELECT r.* EXCEPT (computed_at)
FROM {database}.shop_hourly_rollup AS r
INNER JOIN
    (SELECT shop_id, toDateTime64(period, 3) AS hour, changed_at
     FROM {database}.rollup_state FINAL
     WHERE view_name = 'shop_hourly' AND fresh = 1) AS s
    ON s.shop_id = r.shop_id AND s.hour = r.hour AND s.changed_at = r.computed_at
UNION ALL
SELECT * FROM merge('{database}', '^shop_hourly_changed$')
WHERE _table = (SELECT if(count() = 0, '', 'shop_hourly_changed') FROM {database}.rollup_dirty
                WHERE view_name = 'shop_hourly');

CREATE OR REPLACE VIEW {database}.agent_hourly AS
SELECT r.* EXCEPT (computed_at)
FROM {database}.agent_hourly_rollup AS r
INNER JOIN
    (SELECT shop_id, toDateTime64(period, 3) AS hour, changed_at
     FROM {database}.rollup_state FINAL
     WHERE view_name = 'agent_hourly' AND fresh = 1) AS s
    ON s.shop_id = r.shop_id AND s.hour = r.hour AND s.changed_at = r.computed_at
UNION ALL
SELECT * FROM merge('{database}', '^agent_hourly_changed$')
WHERE _table = (SELECT if(count() = 0, '', 'agent_hourly_changed') FROM {database}.rollup_dirty
                WHERE view_name = 'agent_hourly');

CREATE OR REPLACE VIEW {database}.agent_kpi_daily AS
SELECT r.* EXCEPT (computed_at)
FROM {database}.agent_kpi_daily_rollup AS r
INNER JOIN
    (SELECT shop_id, toDate(period) AS business_date, changed_at
     FROM {database}.rollup_state FINAL
     WHERE view_name = 'agent_kpi_daily' AND fresh = 1) AS s
    ON s.shop_id = r.shop_id AND s.business_date = r.business_date
   AND s.changed_at = r.computed_at
UNION ALL
SELECT * FROM merge('{database}', '^agent_kpi_daily_changed$')
WHERE _table = (SELECT if(count() = 0, '', 'agent_kpi_daily_changed') FROM {database}.rollup_dirty
                WHERE view_name = 'agent_kpi_daily');

CREATE OR REPLACE VIEW {database}.paid_orders_daily AS
SELECT r.* EXCEPT (computed_at)
FROM {database}.paid_orders_daily_rollup AS r
INNER JOIN
    (SELECT shop_id, toDate(period) AS day, changed_at
     FROM {database}.rollup_state FINAL
     WHERE view_name = 'paid_orders_daily' AND fresh = 1) AS s
    ON s.shop_id = r.shop_id AND s.day = r.day AND s.changed_at = r.computed_at
UNION ALL
SELECT * FROM merge('{database}', '^paid_orders_daily_changed$')
WHERE _table = (SELECT if(count() = 0, '', 'paid_orders_daily_changed') FROM {database}.rollup_dirty
                WHERE view_name = 'paid_orders_daily');

CREATE OR REPLACE VIEW {database}.refund_daily AS
SELECT r.* EXCEPT (computed_at)
FROM {database}.refund_daily_rollup AS r
INNER JOIN
    (SELECT shop_id, toDate(period) AS day, changed_at
     FROM {database}.rollup_state FINAL
     WHERE view_name = 'refund_daily' AND fresh = 1) AS s
    ON s.shop_id = r.shop_id AND s.day = r.day AND s.changed_at = r.computed_at
UNION ALL
SELECT * FROM merge('{database}', '^refund_daily_changed$')
WHERE _table = (SELECT if(count() = 0, '', 'refund_daily_changed') FROM {database}.rollup_dirty
                WHERE view_name = 'refund_daily');
