-- 0021: the staffing plan `kefu plan` writes (docs/metrics.md#staffing, docs/analysts.md
-- "Staffing intervals"): per shop and 30-minute shop-local interval, the forecast inquiries
-- with their prediction interval, the handle time and concurrency the plan assumed, the
-- target, and the fewest agents that hold it for the forecast and for its high bound.
-- interval_start is a wall-clock reading labelled UTC, like shop_intervals'. A new plan of
-- the same interval replaces the older one under FINAL (the newest planned_at wins).

CREATE TABLE IF NOT EXISTS {database}.staffing_plan
(
    shop_id              String,
    interval_start       DateTime('UTC'),
    business_date        Date,
    forecast_inquiries   Float64,
    forecast_low         Float64,
    forecast_high        Float64,
    promotion            UInt8,
    handle_seconds       Float64,
    concurrency          Float64,
    target_rate          Float64,
    target_seconds       UInt32,
    required_agents      UInt32,
    required_agents_high UInt32,
    planned_at           DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(planned_at)
PARTITION BY toYYYYMM(interval_start)
ORDER BY (shop_id, interval_start);
