-- The archive read in place (ingest/archive/inplace.go). archive_lines
-- is a table over the archive's objects; here it is defined over a glob
-- that matches nothing (a folder under the engine's user_files that
-- logmart never writes), and at start, with the archive on, logmart
-- defines it again over the archive's folder (the File engine) or bucket
-- (the S3 engine). Its columns are a line's fields (ingest/archive/line.go).
--
-- archive_logs is what archive templates read: the columns of logs that a
-- JSON record's built-in keys give (ingest's decode_json.go names them),
-- the line's own, and the hour of the object's path, dt and hour. A
-- filter on dt and hour is a filter on _path, which the engine applies
-- before it opens an object: an archive template's run opens only the
-- objects of the hours of its range (query/archive.go). Being defined
-- here, the view exists wherever templates are checked, archive or not.
CREATE TABLE IF NOT EXISTS archive_lines {{on_cluster}} (
    time DateTime64(3, 'UTC'), stream String, topic String, partition Int32, offset Int64,
    kafka_time DateTime64(3, 'UTC'), ingest_time DateTime64(3, 'UTC'), headers Map(String, String), raw String, raw_base64 Bool
) ENGINE = File(JSONEachRow, 'logmart-archive-off/stream=*/dt=*/hour=*/*.ndjson.zst');
CREATE OR REPLACE VIEW archive_logs {{on_cluster}} AS SELECT
    time AS timestamp, stream,
    if(raw_base64, '', multiIf(JSONHas(raw, 'service'), JSONExtractString(raw, 'service'), JSONHas(raw, 'app'), JSONExtractString(raw, 'app'), '')) AS service,
    if(raw_base64, '', multiIf(JSONHas(raw, 'host'), JSONExtractString(raw, 'host'), JSONExtractString(raw, 'hostname'))) AS host,
    if(raw_base64, '', lower(multiIf(JSONHas(raw, 'level'), JSONExtractString(raw, 'level'), JSONHas(raw, 'severity'), JSONExtractString(raw, 'severity'), JSONExtractString(raw, 'lvl')))) AS level,
    if(raw_base64, '', multiIf(JSONHas(raw, 'message'), JSONExtractString(raw, 'message'), JSONHas(raw, 'msg'), JSONExtractString(raw, 'msg'), JSONExtractString(raw, 'log'))) AS body,
    topic, partition, offset, kafka_time, ingest_time, raw, raw_base64,
    toDate(CAST(extract(_path, '/dt=([0-9]{4}-[0-9]{2}-[0-9]{2})/'), 'String')) AS dt,
    toUInt8OrZero(CAST(extract(_path, '/hour=([0-9]{2})/'), 'String')) AS hour
FROM archive_lines;
