-- Time a call spends in an IVR is self-service, not waiting for an agent:
-- it is ivr_ms, on the IVR's resource row and summed on the interaction,
-- and no longer part of queue_ms (which service level and abandon reports
-- read as time waiting in a queue or at a routing point). Genesys Cloud
-- keeps the two apart as well (tIvr and tAcd). Rows loaded before this
-- step read ivr_ms 0 and keep their IVR time in queue_ms.
--
-- The *_latest views list their columns when created, so they are made
-- again to show the new one.
ALTER TABLE interaction_facts {{on_cluster}} ADD COLUMN IF NOT EXISTS ivr_ms Int64 DEFAULT 0 AFTER queue_ms;
ALTER TABLE interaction_resource_facts {{on_cluster}} ADD COLUMN IF NOT EXISTS ivr_ms Int64 DEFAULT 0 AFTER queue_ms;

CREATE OR REPLACE VIEW interaction_facts_latest {{on_cluster}} AS
SELECT * EXCEPT (deleted, loaded) REPLACE (if(`end` = toDateTime64(0, 3, 'UTC'), NULL, `end`) AS `end`)
FROM interaction_facts FINAL WHERE deleted = 0;

CREATE OR REPLACE VIEW interaction_resource_facts_latest {{on_cluster}} AS
SELECT * EXCEPT (deleted, loaded) REPLACE (if(`end` = toDateTime64(0, 3, 'UTC'), NULL, `end`) AS `end`)
FROM interaction_resource_facts FINAL WHERE deleted = 0;
