-- Narrower merges for the ingest tables. A merge of Compact parts holds
-- memory for every part it reads: with merge_selector_base = 20 (step
-- 0008) a merge took about 20 parts and 100-150 MiB, and two ran at once
-- under steady ingest, the largest share of the memory ingest added. At
-- most 10 parts a merge, at 200k lines/s ingest added 370-382 MiB instead
-- of 458-460; over 3 minutes at 100k lines/s merge CPU was the same (113 s
-- against 115 s) and ingest added 403 MiB instead of 453.
-- requires merge_tree_setting max_parts_to_merge_at_once
ALTER TABLE logs {{on_cluster}} MODIFY SETTING max_parts_to_merge_at_once = 10;
-- requires merge_tree_setting max_parts_to_merge_at_once
ALTER TABLE events {{on_cluster}} MODIFY SETTING max_parts_to_merge_at_once = 10;
-- requires merge_tree_setting max_parts_to_merge_at_once
ALTER TABLE metrics {{on_cluster}} MODIFY SETTING max_parts_to_merge_at_once = 10;
