-- Cheaper ingest into the high-volume tables.
--
-- Inserts write Compact parts: one data file per part instead of two per
-- column. An ingest batch of 100k log rows is about 40 MB, over the default
-- 10 MB threshold, and writing it as a Wide part spent a large share of the
-- insert in creating files. Parts merged past 256 MiB become Wide, the
-- layout large scans read best.
ALTER TABLE logs {{on_cluster}} MODIFY SETTING min_bytes_for_wide_part = 268435456;
ALTER TABLE events {{on_cluster}} MODIFY SETTING min_bytes_for_wide_part = 268435456;
ALTER TABLE metrics {{on_cluster}} MODIFY SETTING min_bytes_for_wide_part = 268435456;

-- Under steady ingest, background merges were half of all CPU: each second
-- brings one part per partition, and ClickHouse's default merge selector
-- (base 5) rewrites every row about log5(part growth) times. Base 20 waits
-- for about 20 parts of a size before merging them, which rewrites each row
-- about half as often, at the cost of more live parts: up to about 20 per
-- size level (17 after 20 s at 100k rows/s), far below
-- parts_to_delay_insert. Measured at 100k rows/s: merge CPU 13.5-14.1 s down
-- to 7.5-7.9 s per 2M rows. As parts age the selector lowers the base on its
-- own, so old parts still merge down.
-- requires merge_tree_setting merge_selector_base
ALTER TABLE logs {{on_cluster}} MODIFY SETTING merge_selector_base = 20;
-- requires merge_tree_setting merge_selector_base
ALTER TABLE events {{on_cluster}} MODIFY SETTING merge_selector_base = 20;
-- requires merge_tree_setting merge_selector_base
ALTER TABLE metrics {{on_cluster}} MODIFY SETTING merge_selector_base = 20;
