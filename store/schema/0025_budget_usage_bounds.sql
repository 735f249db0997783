-- Each row of budget usage carries the limits its budget had when it was
-- counted: the start of the budget's period, its unit (bytes or events),
-- its capacity and lower bound. A dashboard then charts a budget's volume
-- against its bounds from ClickHouse alone (template
-- budget_usage_vs_bounds), with the limits that were in force at the time.
ALTER TABLE budget_usage {{on_cluster}} ADD COLUMN IF NOT EXISTS period_start DateTime DEFAULT minute;
ALTER TABLE budget_usage {{on_cluster}} ADD COLUMN IF NOT EXISTS unit LowCardinality(String) DEFAULT 'bytes';
ALTER TABLE budget_usage {{on_cluster}} ADD COLUMN IF NOT EXISTS capacity Float64 DEFAULT 0;
ALTER TABLE budget_usage {{on_cluster}} ADD COLUMN IF NOT EXISTS lower_bound Float64 DEFAULT 0;
