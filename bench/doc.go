// Package bench measures logmart end to end, for `logmart bench` and
// `make bench`. Results are numbers to read and compare between commits;
// nothing here asserts how fast they must be.
//
// Ingest runs the whole ingest path in one process, as `logmart serve` does
// with its embedded defaults: the embedded Kafka broker (persisting to disk,
// fsync before every acknowledgement), the embedded ClickHouse engine, and
// the ingester consuming the logs topic in its consumer group. A producer
// goroutine writes realistic JSON log lines (demo.LogLine, about 300 bytes
// each) into the logs topic as fast as the broker acknowledges them (or at a
// fixed rate), and the run ends when every line is queryable in the logs
// table.
//
// Freshness is measured per record: the time from the broker's produce
// acknowledgement to the first poll of the logs table (every 50 ms) that
// sees the record's offset. A poll sees a partition's offsets 0..max as
// queryable once the partition holds exactly max+1 rows, so a batch written
// out of order is not counted before the batches before it. The run ends
// with a count check: exactly one row per produced record, or an error.
// Produced as fast as possible, the records queue up ahead of the ingester,
// so freshness then measures the backlog; at a rate the pipeline sustains it
// measures the pipeline's own delay (batch interval plus insert).
//
// CPU time and memory are the whole process's: producer, broker, ingester
// and engine share it, as they do in `logmart serve`.
package bench
