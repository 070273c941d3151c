-- 0011: why an alert resolved (metrics.md section 2): 'recovered' (a measured rate at
-- threshold + hysteresis), 'no inquiries' (the window stayed empty for idle_resolve) or
-- 'service hours ended'; the last two carry no rate (value NULL). '' for other changes.

ALTER TABLE {database}.alerts ADD COLUMN IF NOT EXISTS reason LowCardinality(String) DEFAULT '';
