-- Provenance of rehydrated rows. `logmart archive rehydrate` reads records
-- back from the archive (ingest/rehydrate.go) and stores their rows with
-- the job's id here; rows of live ingest keep the default ''.
--
-- Rehydrated rows expire by their own retention, ingest.archive.rehydrated_ttl
-- counted from when they were rehydrated: they carry retention_days = that
-- many days and retention_from_ingest = 1, which the TTL of step 0011
-- already reads, so no TTL changes here.
ALTER TABLE logs {{on_cluster}} ADD COLUMN IF NOT EXISTS rehydrate_job LowCardinality(String) DEFAULT '';
ALTER TABLE events {{on_cluster}} ADD COLUMN IF NOT EXISTS rehydrate_job LowCardinality(String) DEFAULT '';
ALTER TABLE metrics {{on_cluster}} ADD COLUMN IF NOT EXISTS rehydrate_job LowCardinality(String) DEFAULT '';
