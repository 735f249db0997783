-- One row per ingest batch, written before the batch itself: the offset
-- range a partition's batch covers. After a crash or a rebalance the next
-- consumer cuts the same batch again, so its deduplication token matches
-- and ClickHouse drops what already landed.
--
-- Builds since commit-metadata ranges write no rows here: they record the
-- ranges in the partition's Kafka commit metadata (ingest/ledger.go), and
-- read this table only for a partition whose commit holds none, one last
-- committed by an older build. The table and that read go in the release
-- after the first release that records ranges in commit metadata.
CREATE TABLE IF NOT EXISTS ingest_batches {{on_cluster}} (
    topic           LowCardinality(String),
    partition       Int32,
    first_offset    Int64,
    last_offset     Int64,
    created         DateTime64(3) DEFAULT now64(3)
) ENGINE = {{merge_tree}}
ORDER BY (topic, partition, first_offset)
TTL toDateTime(created) + INTERVAL 14 DAY;
