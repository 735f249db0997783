-- Log lines: one row per record, the table most queries read.
-- retention_days is set per stream at ingest, so TTL follows the stream.
CREATE TABLE IF NOT EXISTS logs {{on_cluster}} (
    timestamp       DateTime64(3) CODEC(Delta, ZSTD(1)),
    stream          LowCardinality(String),
    source          LowCardinality(String),
    service         LowCardinality(String),
    host            LowCardinality(String),
    level           LowCardinality(String),
    body            String CODEC(ZSTD(3)),
    attributes      Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    trace_id        String CODEC(ZSTD(1)),
    ingest_time     DateTime64(3) CODEC(Delta, ZSTD(1)),
    retention_days  UInt16 DEFAULT 30,
    kafka_topic     LowCardinality(String),
    kafka_partition Int32 CODEC(ZSTD(1)),
    kafka_offset    Int64 CODEC(Delta, ZSTD(1)),
    INDEX idx_body body TYPE tokenbf_v1(8192, 3, 0) GRANULARITY 4,
    INDEX idx_trace trace_id TYPE bloom_filter(0.01) GRANULARITY 4
) ENGINE = {{merge_tree}}
PARTITION BY toDate(timestamp)
ORDER BY (stream, service, level, timestamp)
TTL toDateTime(timestamp) + toIntervalDay(retention_days)
SETTINGS non_replicated_deduplication_window = 10000, ttl_only_drop_parts = 0;
