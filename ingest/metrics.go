package ingest

import "github.com/prometheus/client_golang/prometheus"

var (
	recordsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "logmart_ingest_records_total",
		Help: "Records consumed from Kafka, by topic.",
	}, []string{"topic"})
	bytesTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "logmart_ingest_bytes_total",
		Help: "Record value bytes consumed from Kafka, by topic.",
	}, []string{"topic"})
	invalidTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "logmart_ingest_invalid_records_total",
		Help: "Records set aside as dead letters, by topic and reason.",
	}, []string{"topic", "reason"})
	rowsWritten = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "logmart_ingest_rows_written_total",
		Help: "Rows written to ClickHouse, by table.",
	}, []string{"table"})
	insertSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "logmart_ingest_insert_duration_seconds",
		Help:    "Time to write one batch to ClickHouse, by table.",
		Buckets: prometheus.ExponentialBuckets(0.005, 2, 12),
	}, []string{"table"})
	batchRows = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "logmart_ingest_batch_rows",
		Help:    "Records per written batch.",
		Buckets: prometheus.ExponentialBuckets(1, 4, 10),
	})
	batchesCut = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "logmart_ingest_batches_total",
		Help: "Batches cut for writing, by topic and what ended them: rows, bytes, interval, idle (the partition went quiet), recorded (a range an earlier consumer recorded), days (rows spanning 50 days, to stay within ClickHouse's partitions per insert), stop (shutdown or rebalance).",
	}, []string{"topic", "reason"})
	insertErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "logmart_ingest_insert_errors_total",
		Help: "Failed batch writes, by table: retried until they succeed, but for refusals retrying cannot change, whose records become dead letters (insert_refused).",
	}, []string{"table"})
	insertsAgain = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "logmart_ingest_inserts_again_total",
		Help: "Batches recorded before a crash whose retry the engine dropped as a repeat of rows that never landed, inserted again under their own token, by table.",
	}, []string{"table"})
	expiredTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "logmart_ingest_expired_records_total",
		Help: "Records set aside as dead letters because their own time is older than their stream's retention (reason older_than_retention), by stream.",
	}, []string{"stream"})
	partitionStalled = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "logmart_ingest_partition_stalled_seconds",
		Help: "How long the partition's oldest unwritten batch has been failing to write (0 when writing), by topic and partition; /readyz fails while any partition is stalled for longer than a minute.",
	}, []string{"topic", "partition"})
	consumerLag = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "logmart_ingest_consumer_lag_records",
		Help: "Records in the partition not yet consumed, by topic and partition.",
	}, []string{"topic", "partition"})
	timestampBehind = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "logmart_ingest_timestamp_behind_seconds",
		Help: "Now minus the newest record time written, by topic and partition.",
	}, []string{"topic", "partition"})
)

func init() {
	prometheus.MustRegister(insertsAgain, recordsTotal, bytesTotal, invalidTotal, rowsWritten, insertSeconds, batchRows, batchesCut, insertErrors, timestampBehind, consumerLag, expiredTotal, partitionStalled)
}
