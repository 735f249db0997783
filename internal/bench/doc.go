// Package bench measures logmart end to end, for `logmart bench` and
// `make bench`. Results are numbers to read and compare between commits;
// nothing here asserts how fast they must be.
//
// Ingest runs the whole ingest path in one process, as `logmart serve` does
// with its embedded defaults: the embedded Kafka broker (writing every
// produced batch to its data folder before acknowledging it, without an
// fsync: kafka.sync_writes is off, its default), the embedded ClickHouse
// engine, and the ingester consuming the logs topic in its consumer group.
// A producer goroutine writes realistic JSON log lines (demo.CompactLogLine,
// about 245 bytes each, or demo.LogLine's richer 310 with --lines rich;
// generated before the run and stamped with the time as they are sent) into
// the logs topic as fast as the broker acknowledges them (or at a fixed
// rate), and the run ends when every line is queryable in the logs table.
//
// Freshness is measured per record: the time from the broker's produce
// acknowledgement to the moment the insert holding the record returned
// (the ingester reports each written batch's last offset; its rows are
// queryable from then on). Partition writes are in offset order, so a
// record counts as queryable with the batch that holds it. The run ends with
// a count check: exactly one row per produced record, or an error. Produced
// as fast as possible, the records queue up ahead of the ingester, so
// freshness then measures the backlog; at a rate the pipeline sustains it
// measures the pipeline's own delay (batch interval plus insert).
//
// CPU time and memory are the whole process's: producer, broker, ingester
// and engine share it, as they do in `logmart serve`. The table output
// splits the CPU by thread (the engine's merges, its other threads, Go's
// threads) and the resident set between Go's runtime and the rest.
//
// Query generates rows inside the engine with the demo's services, streams,
// regions, hosts and tenants (package internal/demo), then times every
// shipped template through the HTTP API against the same statement on the
// engine alone (the API's overhead: rendering, checks, JSON, HTTP), and has
// many clients open one dashboard of panels at once (the result cache and
// the coalescing of identical requests).
package bench
