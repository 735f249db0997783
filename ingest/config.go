package ingest

import (
	"fmt"
	"strings"
	"time"

	"github.com/logmart/logmart/ingest/archive"
)

// Config configures consumption from Kafka into ClickHouse.
type Config struct {
	// Group is the Kafka consumer group; replicas sharing it share partitions.
	// Default "logmart-ingest".
	Group string `yaml:"group"`
	// InstanceID is this replica's static group membership id: a restarted
	// replica with the same id takes its partitions back at once instead of
	// waiting for its old session to expire. Empty: the host name and a hash
	// of the data folder, set by serve.
	InstanceID string `yaml:"instance_id"`
	// SessionTimeout is how long the group waits for a silent replica before
	// handing its partitions to others. Default 15s.
	SessionTimeout time.Duration `yaml:"session_timeout"`
	// Topics lists what to consume and how to read it.
	Topics []TopicConfig `yaml:"topics"`
	// Batch bounds each insert.
	Batch BatchConfig `yaml:"batch"`
	// StreamsFile holds the stream routing rules (configs/streams.yaml).
	// Empty: every record goes to its topic's stream. Reloaded by the
	// reload list (SIGHUP, POST /api/v1/reload).
	StreamsFile string `yaml:"streams_file"`
	// DeadLetterTopic receives a copy of every record set aside, with the
	// reason in headers. Empty: the dead_letters table only. Default logs.dead.
	DeadLetterTopic string `yaml:"dead_letter_topic"`
	// MaxRecordBytes is the largest record accepted; larger ones are dead
	// letters. Default 1048576 (1 MiB).
	MaxRecordBytes int `yaml:"max_record_bytes"`
	// MaxConcurrentInserts bounds the batches written to ClickHouse at once,
	// across partitions; the others wait their turn, already decoded. An
	// insert keeps a core busy, and more of them than cores only contend for
	// caches and memory. Default 0: the number of cores Go may use.
	MaxConcurrentInserts int `yaml:"max_concurrent_inserts"`
	// Archive keeps every raw record, dead letters included, as zstd
	// NDJSON in a folder or an S3 bucket (package ingest/archive). A batch
	// is committed only once its archive objects are uploaded. Default
	// off here; logmart's configuration turns it on into <data>/archive.
	Archive archive.Config `yaml:"archive"`
}

// TopicConfig is one consumed topic.
type TopicConfig struct {
	// Topic is the Kafka topic name.
	Topic string `yaml:"topic"`
	// Table is where its records land: logs, events or metrics.
	Table string `yaml:"table"`
	// Format is json, logfmt, text, a named format of a well-known source
	// (syslog, apache_common, apache_combined, nginx_combined, apache_error,
	// cloudtrail, klog, log4j and its aliases hadoop, hdfs, spark and
	// zookeeper: decode_formats.go), prometheus (the Prometheus text format)
	// or openmetrics (OpenMetrics 1.0 text); decode_prom.go says how the
	// last two differ. A record's logmart-format header overrides it.
	Format string `yaml:"format"`
	// Stream is the stream records land in until routing rules say otherwise.
	// Default "default".
	Stream string `yaml:"stream"`
	// Fields names the source keys of the common columns when they are not
	// among the built-in names. Default: none (json, logfmt and text only).
	Fields FieldMap `yaml:"fields"`
	// Text configures the text format. Default: a leading timestamp and
	// level word are detected, the whole line is the body.
	Text TextConfig `yaml:"text"`
}

// BatchConfig bounds a batch: it is written when any bound is reached.
type BatchConfig struct {
	// Rows per batch. Default 100000.
	Rows int `yaml:"rows"`
	// Bytes of raw records per batch. Default 33554432 (32 MiB).
	Bytes int `yaml:"bytes"`
	// Interval is the longest a record waits before its batch is written.
	// Default 1s.
	Interval time.Duration `yaml:"interval"`
	// Idle writes a batch early once its partition is caught up and has
	// brought nothing new for this long: the end of a burst is queryable at
	// once instead of after the interval. Only a batch holding at least a
	// tenth of Rows or Bytes goes early, so a trickle still makes one part
	// per interval. Default 100ms; 0 turns it off, as does any value not
	// shorter than Interval.
	Idle time.Duration `yaml:"idle"`
}

