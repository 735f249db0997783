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

-- Every alert a budget raised in a period (forecast_over, threshold_crossed,
-- exceeded, forecast_under), with the usage, the forecast and its interval
-- at that moment. The id is deterministic (budget, period, state,
-- threshold), so an evaluation repeated after a restart writes the same row
-- and the engine keeps one.
CREATE TABLE IF NOT EXISTS budget_transitions {{on_cluster}} (
    id              String,
    budget          String,
    period_start    DateTime,
    state           LowCardinality(String),
    threshold       Float64,
    at              DateTime64(3),
    usage           Float64,
    forecast        Float64,
    lower           Float64,
    upper           Float64,
    capacity        Float64,
    method          LowCardinality(String)
) ENGINE = {{replacing_merge_tree}}
ORDER BY (budget, period_start, id)
TTL period_start + INTERVAL 400 DAY;

-- Manual resets of a budget's period (API and CLI), the audit of who reset
-- it, when and why. Usage counts from the latest reset within the period;
-- the next scheduled reset does not move.
CREATE TABLE IF NOT EXISTS budget_resets {{on_cluster}} (
    budget          String,
    reset_at        DateTime64(3),
    reset_by        String,
    reason          String
) ENGINE = {{merge_tree}}
ORDER BY (budget, reset_at);
