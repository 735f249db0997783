-- Saved searches: a named state of the Logs or Explore page (its query
-- string: text, filters, template, values and the range, relative or
-- absolute), shared with everyone who can sign in. Every write appends a
-- row; deleted 1 removes the search. The row with the highest revision per
-- id is the search (readers use argMax), like the dashboards table.
CREATE TABLE IF NOT EXISTS saved_searches {{on_cluster}} (
    id              String,
    revision        UInt64,
    name            String,
    page            LowCardinality(String),
    state           String CODEC(ZSTD(1)),
    created_at      DateTime64(3),
    created_by      String,
    deleted         UInt8 DEFAULT 0
) ENGINE = {{merge_tree}}
ORDER BY (id, revision);
