-- The contact-center pipeline's facts (pipeline/facts.go). Each table keeps
-- one row per fact id: a fact is emitted again with a higher version when a
-- late event or newly arrived configuration corrects it, and with
-- deleted = 1 when a correction removes it (an agent state merged into
-- another). ReplacingMergeTree(version, deleted) keeps the highest version
-- per (tenant, id) when parts merge; readers use the *_latest views (FINAL,
-- deleted rows dropped), or argMax(column, version) grouped by id.
--
-- The loader inserts with a deduplication token per Kafka offset range, so
-- a batch retried after a crash is dropped by ClickHouse rather than
-- written twice (non_replicated_deduplication_window, as for ingest).
--
-- Times are UTC milliseconds; durations are milliseconds. `end` is the
-- epoch (1970-01-01 00:00:00.000) while a fact is still open; the views
-- show it as NULL. A fact's start never changes for its id (ids are derived
-- from it), so a correction lands in the same monthly partition and
-- replaces the row there.
CREATE TABLE IF NOT EXISTS interaction_facts {{on_cluster}} (
    tenant          LowCardinality(String),
    id              String,
    media           LowCardinality(String),
    direction       LowCardinality(String),
    start           DateTime64(3, 'UTC'),
    `end`           DateTime64(3, 'UTC'),
    source_address  String,
    target_address  String,
    first_queue     String,
    result          LowCardinality(String),
    reason          LowCardinality(String),
    campaign        String,
    disposition     String,
    resources       UInt32,
    transfers       UInt32,
    holds           UInt32,
    ring_ms         Int64,
    queue_ms        Int64,
    talk_ms         Int64,
    hold_ms         Int64,
    acw_ms          Int64,
    version         UInt64,
    deleted         UInt8,
    loaded          DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = {{replacing_merge_tree}}(version, deleted)
PARTITION BY toYYYYMM(start)
ORDER BY (tenant, id)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS interaction_resource_facts {{on_cluster}} (
    tenant          LowCardinality(String),
    id              String,
    interaction_id  String,
    media           LowCardinality(String),
    resource_type   LowCardinality(String),
    resource_id     String,
    resource_key    String,
    resource_name   String,
    dn              String,
    queue           String,
    role            LowCardinality(String),
    start           DateTime64(3, 'UTC'),
    `end`           DateTime64(3, 'UTC'),
    ring_ms         Int64,
    queue_ms        Int64,
    talk_ms         Int64,
    hold_ms         Int64,
    acw_ms          Int64,
    result          LowCardinality(String),
    reason          LowCardinality(String),
    version         UInt64,
    deleted         UInt8,
    loaded          DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = {{replacing_merge_tree}}(version, deleted)
PARTITION BY toYYYYMM(start)
ORDER BY (tenant, id)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS agent_state_facts {{on_cluster}} (
    tenant          LowCardinality(String),
    id              String,
    agent_id        String,
    agent_key       String,
    agent_name      String,
    media           LowCardinality(String),
    state           LowCardinality(String),
    reason          LowCardinality(String),
    start           DateTime64(3, 'UTC'),
    `end`           DateTime64(3, 'UTC'),
    duration_ms     Int64,
    closed          LowCardinality(String),
    version         UInt64,
    deleted         UInt8,
    loaded          DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = {{replacing_merge_tree}}(version, deleted)
PARTITION BY toYYYYMM(start)
ORDER BY (tenant, id)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS agent_session_facts {{on_cluster}} (
    tenant          LowCardinality(String),
    id              String,
    agent_id        String,
    agent_key       String,
    agent_name      String,
    media           LowCardinality(String),
    start           DateTime64(3, 'UTC'),
    `end`           DateTime64(3, 'UTC'),
    duration_ms     Int64,
    dns             UInt32,
    closed          LowCardinality(String),
    version         UInt64,
    deleted         UInt8,
    loaded          DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = {{replacing_merge_tree}}(version, deleted)
PARTITION BY toYYYYMM(start)
ORDER BY (tenant, id)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE VIEW IF NOT EXISTS interaction_facts_latest {{on_cluster}} AS
SELECT * EXCEPT (deleted, loaded) REPLACE (if(`end` = toDateTime64(0, 3, 'UTC'), NULL, `end`) AS `end`)
FROM interaction_facts FINAL WHERE deleted = 0;

CREATE VIEW IF NOT EXISTS interaction_resource_facts_latest {{on_cluster}} AS
SELECT * EXCEPT (deleted, loaded) REPLACE (if(`end` = toDateTime64(0, 3, 'UTC'), NULL, `end`) AS `end`)
FROM interaction_resource_facts FINAL WHERE deleted = 0;

CREATE VIEW IF NOT EXISTS agent_state_facts_latest {{on_cluster}} AS
SELECT * EXCEPT (deleted, loaded) REPLACE (if(`end` = toDateTime64(0, 3, 'UTC'), NULL, `end`) AS `end`)
FROM agent_state_facts FINAL WHERE deleted = 0;

CREATE VIEW IF NOT EXISTS agent_session_facts_latest {{on_cluster}} AS
SELECT * EXCEPT (deleted, loaded) REPLACE (if(`end` = toDateTime64(0, 3, 'UTC'), NULL, `end`) AS `end`)
FROM agent_session_facts FINAL WHERE deleted = 0;
