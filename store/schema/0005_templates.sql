-- Every query template version ever loaded: the canonical spec (JSON) and
-- the hash of its sql and params. A version's row is written once, the
-- first time an instance loads it; a file whose sql or params differ from
-- the recorded row without a version bump is refused. Old versions run from
-- here after their file has moved on, because shared links pin them.
-- Duplicates (two instances recording at once) are harmless: readers take
-- the earliest row per (id, version).
CREATE TABLE IF NOT EXISTS query_templates {{on_cluster}} (
    id              LowCardinality(String),
    version         UInt32,
    spec_hash       String,
    spec            String CODEC(ZSTD(3)),
    file            String,
    loaded_at       DateTime64(3) DEFAULT now64(3)
) ENGINE = {{merge_tree}}
ORDER BY (id, version);
