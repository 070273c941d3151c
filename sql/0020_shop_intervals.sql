-- 0020: observed load and staffing per shop and 30-minute shop-local interval
-- (docs/metrics.md#staffing, docs/analysts.md "Staffing intervals").
--
-- Settings views (re-created from the shop time zones like refund_days, 0008):
-- inquiry_local_times and agent_message_local_times add the shop-local wall-clock reading of
-- the clock start, the answer and each human agent message, typed DateTime64(3, 'UTC') so
-- shops of different zones share one column.
--
-- shop_intervals, keyed (shop_id, interval_start), interval_start the local wall-clock start
-- of the half hour (DateTime labelled UTC), business_date its date:
--   inquiries, answered, rate_3m, rate_5m, is_final: inquiries whose clock starts in the
--       interval, with shop_daily's rules (an open inquiry is in every denominator and in no
--       numerator; is_final = 0 while one is open)
--   handle_seconds: mean over those answered of (last human agent message of the inquiry,
--       i.e. before the conversation's next inquiry opens, in (occurred_at, event_id) order)
--       - answered_at, capped at 1200 s; from chat_messages, since inquiries keep no last message
--   active_agents: distinct agents with a human message (sender = 'agent') in the interval
--   concurrency: handling seconds in the interval / 1800 / active_agents, where every answered
--       inquiry is being handled from answered_at for its (capped) handle time; NULL without
--       active agents
-- An interval has a row when an inquiry's clock starts, an agent writes or handling falls in it.

-- settings: shop time zones. Inquiries (latest state) with the shop-local wall-clock
-- times of their clock start and answer, for shop_intervals.
CREATE OR REPLACE VIEW {database}.inquiry_local_times AS
SELECT *, fromUnixTimestamp64Milli(toUnixTimestamp64Milli(effective_opened_at) + 1000 * timeZoneOffset(toTimeZone(effective_opened_at, 'Asia/Shanghai')), 'UTC') AS local_clock_start,
    fromUnixTimestamp64Milli(toUnixTimestamp64Milli(answered_at) + 1000 * timeZoneOffset(toTimeZone(answered_at, 'Asia/Shanghai')), 'UTC') AS local_answered_at
FROM {database}.inquiries FINAL;

-- settings: shop time zones. Human agents' chat messages with their shop-local
-- wall-clock time, for shop_intervals.
CREATE OR REPLACE VIEW {database}.agent_message_local_times AS
SELECT shop_id, buyer_id, agent_id, event_id, occurred_at,
    fromUnixTimestamp64Milli(toUnixTimestamp64Milli(occurred_at) + 1000 * timeZoneOffset(toTimeZone(occurred_at, 'Asia/Shanghai')), 'UTC') AS local_at
FROM {database}.chat_messages FINAL
WHERE sender = 'agent';

CREATE OR REPLACE VIEW {database}.shop_intervals AS
WITH
    conversation AS
    (
        SELECT
            shop_id, buyer_id, inquiry_id, answered_at, local_clock_start, local_answered_at,
            leadInFrame(tuple(opened_at, inquiry_id), 1,
                tuple(toDateTime64('2299-12-31 00:00:00', 3, 'UTC'), ''))
                OVER (PARTITION BY shop_id, buyer_id ORDER BY opened_at, inquiry_id
                      ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING) AS next_opening
        FROM {database}.inquiry_local_times
    ),
    handled AS
    (
        SELECT
            c.shop_id AS shop_id,
            any(c.local_clock_start) AS clock_start,
            assumeNotNull(any(c.local_answered_at)) AS handle_start,
            least(max(toUnixTimestamp64Milli(m.occurred_at) - toUnixTimestamp64Milli(c.answered_at)) / 1000,
                  1200) AS handle
        FROM conversation AS c
        INNER JOIN {database}.agent_message_local_times AS m
            ON m.shop_id = c.shop_id AND m.buyer_id = c.buyer_id
        WHERE c.answered_at IS NOT NULL
            AND m.occurred_at >= c.answered_at
            AND tuple(m.occurred_at, m.event_id) < c.next_opening
        GROUP BY c.shop_id, c.buyer_id, c.inquiry_id
    )
SELECT
    shop_id,
    interval_start,
    toDate(interval_start) AS business_date,
    sum(n_inquiries) AS inquiries,
    sum(n_answered) AS answered,
    if(inquiries = 0, NULL, sum(n_3m) / inquiries) AS rate_3m,
    if(inquiries = 0, NULL, sum(n_5m) / inquiries) AS rate_5m,
    if(sum(n_handled) = 0, NULL, sum(s_handle) / sum(n_handled)) AS handle_seconds,
    sum(n_agents) AS active_agents,
    if(active_agents = 0, NULL, sum(s_busy) / 1800 / active_agents) AS concurrency,
    toUInt8(sum(n_open) = 0) AS is_final
FROM
(
    -- inquiries by the interval their clock starts in
    SELECT
        shop_id, toDateTime(toStartOfInterval(local_clock_start, INTERVAL 30 MINUTE), 'UTC') AS interval_start,
        count() AS n_inquiries, countIf(answered_at IS NOT NULL) AS n_answered,
        countIf(status = 'open') AS n_open,
        toUInt64(sum(within_3m)) AS n_3m, toUInt64(sum(within_5m)) AS n_5m,
        toUInt64(0) AS n_handled, toFloat64(0) AS s_handle, toUInt64(0) AS n_agents, toFloat64(0) AS s_busy
    FROM {database}.inquiry_local_times
    GROUP BY shop_id, interval_start

    UNION ALL

    -- handle time, by the interval the inquiry's clock starts in
    SELECT
        shop_id, toDateTime(toStartOfInterval(clock_start, INTERVAL 30 MINUTE), 'UTC') AS interval_start,
        toUInt64(0) AS n_inquiries, toUInt64(0) AS n_answered, toUInt64(0) AS n_open,
        toUInt64(0) AS n_3m, toUInt64(0) AS n_5m,
        count() AS n_handled, sum(handle) AS s_handle, toUInt64(0) AS n_agents, toFloat64(0) AS s_busy
    FROM handled
    GROUP BY shop_id, interval_start

    UNION ALL

    -- active agents
    SELECT
        shop_id, toDateTime(toStartOfInterval(local_at, INTERVAL 30 MINUTE), 'UTC') AS interval_start,
        toUInt64(0) AS n_inquiries, toUInt64(0) AS n_answered, toUInt64(0) AS n_open,
        toUInt64(0) AS n_3m, toUInt64(0) AS n_5m,
        toUInt64(0) AS n_handled, toFloat64(0) AS s_handle, uniqExact(agent_id) AS n_agents, toFloat64(0) AS s_busy
    FROM {database}.agent_message_local_times
    WHERE agent_id != ''
    GROUP BY shop_id, interval_start

    UNION ALL

    -- handling seconds: a span is at most 1200 s, so it falls in its start's interval and at
    -- most the next one
    SELECT
        shop_id, interval_start,
        toUInt64(0) AS n_inquiries, toUInt64(0) AS n_answered, toUInt64(0) AS n_open,
        toUInt64(0) AS n_3m, toUInt64(0) AS n_5m,
        toUInt64(0) AS n_handled, toFloat64(0) AS s_handle, toUInt64(0) AS n_agents, sum(busy) AS s_busy
    FROM
    (
        SELECT
            shop_id,
            toDateTime(toStartOfInterval(handle_start, INTERVAL 30 MINUTE), 'UTC') AS first_interval,
            toUnixTimestamp64Milli(handle_start) / 1000 AS span_start,
            span_start + handle AS span_end,
            toFloat64(toUnixTimestamp(first_interval) + 1800) AS boundary
        FROM handled
    )
    ARRAY JOIN
        [first_interval, first_interval + 1800] AS interval_start,
        [least(span_end, boundary) - span_start, greatest(span_end - boundary, 0.0)] AS busy
    WHERE busy > 0
    GROUP BY shop_id, interval_start
)
GROUP BY shop_id, interval_start;
