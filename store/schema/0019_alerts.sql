-- Alerts: monitors, their state, their transitions, the notification
-- outbox, silences, and the lease that names the one replica evaluating.
--
-- Monitors created or changed through the API (promotion among them); the
-- file-provisioned ones live in configs/monitors/. Same shape and rules as
-- the dashboards table: every write appends a revision.
CREATE TABLE IF NOT EXISTS monitors {{on_cluster}} (
    uid             String,
    revision        UInt64,
    hash            String,
    body            String CODEC(ZSTD(3)),
    deleted         UInt8 DEFAULT 0,
    updated_at      DateTime64(3),
    updated_by      String
) ENGINE = {{merge_tree}}
ORDER BY (uid, revision);

-- Every change of a monitor group's state, the alert log. Its id is
-- deterministic (monitor, group, state entered, tick), so an evaluation
-- repeated after a crash writes the same row again and the engine keeps
-- one. The state table below is a cache of this log: at start the
-- evaluator rolls it forward with the transitions newer than it.
-- silenced names what kept the transition from being sent (a silence, a
-- mute window); channels are the ones it was queued for.
CREATE TABLE IF NOT EXISTS alert_transitions {{on_cluster}} (
    id              String,
    monitor         String,
    group_key       String,
    labels          Map(String, String),
    from_state      LowCardinality(String),
    to_state        LowCardinality(String),
    at              DateTime64(3),
    seq             UInt32,
    value           Float64,
    severity        LowCardinality(String),
    error           String,
    link            String,
    dashboard_url   String,
    silenced        String,
    channels        Array(String),
    event           String CODEC(ZSTD(3))
) ENGINE = {{replacing_merge_tree}}
ORDER BY (monitor, group_key, at, id)
TTL toDateTime(at) + INTERVAL 400 DAY;

-- The state of each monitor group as of its last evaluation; the row with
-- the highest version is current.
CREATE TABLE IF NOT EXISTS monitor_state {{on_cluster}} (
    monitor         String,
    group_key       String,
    labels          Map(String, String),
    state           LowCardinality(String),
    since           DateTime64(3),
    active_since    DateTime64(3),
    last_held       DateTime64(3),
    last_eval       DateTime64(3),
    value           Float64,
    link            String,
    dashboard_url   String,
    error           String,
    version         UInt64
) ENGINE = {{replacing_merge_tree}}(version)
ORDER BY (monitor, group_key);

-- The outbox: one row per transition and channel, written before it is
-- sent; each attempt writes a newer version of the row. Deliveries leave a
-- channel in (seq, id) order. state is pending, sent, failed or
-- (for a test event) test.
CREATE TABLE IF NOT EXISTS notifications {{on_cluster}} (
    id              String,
    channel         String,
    transition_id   String,
    source          LowCardinality(String),
    key             String,
    action          LowCardinality(String),
    seq             UInt64,
    created_at      DateTime64(3),
    state           LowCardinality(String),
    attempts        UInt32,
    status          UInt16,
    answer          String,
    error           String,
    next_attempt    DateTime64(3),
    updated_at      DateTime64(3),
    event           String CODEC(ZSTD(3)),
    version         UInt64
) ENGINE = {{replacing_merge_tree}}(version)
ORDER BY (channel, id)
TTL toDateTime(created_at) + INTERVAL 90 DAY;

-- Silences: a monitor (empty: any), label matchers (every one must equal
-- the alert's label) and a window. A transition they match is recorded
-- but not sent. deleted 1 ends a silence early.
CREATE TABLE IF NOT EXISTS silences {{on_cluster}} (
    id              String,
    monitor         String,
    matchers        Map(String, String),
    starts_at       DateTime64(3),
    ends_at         DateTime64(3),
    comment         String,
    created_by      String,
    created_at      DateTime64(3),
    deleted         UInt8 DEFAULT 0,
    version         UInt64
) ENGINE = {{replacing_merge_tree}}(version)
ORDER BY id;

-- Acknowledgements: who took an alert (monitor, group) and when. The
-- noise report counts the alerts resolved without one.
CREATE TABLE IF NOT EXISTS alert_acks {{on_cluster}} (
    monitor         String,
    group_key       String,
    acked_at        DateTime64(3),
    acked_by        String,
    comment         String
) ENGINE = {{merge_tree}}
ORDER BY (monitor, group_key, acked_at);

-- The lease: the one replica that evaluates monitors and delivers
-- notifications. A replica takes it when it is free or expired by writing
-- a row with a higher version, waits, and reads back: the highest version
-- holds it. The holder renews it well before it expires, and stops
-- working when it cannot renew in time.
CREATE TABLE IF NOT EXISTS alert_lease {{on_cluster}} (
    name            String,
    holder          String,
    expires_at      DateTime64(3),
    version         UInt64
) ENGINE = {{replacing_merge_tree}}(version)
ORDER BY name;
