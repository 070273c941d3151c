-- 0010: state generations, so row versions survive a new broker or a recreated topic.
-- A row's version is (generation << 40) | input offset. A partition whose state starts
-- empty (a new broker, a recreated events topic, a first run) takes a generation above
-- every one recorded here, so whatever it writes wins over rows of earlier runs, whose
-- offsets may have been higher. Versions written before this table existed are plain
-- offsets, generation 0.

CREATE TABLE IF NOT EXISTS {database}.generations
(
    generation  UInt32,
    `partition` UInt32,
    events_topic String,
    started_at  DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY (generation, `partition`);
