-- 0011: on-call controls of alerts (metrics.md section 2).
-- alerts.reason: why an alert resolved: 'recovered' (a measured rate at threshold +
-- hysteresis), 'no inquiries' (the window stayed empty for idle_resolve) or 'service hours
-- ended'; the last two carry no rate (value NULL). '' for other changes.
-- alerts.silenced: a silence covered the alert when it was raised (stored, not notified).
-- alerts.acked_by: who acknowledged the episode before this change was raised.
-- alert_controls: every silence and ack from `kefu alerts silence|ack`; `until` is when a
-- silence ends (NULL for acks). A redelivered control collapses under FINAL.

ALTER TABLE {database}.alerts ADD COLUMN IF NOT EXISTS reason LowCardinality(String) DEFAULT '';

ALTER TABLE {database}.alerts ADD COLUMN IF NOT EXISTS silenced UInt8 DEFAULT 0;

ALTER TABLE {database}.alerts ADD COLUMN IF NOT EXISTS acked_by String DEFAULT '';

CREATE TABLE IF NOT EXISTS {database}.alert_controls
(
    control_id String,
    kind       LowCardinality(String),
    shop_id    String,
    agent_id   String,
    alert_id   String,
    until      Nullable(DateTime64(3, 'UTC')),
    reason     String,
    author     String,
    created_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY (kind, control_id);
