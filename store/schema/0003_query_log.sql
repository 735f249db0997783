-- Every query logmart runs on someone's behalf: who, what, how it went.
CREATE TABLE IF NOT EXISTS query_log {{on_cluster}} (
    time            DateTime64(3),
    user            LowCardinality(String),
    role            LowCardinality(String),
    source          LowCardinality(String),
    template        LowCardinality(String),
    template_version UInt32,
    params          String,
    sql             String CODEC(ZSTD(3)),
    status          LowCardinality(String),
    error           String,
    duration_ms     Float64,
    rows_read       UInt64,
    bytes_read      UInt64,
    result_rows     UInt64
) ENGINE = {{merge_tree}}
PARTITION BY toYYYYMM(time)
ORDER BY (time)
TTL toDateTime(time) + INTERVAL 400 DAY;
