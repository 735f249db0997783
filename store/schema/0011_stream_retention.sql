-- Retention per stream for every ingested table, counted from the record's
-- own time or, for a backfill, from when it was ingested.
--
-- Ingest sets a record older than its stream's retention aside as a dead
-- letter (older_than_retention) instead of writing a row the TTL would
-- delete within seconds. A backfill (a stream with backfill: true in
-- streams.yaml, or a record with the logmart-backfill header, which
-- `logmart ingest file --backfill` sets) is kept instead, and its rows
-- carry retention_from_ingest = 1: their retention runs from ingest_time.
-- Other rows keep retention_from_ingest = 0 and expire retention_days after
-- their own timestamp, as before.
--
-- metrics and events had fixed TTLs (90 and 180 days); they now take their
-- stream's retention_days like logs. Rows written before this step keep
-- those figures through the column defaults, so the new TTL expressions
-- give them the same expiry as the old ones: nothing needs rewriting, and
-- materialize_ttl_after_modify = 0 spares the rewrite of every part that
-- MODIFY TTL would otherwise start.
ALTER TABLE logs {{on_cluster}} ADD COLUMN IF NOT EXISTS retention_from_ingest UInt8 DEFAULT 0 AFTER retention_days;
ALTER TABLE logs {{on_cluster}} MODIFY TTL toDateTime(if(retention_from_ingest = 1, ingest_time, timestamp)) + toIntervalDay(retention_days)
    SETTINGS materialize_ttl_after_modify = 0;
ALTER TABLE metrics {{on_cluster}} ADD COLUMN IF NOT EXISTS retention_days UInt16 DEFAULT 90 AFTER ingest_time;
ALTER TABLE metrics {{on_cluster}} ADD COLUMN IF NOT EXISTS retention_from_ingest UInt8 DEFAULT 0 AFTER retention_days;
ALTER TABLE metrics {{on_cluster}} MODIFY TTL toDateTime(if(retention_from_ingest = 1, ingest_time, timestamp)) + toIntervalDay(retention_days)
    SETTINGS materialize_ttl_after_modify = 0;
ALTER TABLE events {{on_cluster}} ADD COLUMN IF NOT EXISTS retention_days UInt16 DEFAULT 180 AFTER ingest_time;
ALTER TABLE events {{on_cluster}} ADD COLUMN IF NOT EXISTS retention_from_ingest UInt8 DEFAULT 0 AFTER retention_days;
ALTER TABLE events {{on_cluster}} MODIFY TTL toDateTime(if(retention_from_ingest = 1, ingest_time, timestamp)) + toIntervalDay(retention_days)
    SETTINGS materialize_ttl_after_modify = 0;
