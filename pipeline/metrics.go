package pipeline

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// The pipeline's metrics, named after the reference stream processor's
// where they mean the same. Per-partition gauges are set by the runner.
var (
	recordsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "logmart_pipeline_records_total",
		Help: "Input records consumed, by topic.",
	}, []string{"topic"})
	invalidTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "logmart_pipeline_invalid_records_total",
		Help: "Records and events set aside as dead letters, by reason (too_large, bad_json, schema, unknown_version, unknown_event, field_too_long, bad_time, impossible_sequence, too_late, unknown_topic).",
	}, []string{"reason"})
	duplicatesTotal = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "logmart_pipeline_duplicate_events_total",
		Help: "Events dropped because the same event (same id, or same bytes) was already applied.",
	})
	lateTotal = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "logmart_pipeline_late_events_total",
		Help: "Events older than the watermark minus the allowed lateness when they arrived; they correct facts already emitted.",
	})
	interactionsCreated = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "logmart_pipeline_interactions_created_total",
		Help: "Interactions (calls and call threads, chats, emails) seen for the first time, by media.",
	}, []string{"media"})
	interactionsEnded = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "logmart_pipeline_interactions_ended_total",
		Help: "Interactions whose end was computed.",
	})
	factsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "logmart_pipeline_facts_total",
		Help: "Fact versions emitted, by table.",
	}, []string{"table"})
	unknownObjects = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "logmart_pipeline_unknown_objects",
		Help: "Agents and queues that facts carry placeholder keys for because the configuration does not know them yet, by kind.",
	}, []string{"kind"})
	stateEntities = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "logmart_pipeline_state_entities",
		Help: "Interactions and agents held in state, by kind.",
	}, []string{"kind"})
	watermarkSeconds = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "logmart_pipeline_watermark_seconds",
		Help: "Newest event time consumed (Unix seconds), by topic and partition.",
	}, []string{"topic", "partition"})
	consumerLag = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "logmart_pipeline_consumer_lag_records",
		Help: "Records in the partition not yet consumed, by topic and partition.",
	}, []string{"topic", "partition"})
	transactionsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "logmart_pipeline_transactions_total",
		Help: "Kafka transactions ended, by result (committed, aborted).",
	}, []string{"result"})
	// runningGauge is registered by the first Runner made, so a server
	// that runs no pipeline does not export it and the "pipeline not
	// running" alert (configs/prometheus) stays quiet there.
	runningGauge = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "logmart_pipeline_running",
		Help: "1 while the pipeline runner is consuming, 0 otherwise; exported only by processes configured to run the pipeline.",
	})
	registerRunning sync.Once
)

func init() {
	prometheus.MustRegister(recordsTotal, invalidTotal, duplicatesTotal, lateTotal, interactionsCreated,
		interactionsEnded, factsTotal, unknownObjects, stateEntities, watermarkSeconds, consumerLag,
		transactionsTotal)
}
