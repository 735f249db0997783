-- Dashboards created or changed through the API. File-provisioned ones live
-- in configs/dashboards/ and are not stored here. Every write appends a row:
-- body is the canonical YAML, hash its SHA-256, deleted 1 for a delete. The
-- row with the highest revision per uid is the dashboard (readers use
-- argMax), so a write never rewrites a row and the history stays readable.
CREATE TABLE IF NOT EXISTS dashboards {{on_cluster}} (
    uid             String,
    revision        UInt64,
    hash            String,
    body            String CODEC(ZSTD(3)),
    deleted         UInt8 DEFAULT 0,
    updated_at      DateTime64(3),
    updated_by      String
) ENGINE = {{merge_tree}}
ORDER BY (uid, revision);
