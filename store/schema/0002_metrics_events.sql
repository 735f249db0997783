-- Metric samples from Prometheus text exposition; fingerprint identifies a
-- series (name and labels) so rows of one series sort together.
CREATE TABLE IF NOT EXISTS metrics {{on_cluster}} (
    name            LowCardinality(String),
    labels          Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    fingerprint     UInt64,
    timestamp       DateTime64(3) CODEC(Delta, ZSTD(1)),
    value           Float64 CODEC(Gorilla, ZSTD(1)),
    stream          LowCardinality(String),
    ingest_time     DateTime64(3) CODEC(Delta, ZSTD(1)),
    kafka_topic     LowCardinality(String),
    kafka_partition Int32,
    kafka_offset    Int64
) ENGINE = {{merge_tree}}
PARTITION BY toDate(timestamp)
ORDER BY (name, fingerprint, timestamp)
TTL toDateTime(timestamp) + INTERVAL 90 DAY
SETTINGS non_replicated_deduplication_window = 10000;

-- Typed business events: audit trails, contact-center raw events.
CREATE TABLE IF NOT EXISTS events {{on_cluster}} (
    timestamp       DateTime64(3) CODEC(Delta, ZSTD(1)),
    type            LowCardinality(String),
    stream          LowCardinality(String),
    source          LowCardinality(String),
    service         LowCardinality(String),
    tenant          LowCardinality(String),
    attributes      Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    body            String CODEC(ZSTD(3)),
    ingest_time     DateTime64(3) CODEC(Delta, ZSTD(1)),
    kafka_topic     LowCardinality(String),
    kafka_partition Int32,
    kafka_offset    Int64
) ENGINE = {{merge_tree}}
PARTITION BY toDate(timestamp)
ORDER BY (type, service, timestamp)
TTL toDateTime(timestamp) + INTERVAL 180 DAY
SETTINGS non_replicated_deduplication_window = 10000;

-- Records that could not be ingested, with the reason and the original bytes.
CREATE TABLE IF NOT EXISTS dead_letters {{on_cluster}} (
    ingest_time     DateTime64(3),
    reason          LowCardinality(String),
    error           String,
    raw             String CODEC(ZSTD(3)),
    raw_size        UInt32,
    truncated       UInt8,
    kafka_topic     LowCardinality(String),
    kafka_partition Int32,
    kafka_offset    Int64
) ENGINE = {{merge_tree}}
PARTITION BY toDate(ingest_time)
ORDER BY (kafka_topic, kafka_partition, kafka_offset)
TTL toDateTime(ingest_time) + INTERVAL 30 DAY
SETTINGS non_replicated_deduplication_window = 10000;
