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
		Help: "Batches cut for writing, by topic and what ended them: rows, bytes, interval, idle (the partition went quiet), recorded (a range an earlier consumer recorded), stop (shutdown or rebalance).",
	}, []string{"topic", "reason"})
	insertErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "logmart_ingest_insert_errors_total",
		Help: "Failed batch writes (retried until they succeed), by table.",
	}, []string{"table"})
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
	prometheus.MustRegister(recordsTotal, bytesTotal, invalidTotal, rowsWritten, insertSeconds, batchRows, batchesCut, insertErrors, timestampBehind, consumerLag)
}
