// Package ingest consumes the log, event and metric topics from Kafka in a
// consumer group and writes each record to ClickHouse exactly once.
//
// A record's path: the Ingester fetches it in a poll, into memory that is
// reused once the poll is decoded (ingester.go, pool.go). cut hands it to
// its partition's open batch (cut.go), where add decodes it with its topic's
// format, its stream's or the one its header names (decoders.go,
// decode_formats.go and the other decode_*.go, json_parser.go, rfc3339.go,
// row.go), routes it to a stream by the rules of
// streams.go, checks its time against the stream's retention
// (retention.go) and appends it to the batch's columns (batch.go,
// columns.go); a record that does not decode, or is older than its
// stream's retention and not a backfill, becomes a dead letter instead,
// with the reason. A batch is cut when it is full, when its rows span 50
// days (ClickHouse refuses an insert into more than 100 daily
// partitions), an interval after its first record, once its partition has
// gone quiet, or exactly where an earlier consumer cut it (cut.go). Its offset range is then recorded in the
// partition's Kafka commit metadata (ledger.go), and the partition's writer
// uploads the batch's raw records to the archive, when it is on
// (archiving.go, package ingest/archive), then inserts it through the Inserter with a deduplication token built from that
// range, retrying until the insert succeeds, and copies its dead letters to
// the dead-letter topic (writer.go); a batch ClickHouse refuses for what it
// holds is read again from Kafka and written as dead letters instead
// (refused.go), so no batch holds its partition for ever. Only then does the committed offset
// move past the batch (ledger.go). A consumer that takes the partition over
// after a crash or a rebalance reads the recorded ranges and cuts the same
// batches, so a batch written twice carries the same token and ClickHouse
// drops the repeat.
//
// Beside the path: config.go is the ingest section of the configuration,
// and health.go and metrics.go say how each partition is doing (the
// overview page shows Ingester.Health; /readyz asks Ingester.Ready, which
// fails while a partition's writes keep failing). Package ingest/kafka is the Kafka
// boundary (client options and the embedded broker), and ingest/fileload
// sends log files through the same path.
package ingest
