-- Ingest budget usage: per budget, minute (of ingest time) and outcome
-- (stored, dropped, archive-only), the raw record bytes and events each
-- replica counted, appended every few seconds (budgets.Keeper). A
-- budget's usage in a period is the sum over every replica's rows since
-- the period began, which is what each replica syncs to.
CREATE TABLE IF NOT EXISTS budget_usage {{on_cluster}} (
    budget          String,
    minute          DateTime,
    outcome         LowCardinality(String),
    bytes           UInt64,
    events          UInt64,
    replica         String,
    flushed_at      DateTime64(3)
) ENGINE = {{merge_tree}}
ORDER BY (budget, minute, outcome)
TTL minute + INTERVAL 400 DAY;
