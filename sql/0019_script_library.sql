-- 0019: the script library (话术库, docs/metrics.md#script-library). `scripts` mirrors the
-- library in force (a script removed from the file keeps its row: past uses still name it);
-- `script_uses` holds each agent reply matched to a script, one row per message.
--
-- script_weekly, per shop, script and ISO week (from Monday, by the reply's shop-local date):
--   uses, agents          replies using the script and the agents who sent them;
--   answering_uses        uses that were the first human reply of an inquiry, and
--   avg_response_seconds  those inquiries' mean response time;
--   buyer_days_with       consulting buyer-days (buyer_days) with at least one use, and
--   conversion_with       the share of them that converted;
--   buyer_days_without, conversion_without: the shop's other consulting buyer-days of the
--                         week, the comparison; conversion_lift = with - without.

CREATE TABLE IF NOT EXISTS {database}.scripts
(
    shop_id   String,
    script_id String,
    intent    LowCardinality(String),
    text      String,
    version   UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (shop_id, script_id);

CREATE TABLE IF NOT EXISTS {database}.script_uses
(
    event_id      String,
    shop_id       String,
    buyer_id      String,
    agent_id      String,
    occurred_at   DateTime64(3, 'UTC'),
    business_date Date,
    script_id     String,
    similarity    Float64
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(business_date)
ORDER BY (shop_id, business_date, event_id)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE OR REPLACE VIEW {database}.script_weekly AS
SELECT
    w.shop_id AS shop_id,
    w.script_id AS script_id,
    w.week AS week,
    s.intent AS intent,
    s.text AS text,
    w.uses AS uses,
    w.agents AS agents,
    w.answering_uses AS answering_uses,
    w.avg_response_seconds AS avg_response_seconds,
    d.buyer_days AS buyer_days_with,
    d.converted AS converted_with,
    if(buyer_days_with = 0, NULL, converted_with / buyer_days_with) AS conversion_with,
    t.buyer_days - d.buyer_days AS buyer_days_without,
    t.converted - d.converted AS converted_without,
    if(buyer_days_without = 0, NULL, converted_without / buyer_days_without) AS conversion_without,
    conversion_with - conversion_without AS conversion_lift
FROM
(
    SELECT
        u.shop_id AS shop_id, u.script_id AS script_id, toMonday(u.business_date) AS week,
        count() AS uses, uniqExact(u.agent_id) AS agents,
        count(i.response_seconds) AS answering_uses,
        avg(i.response_seconds) AS avg_response_seconds
    FROM (SELECT * FROM {database}.script_uses FINAL) AS u
    LEFT JOIN
    (
        SELECT shop_id, buyer_id, assumeNotNull(answered_at) AS answered_at, response_seconds
        FROM {database}.inquiries FINAL
        WHERE answered_at IS NOT NULL
    ) AS i ON i.shop_id = u.shop_id AND i.buyer_id = u.buyer_id AND i.answered_at = u.occurred_at
    GROUP BY shop_id, script_id, week
) AS w
LEFT JOIN
(
    SELECT
        u.shop_id AS shop_id, u.script_id AS script_id, toMonday(u.business_date) AS week,
        count() AS buyer_days, toUInt64(sum(b.converted)) AS converted
    FROM (SELECT DISTINCT shop_id, script_id, buyer_id, business_date FROM {database}.script_uses FINAL) AS u
    INNER JOIN
    (
        SELECT shop_id, buyer_id, business_date, converted FROM {database}.buyer_days FINAL
    ) AS b ON b.shop_id = u.shop_id AND b.buyer_id = u.buyer_id AND b.business_date = u.business_date
    GROUP BY shop_id, script_id, week
) AS d ON d.shop_id = w.shop_id AND d.script_id = w.script_id AND d.week = w.week
LEFT JOIN
(
    SELECT shop_id, toMonday(business_date) AS week, count() AS buyer_days,
        toUInt64(sum(converted)) AS converted
    FROM {database}.buyer_days FINAL
    GROUP BY shop_id, week
) AS t ON t.shop_id = w.shop_id AND t.week = w.week
LEFT JOIN (SELECT shop_id, script_id, intent, text FROM {database}.scripts FINAL) AS s
    ON s.shop_id = w.shop_id AND s.script_id = w.script_id;
