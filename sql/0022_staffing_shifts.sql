-- 0022: the shifts `kefu plan` schedules from the staffing plan (排班; docs/analysts.md
-- "Staffing shifts"): per shop and day, each shift pattern worked (its start, length and the
-- minutes from its start to its half-hour break, 0 for none) and how many agents work it.
-- shift_start is a wall-clock reading labelled UTC, like staffing_plan's interval_start.
-- A re-plan writes a day's shifts anew under one planned_at: a day's schedule is the rows of
-- its newest planned_at (a pattern the re-plan no longer uses keeps its older row).

CREATE TABLE IF NOT EXISTS {database}.staffing_shifts
(
    shop_id             String,
    business_date       Date,
    shift_start         DateTime('UTC'),
    hours               Float64,
    break_after_minutes UInt16,
    agents              UInt32,
    planned_at          DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(planned_at)
PARTITION BY toYYYYMM(business_date)
ORDER BY (shop_id, business_date, shift_start, hours, break_after_minutes);
