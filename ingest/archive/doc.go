// Package archive keeps every raw record ingest reads, as zstd-compressed
// NDJSON objects in a local folder or an S3 bucket, so that nothing a team
// may need later is gone when its rows leave ClickHouse.
//
// Layout. An object holds the records of one partition's batch that share
// a stream and an hour of their own time (not of their ingest), named
//
//	stream=<name>/dt=YYYY-MM-DD/hour=HH/<topic>-<partition>-<first offset>-<last offset>.ndjson.zst
//
// under the target's prefix. Names are deterministic: a batch is cut at
// the same offsets by any consumer that rereads it (ingest/ledger.go), so
// a retry after a crash writes the same names with the same records, and
// an object is replaced, never doubled.
//
// Lines. One JSON object per record (line.go): the record's own time,
// stream, topic, partition, offset, Kafka timestamp, ingest time, the
// headers whose keys and values are UTF-8, and the original value in raw,
// as a string when it is valid UTF-8 and as base64 with raw_base64: true
// otherwise. A record that became a dead letter is archived too, in the
// stream its topic (or its logmart-stream header) names, at its Kafka time.
//
// Atomic objects. A folder target writes a hidden temporary file beside
// the object, syncs it and renames it into place (folder.go). An S3 target
// uploads with one PutObject, or a multipart upload for objects over the
// part size; S3 shows neither until it is complete (s3.go). A process
// killed mid-upload leaves a hidden temporary file (removed at the next
// start) or an incomplete multipart upload, which no listing shows; a
// bucket lifecycle rule (AbortIncompleteMultipartUpload) frees its parts.
//
// Order with the table. The ingester uploads a batch's objects, then
// records them in archive_manifests, then inserts the batch's rows, and
// commits the partition's offset past the batch only after all three
// succeeded (ingest/writer.go). Each step is retried until it succeeds and
// each is idempotent (same names, same deduplication tokens), so neither
// the table nor the archive gets ahead of the other: an archive that is
// down holds the partition back as a ClickHouse that is down does.
//
// Query in place (inplace.go). The engine reads the archive itself through
// archive_lines, a File (folder) or S3 (bucket) table over the layout's
// glob that logmart defines at start, and the view archive_logs over it
// (schema step 0021), which archive templates read. A filter on the view's
// dt and hour is a filter on the objects' paths, so a run opens only the
// objects of its hours.
package archive
