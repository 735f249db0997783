-- Ingest budgets created or changed through the API (promotion among
-- them); the file-provisioned ones live in configs/budgets/. Same shape
-- and rules as the dashboards table: every write appends a revision, and
-- every replica reads the newest one of each uid.
CREATE TABLE IF NOT EXISTS budgets {{on_cluster}} (
    uid             String,
    revision        UInt64,
    hash            String,
    body            String CODEC(ZSTD(3)),
    deleted         UInt8 DEFAULT 0,
    updated_at      DateTime64(3),
    updated_by      String
) ENGINE = {{merge_tree}}
ORDER BY (uid, revision);
