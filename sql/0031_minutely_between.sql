-- 0031: shop_minutely_between(first, last) and agent_minutely_between(first, last): the
-- minutely views on the minutes first..last (both included, as Grafana's $__timeFilter),
-- reading the marking state of the range's hours only. The boards read these
-- (grafana/tiers.py); the interface views are unchanged.
--   * shop_minutely and agent_minutely (0028, 0030) match their fresh rows against every
--     fresh hour of the view in rollup_state: a filter on the minute cannot be carried to
--     that hour from outside the view, so the read grows with the history (0.006 s with 30
--     days of hours, 0.034 s with a year more; docs/storage-benchmarks.md).
--   * Here the range is a parameter. The fresh side looks rollup_state up at the keys
--     (shop, hour) the rollup holds in the range, as rollup_dirty does at rollup_changes':
--     a range of periods alone would not do, since with the shop before the period in the
--     sort key most granules of rollup_state span two shops (a year of hours is about a
--     granule a shop) and no period range excludes them.
--   * The changed side is planned only while an hour of the range is changed (merge() as
--     in 0028), and its FINAL read is bounded by the range and by the first and last
--     changed hour in it. Its hours come from rollup_dirty_between, rollup_dirty on a range
--     of periods, which reads rollup_changes on that range. Their count, first and last
--     come in one tuple: the same scalar sub-select three times runs once (three of them
--     cost 8-12 ms more a read).
--   * The result equals SELECT * FROM <view> WHERE minute BETWEEN first AND last: an hour
--     is read from exactly one side, by its newest state, as in the interface views.
-- Unlike 0026's *_between (FINAL computations, what the refresher stores), these read the
-- rollups. The bounds are UTC, as every stored time: ClickHouse passes a parameterized
-- view's arguments as text, written in the argument's time zone and read in the
-- parameter's, so pass text in UTC, a DateTime('UTC') or unix seconds (the boards do);
-- a DateTime of another zone (now() in a session that is not UTC) would be shifted.

-- rollup_dirty's periods of `view` in first..last
CREATE OR REPLACE VIEW {database}.rollup_dirty_between AS
SELECT view_name, shop_id, period, changed_at
FROM {database}.rollup_state FINAL
WHERE view_name = {view:String} AND fresh = 0
  AND (view_name, shop_id, period) IN
    (SELECT view_name, shop_id, period FROM {database}.rollup_changes
     WHERE view_name = {view:String}
       AND period >= {first:DateTime('UTC')} AND period <= {last:DateTime('UTC')});

CREATE OR REPLACE VIEW {database}.shop_minutely_between AS
SELECT * EXCEPT (computed_at) FROM {database}.shop_minutely_rollup
WHERE minute >= {first:DateTime('UTC')} AND minute <= {last:DateTime('UTC')}
  AND (shop_id, toStartOfHour(toDateTime(minute, 'UTC')), computed_at) IN
    (SELECT shop_id, period, changed_at FROM {database}.rollup_state FINAL
     WHERE view_name = 'shop_minutely' AND fresh = 1
       AND (view_name, shop_id, period) IN
         (SELECT 'shop_minutely', shop_id, toStartOfHour(toDateTime(minute, 'UTC'))
          FROM {database}.shop_minutely_rollup
          WHERE minute >= {first:DateTime('UTC')} AND minute <= {last:DateTime('UTC')}))
UNION ALL
SELECT * REPLACE (toDateTime64(f.minute, 3, 'UTC') AS minute)
FROM merge('{database}', '^shop_minutely_final$') AS f
WHERE _table = if(
        (SELECT (count(), min(period), max(period))
         FROM {database}.rollup_dirty_between(view = 'shop_minutely',
             first = toStartOfHour({first:DateTime('UTC')}), last = {last:DateTime('UTC')})).1 = 0,
        '', 'shop_minutely_final')
  AND f.minute >= {first:DateTime('UTC')} AND f.minute <= {last:DateTime('UTC')}
  AND f.minute >=
        (SELECT (count(), min(period), max(period))
         FROM {database}.rollup_dirty_between(view = 'shop_minutely',
             first = toStartOfHour({first:DateTime('UTC')}), last = {last:DateTime('UTC')})).2
  AND f.minute <
        (SELECT (count(), min(period), max(period))
         FROM {database}.rollup_dirty_between(view = 'shop_minutely',
             first = toStartOfHour({first:DateTime('UTC')}), last = {last:DateTime('UTC')})).3 + INTERVAL 1 HOUR
  AND (f.shop_id, toStartOfHour(toDateTime(f.minute, 'UTC'))) IN
    (SELECT shop_id, period FROM {database}.rollup_dirty_between(view = 'shop_minutely',
        first = toStartOfHour({first:DateTime('UTC')}), last = {last:DateTime('UTC')}));

-- the same per agent
CREATE OR REPLACE VIEW {database}.agent_minutely_between AS
SELECT * EXCEPT (computed_at) FROM {database}.agent_minutely_rollup
WHERE minute >= {first:DateTime('UTC')} AND minute <= {last:DateTime('UTC')}
  AND (shop_id, toStartOfHour(toDateTime(minute, 'UTC')), computed_at) IN
    (SELECT shop_id, period, changed_at FROM {database}.rollup_state FINAL
     WHERE view_name = 'agent_minutely' AND fresh = 1
       AND (view_name, shop_id, period) IN
         (SELECT 'agent_minutely', shop_id, toStartOfHour(toDateTime(minute, 'UTC'))
          FROM {database}.agent_minutely_rollup
          WHERE minute >= {first:DateTime('UTC')} AND minute <= {last:DateTime('UTC')}))
UNION ALL
SELECT * REPLACE (toDateTime64(f.minute, 3, 'UTC') AS minute)
FROM merge('{database}', '^agent_minutely_final$') AS f
WHERE _table = if(
        (SELECT (count(), min(period), max(period))
         FROM {database}.rollup_dirty_between(view = 'agent_minutely',
             first = toStartOfHour({first:DateTime('UTC')}), last = {last:DateTime('UTC')})).1 = 0,
        '', 'agent_minutely_final')
  AND f.minute >= {first:DateTime('UTC')} AND f.minute <= {last:DateTime('UTC')}
  AND f.minute >=
        (SELECT (count(), min(period), max(period))
         FROM {database}.rollup_dirty_between(view = 'agent_minutely',
             first = toStartOfHour({first:DateTime('UTC')}), last = {last:DateTime('UTC')})).2
  AND f.minute <
        (SELECT (count(), min(period), max(period))
         FROM {database}.rollup_dirty_between(view = 'agent_minutely',
             first = toStartOfHour({first:DateTime('UTC')}), last = {last:DateTime('UTC')})).3 + INTERVAL 1 HOUR
  AND (f.shop_id, toStartOfHour(toDateTime(f.minute, 'UTC'))) IN
    (SELECT shop_id, period FROM {database}.rollup_dirty_between(view = 'agent_minutely',
        first = toStartOfHour({first:DateTime('UTC')}), last = {last:DateTime('UTC')}));
