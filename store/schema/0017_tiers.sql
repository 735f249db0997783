-- Storage tiers per stream (ingest/tiers.go). Each row carries its
-- stream's warm_after_days and cold_after_days (0: that tier is skipped),
-- counted, as retention_days is, from its own time or, for a backfill,
-- from its ingest; the TTL below moves it TO VOLUME 'warm' and 'cold' of
-- the storage policy logmart_tiers and deletes it as step 0011 did. A
-- stream's times change in streams.yaml, not here: rows ingested after
-- the change carry the new days. 3650 days, the longest retention, stands
-- for a tier that is skipped (a row is deleted by then).
--
-- The policy comes from the engine's config: the embedded engine writes
-- one (store/chdb/tiers.go); a ClickHouse server needs a policy of that
-- name with volumes default, warm and cold. Where it is missing the
-- policy statements are skipped, with a warning, and rows stay where they
-- are until deleted.
--
-- Parts, not rows, move. Tables stay partitioned by day (step 0001), so a
-- day's rows move and drop together, and a merge never joins days of
-- different ages. Rows of streams with different tier times share a day's
-- parts, which move when their earliest row is due: exact per stream only
-- with a partition per stream and day, a new table and a copy, left for a
-- later step. ttl_only_drop_parts stays 0 for the same reason: a part
-- holds rows of different retentions, and dropping it whole would drop
-- rows still kept. The merge settings of steps 0008 and 0009 bound the
-- parts a merge takes (base 20, at most 10 a merge); a part that moves is
-- merged with parts of its volume only, and the TTL merges that delete
-- rows are spaced by merge_with_ttl_timeout (4 hours by default).
ALTER TABLE logs {{on_cluster}} ADD COLUMN IF NOT EXISTS warm_after_days UInt16 DEFAULT 0 AFTER retention_from_ingest;
ALTER TABLE logs {{on_cluster}} ADD COLUMN IF NOT EXISTS cold_after_days UInt16 DEFAULT 0 AFTER warm_after_days;
ALTER TABLE events {{on_cluster}} ADD COLUMN IF NOT EXISTS warm_after_days UInt16 DEFAULT 0 AFTER retention_from_ingest;
ALTER TABLE events {{on_cluster}} ADD COLUMN IF NOT EXISTS cold_after_days UInt16 DEFAULT 0 AFTER warm_after_days;
ALTER TABLE metrics {{on_cluster}} ADD COLUMN IF NOT EXISTS warm_after_days UInt16 DEFAULT 0 AFTER retention_from_ingest;
ALTER TABLE metrics {{on_cluster}} ADD COLUMN IF NOT EXISTS cold_after_days UInt16 DEFAULT 0 AFTER warm_after_days;
-- requires storage_policy logmart_tiers
ALTER TABLE logs {{on_cluster}} MODIFY SETTING storage_policy = 'logmart_tiers';
-- requires storage_policy logmart_tiers
ALTER TABLE events {{on_cluster}} MODIFY SETTING storage_policy = 'logmart_tiers';
-- requires storage_policy logmart_tiers
ALTER TABLE metrics {{on_cluster}} MODIFY SETTING storage_policy = 'logmart_tiers';
-- requires storage_policy logmart_tiers
ALTER TABLE logs {{on_cluster}} MODIFY TTL
    toDateTime(if(retention_from_ingest = 1, ingest_time, timestamp)) + toIntervalDay(if(warm_after_days = 0, 3650, warm_after_days)) TO VOLUME 'warm',
    toDateTime(if(retention_from_ingest = 1, ingest_time, timestamp)) + toIntervalDay(if(cold_after_days = 0, 3650, cold_after_days)) TO VOLUME 'cold',
    toDateTime(if(retention_from_ingest = 1, ingest_time, timestamp)) + toIntervalDay(retention_days)
    SETTINGS materialize_ttl_after_modify = 0;
-- requires storage_policy logmart_tiers
ALTER TABLE events {{on_cluster}} MODIFY TTL
    toDateTime(if(retention_from_ingest = 1, ingest_time, timestamp)) + toIntervalDay(if(warm_after_days = 0, 3650, warm_after_days)) TO VOLUME 'warm',
    toDateTime(if(retention_from_ingest = 1, ingest_time, timestamp)) + toIntervalDay(if(cold_after_days = 0, 3650, cold_after_days)) TO VOLUME 'cold',
    toDateTime(if(retention_from_ingest = 1, ingest_time, timestamp)) + toIntervalDay(retention_days)
    SETTINGS materialize_ttl_after_modify = 0;
-- requires storage_policy logmart_tiers
ALTER TABLE metrics {{on_cluster}} MODIFY TTL
    toDateTime(if(retention_from_ingest = 1, ingest_time, timestamp)) + toIntervalDay(if(warm_after_days = 0, 3650, warm_after_days)) TO VOLUME 'warm',
    toDateTime(if(retention_from_ingest = 1, ingest_time, timestamp)) + toIntervalDay(if(cold_after_days = 0, 3650, cold_after_days)) TO VOLUME 'cold',
    toDateTime(if(retention_from_ingest = 1, ingest_time, timestamp)) + toIntervalDay(retention_days)
    SETTINGS materialize_ttl_after_modify = 0;
