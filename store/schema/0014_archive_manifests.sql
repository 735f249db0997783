-- The archive's manifest: one row per object ingest uploads to the
-- archive (ingest/archive), written after the upload and before the
-- batch's rows, with the batch's deduplication token. An hour's rows
-- (stream, dt, hour) are that hour's manifest; `logmart archive ls` sums
-- them by day. dt and hour are the records' own time in UTC, as in the
-- object's name.
--
-- A batch written again after a crash inserts the same rows with the same
-- token; the window of 10000 inserts drops the repeat, and readers take one
-- row per object (LIMIT 1 BY object) for one that got through. Rows are
-- kept while the objects are: the archive is not expired by logmart.
CREATE TABLE IF NOT EXISTS archive_manifests {{on_cluster}} (
    stream          LowCardinality(String),
    dt              String,
    hour            UInt8,
    object          String,
    topic           LowCardinality(String),
    partition       Int32,
    first_offset    Int64,
    last_offset     Int64,
    records         UInt64,
    bytes           UInt64,
    raw_bytes       UInt64,
    oldest          DateTime64(3, 'UTC'),
    newest          DateTime64(3, 'UTC'),
    written_at      DateTime64(3, 'UTC')
) ENGINE = {{merge_tree}}
ORDER BY (stream, dt, hour, object)
SETTINGS non_replicated_deduplication_window = 10000;
