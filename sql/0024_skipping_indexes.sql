-- 0024: skipping indexes for the filters of the views and boards (docs/analysts.md
-- "Rollups"). Inquiries are sorted by shop and opened_at, so within a shop business_date
-- and effective_opened_at rise with the sort order and a min-max index per granule skips
-- all but the queried day or hour; ratings likewise. MATERIALIZE builds the indexes for
-- rows stored before this migration (a background mutation). Every version of an inquiry
-- or rating has the same indexed values, so FINAL may skip by them without the exact mode
-- (use_skip_indexes_if_final_exact_mode = 0, set by the views that read them). Complaints
-- get none: a later delivery may move a complaint to another day, and a granule of its
-- older version must not be skipped alone.

ALTER TABLE {database}.inquiries
    ADD INDEX IF NOT EXISTS business_date_range business_date TYPE minmax GRANULARITY 1;
ALTER TABLE {database}.inquiries
    ADD INDEX IF NOT EXISTS effective_opened_range effective_opened_at TYPE minmax GRANULARITY 1;
ALTER TABLE {database}.ratings
    ADD INDEX IF NOT EXISTS business_date_range business_date TYPE minmax GRANULARITY 1;

ALTER TABLE {database}.inquiries MATERIALIZE INDEX business_date_range;
ALTER TABLE {database}.inquiries MATERIALIZE INDEX effective_opened_range;
ALTER TABLE {database}.ratings MATERIALIZE INDEX business_date_range;
