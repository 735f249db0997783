-- Every content promotion into this instance (logmart dashboards promote):
-- which content kind and uid, the environments it came from and went to as
-- the environments file names them, the hash the target held before (empty
-- when it had none) and the hash it holds now, whether --force overwrote a
-- local edit, who promoted (the token's name) and when. The newest row per
-- (kind, uid) is the hash last promoted here: a target whose hash differs
-- from it was edited locally since, and promote refuses to overwrite it
-- without --force. Rows are only appended.
CREATE TABLE IF NOT EXISTS promotions {{on_cluster}} (
    promoted_at     DateTime64(3),
    kind            LowCardinality(String),
    uid             String,
    from_env        String,
    to_env          String,
    old_hash        String,
    new_hash        String,
    forced          UInt8 DEFAULT 0,
    promoted_by     String
) ENGINE = {{merge_tree}}
ORDER BY (kind, uid, promoted_at);