// Default returns the defaults documented on Config.
func Default() Config {
	return Config{
		Group:          "logmart-ingest",
		SessionTimeout: 15 * time.Second,
		Topics: []TopicConfig{
			{Topic: "logs", Table: "logs", Format: "json", Stream: "default"},
			{Topic: "events", Table: "events", Format: "json", Stream: "events"},
			{Topic: "metrics", Table: "metrics", Format: "prometheus", Stream: "metrics"},
		},
		Batch:           BatchConfig{Rows: 100_000, Bytes: 32 << 20, Interval: time.Second, Idle: 100 * time.Millisecond},
		MaxRecordBytes:  1 << 20,
		DeadLetterTopic: "logs.dead",
		Archive:         archive.Default(),
	}
}

// Validate reports the first field a user must fix.
func (c Config) Validate() error {
	if c.Group == "" {
		return fmt.Errorf("ingest.group is required")
	}
	if c.SessionTimeout < 6*time.Second || c.SessionTimeout > 5*time.Minute {
		return fmt.Errorf("ingest.session_timeout must be between 6s and 5m, got %s", c.SessionTimeout)
	}
	seen := map[string]bool{}
	for i, t := range c.Topics {
		where := fmt.Sprintf("ingest.topics[%d]", i)
		if t.Topic == "" {
			return fmt.Errorf("%s.topic is required", where)
		}
		if seen[t.Topic] {
			return fmt.Errorf("%s.topic %q is listed twice", where, t.Topic)
		}
		seen[t.Topic] = true
		switch t.Table {
		case "logs", "events", "metrics":
		default:
			return fmt.Errorf("%s.table %q must be logs, events or metrics", where, t.Table)
		}
		if !IsLogFormat(t.Format) && t.Format != "prometheus" && t.Format != "openmetrics" {
			return fmt.Errorf("%s.format %q must be %s, prometheus or openmetrics", where, t.Format, strings.Join(LogFormats, ", "))
		}
		if (t.Format == "prometheus" || t.Format == "openmetrics") != (t.Table == "metrics") {
			return fmt.Errorf("%s: formats prometheus and openmetrics go with table metrics, and only they (got format %q, table %q)", where, t.Format, t.Table)
		}
		if err := t.validateDecoding(where); err != nil {
			return err
		}
	}
	if c.Batch.Rows < 1 || c.Batch.Rows > 10_000_000 {
		return fmt.Errorf("ingest.batch.rows must be between 1 and 10000000, got %d", c.Batch.Rows)
	}
	if c.Batch.Bytes < 1024 {
		return fmt.Errorf("ingest.batch.bytes must be at least 1024, got %d", c.Batch.Bytes)
	}
	if c.Batch.Interval < 10*time.Millisecond {
		return fmt.Errorf("ingest.batch.interval must be at least 10ms, got %s", c.Batch.Interval)
	}
	if c.Batch.Idle < 0 {
		return fmt.Errorf("ingest.batch.idle must be 0 (off) or positive, got %s", c.Batch.Idle)
	}
	if c.MaxRecordBytes < 256 {
		return fmt.Errorf("ingest.max_record_bytes must be at least 256, got %d", c.MaxRecordBytes)
	}
	if c.MaxConcurrentInserts < 0 || c.MaxConcurrentInserts > 1024 {
		return fmt.Errorf("ingest.max_concurrent_inserts must be between 0 (one per core) and 1024, got %d", c.MaxConcurrentInserts)
	}
	return c.Archive.Validate()
}
