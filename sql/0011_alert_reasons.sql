-- 0011: why an alert resolved without a measured rate ("no inquiries" after idle_resolve,
-- "service hours ended"); empty for alerts with a rate. docs/metrics.md#live-reply-rate-alarm.

ALTER TABLE {database}.alerts ADD COLUMN IF NOT EXISTS reason LowCardinality(String) DEFAULT '';
