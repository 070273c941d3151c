-- 0001: the database and the ledger of applied migrations.
-- sinks/migrate.py substitutes {database}, applies the numbered files of sql/ in
-- order, and records each applied file here once (version = file name stem).

CREATE DATABASE IF NOT EXISTS {database};

CREATE TABLE IF NOT EXISTS {database}.schema_migrations
(
    version    String,
    checksum   String,
    applied_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(applied_at)
ORDER BY version;
