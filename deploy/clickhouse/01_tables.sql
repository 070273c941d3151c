-- Kefu Pulse on a ClickHouse cluster: the tables of sql/0002-0005 (same columns, same
-- sort keys, same FINAL contract), applied once by an operator with clickhouse-client.
-- Single-node installs never need this file: `kefu db migrate` applies sql/ there.
--
-- Layout. Every table of docs/analysts.md exists twice:
--   kefu_local.<table>  ReplicatedReplacingMergeTree, one copy per shard, replicated
--                       between the shard's replicas through ClickHouse Keeper
--                       ({shard} and {replica} are each server's macros);
--   kefu.<table>        a Distributed table under the interface name. Workers insert
--                       into it, analysts, Grafana and the views (02_views.sql) read it.
-- The local tables live in their own database so that `kefu` lists exactly the relations
-- of the single-node schema, and nobody queries one shard by mistake.
--
-- Sharding key: cityHash64(shop_id, buyer_id) wherever a row has a buyer.
--   * FINAL deduplicates only within one shard: a redelivered row and every newer
--     version of a row (an inquiry answered later, a refund decided, a buyer-day that
--     converted) must land on the shard that holds the older one. They always carry
--     the same shop_id and buyer_id, so a hash of those two sends them to the same
--     shard. A hash of time or of rand() would not: versions would collapse on no shard
--     and FINAL would return both.
--   * Everything about one buyer at one shop stays together, like the Kafka partitioning
--     of kefu.events: inquiries, buyer-days, orders and refunds of a buyer meet on one
--     shard, so per-buyer questions (conversion, repeat purchase) join locally.
--   * A shop's rows spread over all shards, so one busy shop does not make a hot shard.
-- alerts (no buyer) shard by shop_id; alert_controls by their id; dead_letters by their Kafka position, which is
-- their dedup key. Any key works for those as long as it is a function of the row's
-- identity, for the same reason as above.
--
-- Writing. The sink commits Kafka offsets only after a batch is stored, so inserts into
-- the Distributed tables must be synchronous: give the writer's user profile
--   distributed_foreground_insert = 1
-- (insert_distributed_sync before 23.x); an asynchronous Distributed insert returns
-- before the shards have the rows. A retried batch keeps its insert_deduplication_token;
-- it splits over the shards exactly as the first attempt did, and each shard's
-- replicated deduplication (replicated_deduplication_window, set to the 1000 inserts of
-- the single-node tables) drops the repeat.
--
-- Settings of the single node that do not carry over: non_replicated_deduplication_window
-- (replicated tables deduplicate through Keeper instead). The raw message TTL is the
-- default 180 days (KefuSettings.raw_text_ttl_days); change it on kefu_local.chat_messages
-- with ALTER TABLE ... ON CLUSTER kefu MODIFY COLUMN, never on the Distributed table
-- (Distributed tables take no TTL).
--
-- The cluster is called `kefu` in remote_servers; with another name, replace every
-- `ON CLUSTER kefu` and `Distributed(kefu,` below and in 02_views.sql.

CREATE DATABASE IF NOT EXISTS kefu_local ON CLUSTER kefu;

CREATE DATABASE IF NOT EXISTS kefu ON CLUSTER kefu;

-- sql/0002: events and dead letters -----------------------------------------------------

CREATE TABLE IF NOT EXISTS kefu_local.chat_messages ON CLUSTER kefu
(
    event_id    String,
    shop_id     String,
    buyer_id    String,
    sender      LowCardinality(String),
    agent_id    String,
    occurred_at DateTime64(3, 'UTC'),
    msg_type    LowCardinality(String),
    text        Nullable(String) TTL toDateTime(occurred_at) + toIntervalDay(180),
    order_id    Nullable(String),
    extra       String DEFAULT '{}',
    ingested_at DateTime64(3, 'UTC') DEFAULT now64(3, 'UTC')
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/kefu_local/chat_messages', '{replica}')
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (shop_id, occurred_at, event_id)
SETTINGS replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS kefu.chat_messages ON CLUSTER kefu AS kefu_local.chat_messages
ENGINE = Distributed(kefu, kefu_local, chat_messages, cityHash64(shop_id, buyer_id));

CREATE TABLE IF NOT EXISTS kefu_local.ratings ON CLUSTER kefu
(
    event_id      String,
    shop_id       String,
    buyer_id      String,
    agent_id      String,
    score         UInt8,
    occurred_at   DateTime64(3, 'UTC'),
    business_date Date
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/kefu_local/ratings', '{replica}')
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (shop_id, occurred_at, event_id)
SETTINGS replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS kefu.ratings ON CLUSTER kefu AS kefu_local.ratings
ENGINE = Distributed(kefu, kefu_local, ratings, cityHash64(shop_id, buyer_id));

CREATE TABLE IF NOT EXISTS kefu_local.complaints ON CLUSTER kefu
(
    complaint_id  String,
    shop_id       String,
    buyer_id      String,
    agent_id      String,
    order_id      Nullable(String),
    category      LowCardinality(String),
    occurred_at   DateTime64(3, 'UTC'),
    event_id      String,
    business_date Date
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/kefu_local/complaints', '{replica}')
ORDER BY (shop_id, complaint_id)
SETTINGS replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS kefu.complaints ON CLUSTER kefu AS kefu_local.complaints
ENGINE = Distributed(kefu, kefu_local, complaints, cityHash64(shop_id, buyer_id));

CREATE TABLE IF NOT EXISTS kefu_local.dead_letters ON CLUSTER kefu
(
    topic       LowCardinality(String),
    `partition` Int32,
    `offset`    Int64,
    reason      String,
    raw         String,
    received_at DateTime64(3, 'UTC')
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/kefu_local/dead_letters', '{replica}')
ORDER BY (topic, `partition`, `offset`)
SETTINGS replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS kefu.dead_letters ON CLUSTER kefu AS kefu_local.dead_letters
ENGINE = Distributed(kefu, kefu_local, dead_letters, cityHash64(topic, `partition`, `offset`));

-- sql/0003: inquiries and consulting buyer-days (versioned, is_deleted) -----------------

CREATE TABLE IF NOT EXISTS kefu_local.inquiries ON CLUSTER kefu
(
    shop_id              String,
    buyer_id             String,
    inquiry_id           String,
    agent_id             String,
    opened_at            DateTime64(3, 'UTC'),
    effective_opened_at  DateTime64(3, 'UTC'),
    answered_at          Nullable(DateTime64(3, 'UTC')),
    answered_by          Nullable(String),
    response_seconds     Nullable(Float64),
    within_30s           UInt8,
    within_3m            UInt8,
    within_5m            UInt8,
    business_date        Date,
    status               LowCardinality(String),
    in_8_23              UInt8,
    raw_response_seconds Nullable(Float64),
    version              UInt64,
    is_deleted           UInt8 DEFAULT 0
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/kefu_local/inquiries', '{replica}', version, is_deleted)
PARTITION BY toYYYYMM(opened_at)
ORDER BY (shop_id, opened_at, buyer_id, inquiry_id)
SETTINGS replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS kefu.inquiries ON CLUSTER kefu AS kefu_local.inquiries
ENGINE = Distributed(kefu, kefu_local, inquiries, cityHash64(shop_id, buyer_id));

CREATE TABLE IF NOT EXISTS kefu_local.buyer_days ON CLUSTER kefu
(
    shop_id             String,
    buyer_id            String,
    business_date       Date,
    first_inquiry_at    DateTime64(3, 'UTC'),
    inquiries           UInt32,
    missed_30s          UInt8,
    missed_3m           UInt8,
    missed_5m           UInt8,
    converted           UInt8,
    order_id            Nullable(String),
    paid_at             Nullable(DateTime64(3, 'UTC')),
    order_amount        Nullable(Decimal(18, 2)),
    conversion_agent_id String,
    version             UInt64,
    is_deleted          UInt8 DEFAULT 0
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/kefu_local/buyer_days', '{replica}', version, is_deleted)
PARTITION BY toYYYYMM(business_date)
ORDER BY (shop_id, business_date, buyer_id)
SETTINGS replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS kefu.buyer_days ON CLUSTER kefu AS kefu_local.buyer_days
ENGINE = Distributed(kefu, kefu_local, buyer_days, cityHash64(shop_id, buyer_id));

-- sql/0004: refunds and orders (latest state wins) ----------------------------------------

CREATE TABLE IF NOT EXISTS kefu_local.refunds ON CLUSTER kefu
(
    refund_id            String,
    shop_id              String,
    order_id             String,
    buyer_id             String,
    agent_id             String,
    status               LowCardinality(String),
    amount               Decimal(18, 2),
    requested_at         Nullable(DateTime64(3, 'UTC')),
    decided_at           Nullable(DateTime64(3, 'UTC')),
    refunded_at          Nullable(DateTime64(3, 'UTC')),
    disputed             UInt8,
    responsibility       LowCardinality(Nullable(String)),
    processing_seconds   Nullable(Float64),
    completion_seconds   Nullable(Float64),
    dispute_closed_at    Nullable(DateTime64(3, 'UTC')),
    merchant_responsible UInt8,
    updated_at           DateTime64(3, 'UTC'),
    version              UInt64
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/kefu_local/refunds', '{replica}', version)
ORDER BY (shop_id, refund_id)
SETTINGS replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS kefu.refunds ON CLUSTER kefu AS kefu_local.refunds
ENGINE = Distributed(kefu, kefu_local, refunds, cityHash64(shop_id, buyer_id));

CREATE TABLE IF NOT EXISTS kefu_local.orders ON CLUSTER kefu
(
    order_id   String,
    shop_id    String,
    buyer_id   String,
    status     LowCardinality(String),
    amount     Decimal(18, 2),
    created_at Nullable(DateTime64(3, 'UTC')),
    paid_at    Nullable(DateTime64(3, 'UTC')),
    grouped_at Nullable(DateTime64(3, 'UTC')),
    updated_at DateTime64(3, 'UTC'),
    version    UInt64
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/kefu_local/orders', '{replica}', version)
ORDER BY (shop_id, order_id)
SETTINGS replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS kefu.orders ON CLUSTER kefu AS kefu_local.orders
ENGINE = Distributed(kefu, kefu_local, orders, cityHash64(shop_id, buyer_id));

-- sql/0005, 0011: alert state changes ------------------------------------------------------

CREATE TABLE IF NOT EXISTS kefu_local.alerts ON CLUSTER kefu
(
    alert_id     String,
    rule         LowCardinality(String),
    shop_id      String,
    agent_id     String,
    state        LowCardinality(String),
    value        Nullable(Float64),
    threshold    Nullable(Float64),
    inquiries    UInt32,
    window_start Nullable(DateTime64(3, 'UTC')),
    window_end   Nullable(DateTime64(3, 'UTC')),
    event_time   DateTime64(3, 'UTC'),
    raised_at    DateTime64(3, 'UTC'),
    message      String DEFAULT '',
    reason       LowCardinality(String) DEFAULT '',
    silenced     UInt8 DEFAULT 0,
    acked_by     String DEFAULT ''
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/kefu_local/alerts', '{replica}')
PARTITION BY toYYYYMM(event_time)
ORDER BY (shop_id, event_time, alert_id, state)
SETTINGS replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS kefu.alerts ON CLUSTER kefu AS kefu_local.alerts
ENGINE = Distributed(kefu, kefu_local, alerts, cityHash64(shop_id));

-- sql/0010: state generations (a handful of rows; every worker reads their maximum) -------

CREATE TABLE IF NOT EXISTS kefu_local.generations ON CLUSTER kefu
(
    generation   UInt32,
    `partition`  UInt32,
    events_topic String,
    started_at   DateTime64(3, 'UTC')
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/kefu_local/generations', '{replica}')
ORDER BY (generation, `partition`);

CREATE TABLE IF NOT EXISTS kefu.generations ON CLUSTER kefu AS kefu_local.generations
ENGINE = Distributed(kefu, kefu_local, generations, cityHash64(generation, `partition`));

-- sql/0015: escalations and work orders ------------------------------------------------------
-- Escalations and work orders shard by buyer like the facts they come from (every version of
-- an order carries its shop and buyer); lifecycle events by their order, their identity.

CREATE TABLE IF NOT EXISTS kefu_local.escalations ON CLUSTER kefu
(
    escalation_id String,
    shop_id       String,
    buyer_id      String,
    agent_id      String,
    rule          LowCardinality(String),
    severity      LowCardinality(String),
    occurred_at   DateTime64(3, 'UTC'),
    business_date Date,
    detail        String
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/kefu_local/escalations', '{replica}')
ORDER BY (shop_id, escalation_id)
SETTINGS replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS kefu.escalations ON CLUSTER kefu AS kefu_local.escalations
ENGINE = Distributed(kefu, kefu_local, escalations, cityHash64(shop_id, buyer_id));

CREATE TABLE IF NOT EXISTS kefu_local.work_order_events ON CLUSTER kefu
(
    event_id      String,
    work_order_id String,
    action        LowCardinality(String),
    at            DateTime64(3, 'UTC'),
    by            String,
    to            String,
    received_at   DateTime64(3, 'UTC')
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/kefu_local/work_order_events', '{replica}')
ORDER BY (work_order_id, event_id)
SETTINGS replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS kefu.work_order_events ON CLUSTER kefu AS kefu_local.work_order_events
ENGINE = Distributed(kefu, kefu_local, work_order_events, cityHash64(work_order_id));

CREATE TABLE IF NOT EXISTS kefu_local.work_orders ON CLUSTER kefu
(
    work_order_id         String,
    shop_id               String,
    buyer_id              String,
    agent_id              String,
    rule                  LowCardinality(String),
    priority              LowCardinality(String),
    owner                 String,
    state                 LowCardinality(String),
    opened_at             DateTime64(3, 'UTC'),
    first_action_at       Nullable(DateTime64(3, 'UTC')),
    resolved_at           Nullable(DateTime64(3, 'UTC')),
    first_action_due      DateTime64(3, 'UTC'),
    resolve_due           DateTime64(3, 'UTC'),
    breached_first_action UInt8,
    breached_resolve      UInt8,
    business_date         Date,
    version               UInt64
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/kefu_local/work_orders', '{replica}', version)
ORDER BY (shop_id, work_order_id)
SETTINGS replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS kefu.work_orders ON CLUSTER kefu AS kefu_local.work_orders
ENGINE = Distributed(kefu, kefu_local, work_orders, cityHash64(shop_id, buyer_id));

-- sql/0011: silences and acks of alerts -----------------------------------------------------

CREATE TABLE IF NOT EXISTS kefu_local.alert_controls ON CLUSTER kefu
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
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/kefu_local/alert_controls', '{replica}')
ORDER BY (kind, control_id);

CREATE TABLE IF NOT EXISTS kefu.alert_controls ON CLUSTER kefu AS kefu_local.alert_controls
ENGINE = Distributed(kefu, kefu_local, alert_controls, cityHash64(kind, control_id));

-- sql/0017: quality-inspection findings -------------------------------------------------

CREATE TABLE IF NOT EXISTS kefu_local.qc_findings ON CLUSTER kefu
(
    event_id      String,
    shop_id       String,
    buyer_id      String,
    agent_id      String,
    sender        LowCardinality(String),
    occurred_at   DateTime64(3, 'UTC'),
    business_date Date,
    category      LowCardinality(String),
    severity      LowCardinality(String),
    rule_id       LowCardinality(String),
    matched       String
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/kefu_local/qc_findings', '{replica}')
PARTITION BY toYYYYMM(business_date)
ORDER BY (shop_id, business_date, event_id, rule_id)
SETTINGS replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS kefu.qc_findings ON CLUSTER kefu AS kefu_local.qc_findings
ENGINE = Distributed(kefu, kefu_local, qc_findings, cityHash64(shop_id, buyer_id));

-- sql/0019: the script library --------------------------------------------------------------

CREATE TABLE IF NOT EXISTS kefu_local.scripts ON CLUSTER kefu
(
    shop_id   String,
    script_id String,
    intent    LowCardinality(String),
    text      String,
    version   UInt64
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/kefu_local/scripts', '{replica}', version)
ORDER BY (shop_id, script_id);

CREATE TABLE IF NOT EXISTS kefu.scripts ON CLUSTER kefu AS kefu_local.scripts
ENGINE = Distributed(kefu, kefu_local, scripts, cityHash64(shop_id, script_id));

CREATE TABLE IF NOT EXISTS kefu_local.script_uses ON CLUSTER kefu
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
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/kefu_local/script_uses', '{replica}')
PARTITION BY toYYYYMM(business_date)
ORDER BY (shop_id, business_date, event_id)
SETTINGS replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS kefu.script_uses ON CLUSTER kefu AS kefu_local.script_uses
ENGINE = Distributed(kefu, kefu_local, script_uses, cityHash64(shop_id, buyer_id));
-- sql/0021: staffing plans (per shop and half hour; a re-plan replaces the row) -------------

CREATE TABLE IF NOT EXISTS kefu_local.staffing_plan ON CLUSTER kefu
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
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/kefu_local/staffing_plan', '{replica}', planned_at)
PARTITION BY toYYYYMM(interval_start)
ORDER BY (shop_id, interval_start);

CREATE TABLE IF NOT EXISTS kefu.staffing_plan ON CLUSTER kefu AS kefu_local.staffing_plan
ENGINE = Distributed(kefu, kefu_local, staffing_plan, cityHash64(shop_id));

-- sql/0022: staffing shifts (per shop, day and shift pattern; a day's newest plan counts) ---

CREATE TABLE IF NOT EXISTS kefu_local.staffing_shifts ON CLUSTER kefu
(
    shop_id             String,
    business_date       Date,
    shift_start         DateTime('UTC'),
    hours               Float64,
    break_after_minutes UInt16,
    agents              UInt32,
    planned_at          DateTime64(3, 'UTC')
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/kefu_local/staffing_shifts', '{replica}', planned_at)
PARTITION BY toYYYYMM(business_date)
ORDER BY (shop_id, business_date, shift_start, hours, break_after_minutes);

CREATE TABLE IF NOT EXISTS kefu.staffing_shifts ON CLUSTER kefu AS kefu_local.staffing_shifts
ENGINE = Distributed(kefu, kefu_local, staffing_shifts, cityHash64(shop_id));

-- sql/0023: exact rollups (their state, and the stored FINAL computations) ----------------
-- Sharded by shop: a refresh writes a period's rows once, and readers filter by shop.
-- The rollups are versioned by their refresh stamp, computed_at, as in sql/0029: a merge
-- keeps the refresh that rollup_state (versioned by the same stamp) calls fresh.
-- The materialized views that mark periods in rollup_changes (02_views.sql) sit on the
-- Distributed tables, so the node that takes an insert marks its periods; keep the
-- servers' clocks in step (NTP), since a mark and a refresh start are compared.

CREATE TABLE IF NOT EXISTS kefu_local.rollup_state ON CLUSTER kefu
(
    view_name  LowCardinality(String),
    shop_id    String,
    period     DateTime('UTC'),
    changed_at DateTime64(6, 'UTC'),
    fresh      UInt8
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/kefu_local/rollup_state', '{replica}', changed_at)
ORDER BY (view_name, shop_id, period);

CREATE TABLE IF NOT EXISTS kefu.rollup_state ON CLUSTER kefu AS kefu_local.rollup_state
ENGINE = Distributed(kefu, kefu_local, rollup_state, cityHash64(shop_id));

-- sql/0030: the marks land here first and are forwarded to rollup_state; a refresh deletes
-- the marks it covers from the local tables, on every node (DELETE ... ON CLUSTER).
CREATE TABLE IF NOT EXISTS kefu_local.rollup_changes ON CLUSTER kefu
(
    view_name  LowCardinality(String),
    shop_id    String,
    period     DateTime('UTC'),
    changed_at DateTime64(6, 'UTC')
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/kefu_local/rollup_changes', '{replica}', changed_at)
ORDER BY (view_name, shop_id, period);

CREATE TABLE IF NOT EXISTS kefu.rollup_changes ON CLUSTER kefu AS kefu_local.rollup_changes
ENGINE = Distributed(kefu, kefu_local, rollup_changes, cityHash64(shop_id));

CREATE TABLE IF NOT EXISTS kefu_local.shop_daily_rollup ON CLUSTER kefu
(
    shop_id                      String,
    business_date                Date,
    inquiries                    UInt64,
    answered                     UInt64,
    consulting_buyers            UInt64,
    rate_30s                     Nullable(Float64),
    rate_3m                      Nullable(Float64),
    rate_5m                      Nullable(Float64),
    avg_response_seconds         Nullable(Float64),
    p50_response_seconds         Nullable(Float64),
    p90_response_seconds         Nullable(Float64),
    avg_first_response_seconds   Nullable(Float64),
    buyer_rate_30s               Nullable(Float64),
    buyer_rate_3m                Nullable(Float64),
    buyer_rate_5m                Nullable(Float64),
    converted_buyers             UInt64,
    conversion_rate              Nullable(Float64),
    converted_amount             Decimal(38, 2),
    avg_order_value              Nullable(Float64),
    ratings                      UInt64,
    positive_rating_rate         Nullable(Float64),
    complaints                   UInt64,
    complaint_rate               Nullable(Float64),
    is_final                     UInt8,
    inquiries_8_23               UInt64,
    consulting_buyers_8_23       UInt64,
    rate_30s_8_23                Nullable(Float64),
    rate_3m_8_23                 Nullable(Float64),
    rate_5m_8_23                 Nullable(Float64),
    avg_response_seconds_8_23    Nullable(Float64),
    buyer_rate_30s_8_23          Nullable(Float64),
    buyer_rate_3m_8_23           Nullable(Float64),
    buyer_rate_5m_8_23           Nullable(Float64),
    consulting_buyers_all_day    UInt64,
    rate_30s_all_day             Nullable(Float64),
    rate_3m_all_day              Nullable(Float64),
    rate_5m_all_day              Nullable(Float64),
    avg_response_seconds_all_day Nullable(Float64),
    buyer_rate_30s_all_day       Nullable(Float64),
    buyer_rate_3m_all_day        Nullable(Float64),
    buyer_rate_5m_all_day        Nullable(Float64),
    computed_at                  DateTime64(6, 'UTC')
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/kefu_local/shop_daily_rollup', '{replica}', computed_at)
PARTITION BY toYYYYMM(business_date)
ORDER BY (shop_id, business_date);

CREATE TABLE IF NOT EXISTS kefu.shop_daily_rollup ON CLUSTER kefu AS kefu_local.shop_daily_rollup
ENGINE = Distributed(kefu, kefu_local, shop_daily_rollup, cityHash64(shop_id));

CREATE TABLE IF NOT EXISTS kefu_local.agent_daily_rollup ON CLUSTER kefu
(
    shop_id                      String,
    agent_id                     String,
    business_date                Date,
    inquiries                    UInt64,
    answered                     UInt64,
    consulting_buyers            UInt64,
    rate_30s                     Nullable(Float64),
    rate_3m                      Nullable(Float64),
    rate_5m                      Nullable(Float64),
    avg_response_seconds         Nullable(Float64),
    p50_response_seconds         Nullable(Float64),
    p90_response_seconds         Nullable(Float64),
    buyer_rate_30s               Nullable(Float64),
    buyer_rate_3m                Nullable(Float64),
    buyer_rate_5m                Nullable(Float64),
    converted_buyers             UInt64,
    conversion_rate              Nullable(Float64),
    converted_amount             Decimal(38, 2),
    avg_order_value              Nullable(Float64),
    ratings                      UInt64,
    positive_rating_rate         Nullable(Float64),
    complaints                   UInt64,
    complaint_rate               Nullable(Float64),
    is_final                     UInt8,
    inquiries_8_23               UInt64,
    consulting_buyers_8_23       UInt64,
    rate_30s_8_23                Nullable(Float64),
    rate_3m_8_23                 Nullable(Float64),
    rate_5m_8_23                 Nullable(Float64),
    avg_response_seconds_8_23    Nullable(Float64),
    buyer_rate_30s_8_23          Nullable(Float64),
    buyer_rate_3m_8_23           Nullable(Float64),
    buyer_rate_5m_8_23           Nullable(Float64),
    consulting_buyers_all_day    UInt64,
    rate_30s_all_day             Nullable(Float64),
    rate_3m_all_day              Nullable(Float64),
    rate_5m_all_day              Nullable(Float64),
    avg_response_seconds_all_day Nullable(Float64),
    buyer_rate_30s_all_day       Nullable(Float64),
    buyer_rate_3m_all_day        Nullable(Float64),
    buyer_rate_5m_all_day        Nullable(Float64),
    replies                      UInt64,
    qc_findings                  UInt64,
    qc_score                     Nullable(Float64),
    computed_at                  DateTime64(6, 'UTC')
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/kefu_local/agent_daily_rollup', '{replica}', computed_at)
PARTITION BY toYYYYMM(business_date)
ORDER BY (shop_id, business_date, agent_id);

CREATE TABLE IF NOT EXISTS kefu.agent_daily_rollup ON CLUSTER kefu AS kefu_local.agent_daily_rollup
ENGINE = Distributed(kefu, kefu_local, agent_daily_rollup, cityHash64(shop_id));

CREATE TABLE IF NOT EXISTS kefu_local.shop_minutely_rollup ON CLUSTER kefu
(
    shop_id              String,
    minute               DateTime64(3, 'UTC'),
    inquiries            UInt64,
    answered             UInt64,
    rate_30s             Nullable(Float64),
    rate_3m              Nullable(Float64),
    rate_5m              Nullable(Float64),
    avg_response_seconds Nullable(Float64),
    is_final             UInt8,
    computed_at          DateTime64(6, 'UTC')
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/kefu_local/shop_minutely_rollup', '{replica}', computed_at)
PARTITION BY toYYYYMM(minute)
ORDER BY (shop_id, minute);

CREATE TABLE IF NOT EXISTS kefu.shop_minutely_rollup ON CLUSTER kefu AS kefu_local.shop_minutely_rollup
ENGINE = Distributed(kefu, kefu_local, shop_minutely_rollup, cityHash64(shop_id));

CREATE TABLE IF NOT EXISTS kefu_local.agent_minutely_rollup ON CLUSTER kefu
(
    shop_id              String,
    agent_id             String,
    minute               DateTime64(3, 'UTC'),
    inquiries            UInt64,
    answered             UInt64,
    rate_30s             Nullable(Float64),
    rate_3m              Nullable(Float64),
    rate_5m              Nullable(Float64),
    avg_response_seconds Nullable(Float64),
    is_final             UInt8,
    computed_at          DateTime64(6, 'UTC')
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/kefu_local/agent_minutely_rollup', '{replica}', computed_at)
PARTITION BY toYYYYMM(minute)
ORDER BY (shop_id, minute, agent_id);

CREATE TABLE IF NOT EXISTS kefu.agent_minutely_rollup ON CLUSTER kefu AS kefu_local.agent_minutely_rollup
ENGINE = Distributed(kefu, kefu_local, agent_minutely_rollup, cityHash64(shop_id));

-- sql/0024: skipping indexes (the same ALTERs, on the local tables) -------------------------

ALTER TABLE kefu_local.inquiries ON CLUSTER kefu
    ADD INDEX IF NOT EXISTS business_date_range business_date TYPE minmax GRANULARITY 1;
ALTER TABLE kefu_local.inquiries ON CLUSTER kefu
    ADD INDEX IF NOT EXISTS effective_opened_range effective_opened_at TYPE minmax GRANULARITY 1;
ALTER TABLE kefu_local.ratings ON CLUSTER kefu
    ADD INDEX IF NOT EXISTS business_date_range business_date TYPE minmax GRANULARITY 1;


CREATE TABLE IF NOT EXISTS kefu_local.shop_hourly_rollup ON CLUSTER kefu
(
    shop_id              String,
    hour                 DateTime64(3, 'UTC'),
    inquiries            UInt64,
    answered             UInt64,
    rate_30s             Nullable(Float64),
    rate_3m              Nullable(Float64),
    rate_5m              Nullable(Float64),
    avg_response_seconds Nullable(Float64),
    is_final             UInt8,
    computed_at          DateTime64(6, 'UTC')
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/kefu_local/shop_hourly_rollup', '{replica}', computed_at)
PARTITION BY toYYYYMM(hour)
ORDER BY (shop_id, hour);

CREATE TABLE IF NOT EXISTS kefu.shop_hourly_rollup ON CLUSTER kefu AS kefu_local.shop_hourly_rollup
ENGINE = Distributed(kefu, kefu_local, shop_hourly_rollup, cityHash64(shop_id));

CREATE TABLE IF NOT EXISTS kefu_local.agent_hourly_rollup ON CLUSTER kefu
(
    shop_id              String,
    agent_id             String,
    hour                 DateTime64(3, 'UTC'),
    inquiries            UInt64,
    answered             UInt64,
    rate_30s             Nullable(Float64),
    rate_3m              Nullable(Float64),
    rate_5m              Nullable(Float64),
    avg_response_seconds Nullable(Float64),
    is_final             UInt8,
    computed_at          DateTime64(6, 'UTC')
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/kefu_local/agent_hourly_rollup', '{replica}', computed_at)
PARTITION BY toYYYYMM(hour)
ORDER BY (shop_id, hour, agent_id);

CREATE TABLE IF NOT EXISTS kefu.agent_hourly_rollup ON CLUSTER kefu AS kefu_local.agent_hourly_rollup
ENGINE = Distributed(kefu, kefu_local, agent_hourly_rollup, cityHash64(shop_id));

-- sql/0025: the KPI scorecard's daily sums rolled up, and paid orders by buyer ---------------
-- buyer_paid_orders is sharded like orders, by shop and buyer.

CREATE TABLE IF NOT EXISTS kefu_local.buyer_paid_orders ON CLUSTER kefu
(
    shop_id    String,
    buyer_id   String,
    order_id   String,
    paid_at    Nullable(DateTime64(3, 'UTC')),
    grouped_at Nullable(DateTime64(3, 'UTC'))
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/kefu_local/buyer_paid_orders', '{replica}')
ORDER BY (shop_id, buyer_id, order_id);

CREATE TABLE IF NOT EXISTS kefu.buyer_paid_orders ON CLUSTER kefu AS kefu_local.buyer_paid_orders
ENGINE = Distributed(kefu, kefu_local, buyer_paid_orders, cityHash64(shop_id, buyer_id));

CREATE TABLE IF NOT EXISTS kefu_local.agent_kpi_daily_rollup ON CLUSTER kefu
(
    shop_id              String,
    agent_id             String,
    business_date        Date,
    answered             UInt64,
    response_seconds_sum Float64,
    consulting_buyers    UInt64,
    converted_buyers     UInt64,
    converted_amount     Decimal(38, 2),
    repeat_buyers        UInt64,
    ratings              UInt64,
    positive_ratings     UInt64,
    complaints           UInt64,
    decided_refunds      UInt64,
    converted_orders     UInt64,
    work_orders_settled  UInt64,
    work_orders_met      UInt64,
    qc_replies           UInt64,
    qc_penalty           Float64,
    computed_at          DateTime64(6, 'UTC')
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/kefu_local/agent_kpi_daily_rollup', '{replica}', computed_at)
PARTITION BY toYYYYMM(business_date)
ORDER BY (shop_id, business_date, agent_id);

CREATE TABLE IF NOT EXISTS kefu.agent_kpi_daily_rollup ON CLUSTER kefu AS kefu_local.agent_kpi_daily_rollup
ENGINE = Distributed(kefu, kefu_local, agent_kpi_daily_rollup, cityHash64(shop_id));

-- sql/0027: the refund rates' daily inputs rolled up, and orders and refunds by day -------
-- The by-day lists are sharded by shop, like the rollups: a list row is the same for every
-- version that repeats it, so repeats meet on one shard and collapse there.

CREATE TABLE IF NOT EXISTS kefu_local.paid_orders_by_day ON CLUSTER kefu
(
    shop_id  String,
    paid_on  Date,
    order_id String
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/kefu_local/paid_orders_by_day', '{replica}')
PARTITION BY toYYYYMM(paid_on)
ORDER BY (shop_id, paid_on, order_id);

CREATE TABLE IF NOT EXISTS kefu.paid_orders_by_day ON CLUSTER kefu AS kefu_local.paid_orders_by_day
ENGINE = Distributed(kefu, kefu_local, paid_orders_by_day, cityHash64(shop_id));

CREATE TABLE IF NOT EXISTS kefu_local.refunds_by_day ON CLUSTER kefu
(
    shop_id   String,
    day       Date,
    refund_id String
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/kefu_local/refunds_by_day', '{replica}')
PARTITION BY toYYYYMM(day)
ORDER BY (shop_id, day, refund_id);

CREATE TABLE IF NOT EXISTS kefu.refunds_by_day ON CLUSTER kefu AS kefu_local.refunds_by_day
ENGINE = Distributed(kefu, kefu_local, refunds_by_day, cityHash64(shop_id));

CREATE TABLE IF NOT EXISTS kefu_local.paid_orders_daily_rollup ON CLUSTER kefu
(
    shop_id     String,
    day         Date,
    paid_orders UInt64,
    computed_at DateTime64(6, 'UTC')
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/kefu_local/paid_orders_daily_rollup', '{replica}', computed_at)
PARTITION BY toYYYYMM(day)
ORDER BY (shop_id, day);

CREATE TABLE IF NOT EXISTS kefu.paid_orders_daily_rollup ON CLUSTER kefu AS kefu_local.paid_orders_daily_rollup
ENGINE = Distributed(kefu, kefu_local, paid_orders_daily_rollup, cityHash64(shop_id));

CREATE TABLE IF NOT EXISTS kefu_local.refund_daily_rollup ON CLUSTER kefu
(
    shop_id                String,
    agent_id               String,
    day                    Date,
    merchant_disputes      UInt64,
    closed_disputes        UInt64,
    resolved_disputes      UInt64,
    decided_refunds        UInt64,
    processing_seconds_sum Float64,
    computed_at            DateTime64(6, 'UTC')
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/kefu_local/refund_daily_rollup', '{replica}', computed_at)
PARTITION BY toYYYYMM(day)
ORDER BY (shop_id, day, agent_id);

CREATE TABLE IF NOT EXISTS kefu.refund_daily_rollup ON CLUSTER kefu AS kefu_local.refund_daily_rollup
ENGINE = Distributed(kefu, kefu_local, refund_daily_rollup, cityHash64(shop_id));
