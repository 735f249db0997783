-- Inserts write Compact parts: one data file per part instead of two per
-- column. An ingest batch of 100k log rows is about 40 MB, over the default
-- 10 MB threshold, and writing it as a Wide part spent a large share of the
-- insert in creating files. Parts merged past 256 MiB become Wide, the
-- layout large scans read best.
ALTER TABLE logs {{on_cluster}} MODIFY SETTING min_bytes_for_wide_part = 268435456;
ALTER TABLE events {{on_cluster}} MODIFY SETTING min_bytes_for_wide_part = 268435456;
ALTER TABLE metrics {{on_cluster}} MODIFY SETTING min_bytes_for_wide_part = 268435456;
