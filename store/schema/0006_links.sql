-- Shared links: a template version, its parameter values and an absolute
-- time range, pinned when the link is created. Links never change: there is
-- no update, so a link in a postmortem shows the same question a year later.
-- params is the canonical JSON of the values as given; scopes is the
-- creator's table filters (JSON, '' when unrestricted), so a frozen result is
-- shown only to callers who could have read it. snapshot is the frozen result
-- (JSON) when the creator asked for one, NULL otherwise.
CREATE TABLE IF NOT EXISTS shared_links {{on_cluster}} (
    id              String,
    created_at      DateTime64(3),
    created_by      String,
    template        String,
    version         UInt32,
    params          String CODEC(ZSTD(1)),
    from_time       DateTime64(3),
    to_time         DateTime64(3),
    title           String,
    note            String CODEC(ZSTD(1)),
    scopes          String,
    snapshot        Nullable(String) CODEC(ZSTD(3)),
    snapshot_at     Nullable(DateTime64(3))
) ENGINE = {{merge_tree}}
ORDER BY id;
