-- Frozen results of shared links are kept for links.snapshot_retention_days
-- (default 90); the link itself (template, version, values, range) stays
-- for ever. snapshot_expires_at is set when the link is created, from the
-- retention then in force; links created before this step keep their
-- snapshot for 90 days after it was taken. The column TTL makes ClickHouse
-- drop an expired snapshot (set it to NULL) when it next merges the part;
-- until then readers treat it as gone by snapshot_expires_at, so a link
-- answers the same on every instance before and after the merge.
-- snapshot_at stays, so a link can say its snapshot expired.
ALTER TABLE shared_links {{on_cluster}}
    ADD COLUMN IF NOT EXISTS snapshot_expires_at DateTime
    DEFAULT ifNull(toDateTime(snapshot_at), toDateTime(created_at)) + INTERVAL 90 DAY
    AFTER snapshot_at;
ALTER TABLE shared_links {{on_cluster}} MODIFY COLUMN snapshot TTL snapshot_expires_at;
