package demo

import (
	"fmt"
	"time"
)

// Default topic names: the topics the embedded Kafka creates and ingest
// consumes by default.
const (
	DefaultLogsTopic    = "logs"
	DefaultEventsTopic  = "events"
	DefaultMetricsTopic = "metrics"
)

// DefaultRate is the records per second of `logmart demo` and `make run`:
// enough for live dashboards, little enough for a laptop.
const DefaultRate = 200

// Config says how much demo traffic to produce. Run stops at the first of
// Events, Duration and the cancellation of its context; with neither Events
// nor Duration it runs until cancelled.
type Config struct {
	// Rate is the records per second across all topics; the simulated clock
	// advances by 1/Rate per record. 0 produces as fast as Kafka accepts,
	// for benchmarks; the simulated clock then advances as at DefaultRate.
	// Default 200.
	Rate int `yaml:"rate"`
	// Duration stops the run after this much wall-clock time. With a Rate,
	// the run produces exactly the Rate×Duration records due in that time,
	// and overruns by at most 1s if Kafka falls behind. Default 0: no limit.
	Duration time.Duration `yaml:"duration"`
	// Events stops the run after this many records across all topics.
	// Default 0: no limit.
	Events int `yaml:"events"`
	// Seed seeds the random source: the same Seed, Rate and Start give the
	// same records. Default 0 (a valid seed).
	Seed int64 `yaml:"seed"`
	// Start is the timestamp of the first record. Default zero: the time Run
	// starts. Benchmarks at Rate 0 that want timestamps in the past set it
	// to now minus Events×5ms.
	Start time.Time `yaml:"-"`
	// LogsTopic, EventsTopic and MetricsTopic are where the three kinds of
	// record go. Default logs, events and metrics. The topics must exist or
	// the client must allow auto topic creation.
	LogsTopic    string `yaml:"logs_topic"`
	EventsTopic  string `yaml:"events_topic"`
	MetricsTopic string `yaml:"metrics_topic"`
}

// Default returns the defaults documented on Config: 200 records per second
// until cancelled.
func Default() Config {
	return Config{
		Rate:         DefaultRate,
		LogsTopic:    DefaultLogsTopic,
		EventsTopic:  DefaultEventsTopic,
		MetricsTopic: DefaultMetricsTopic,
	}
}

// Validate reports the first field a user must fix.
func (c Config) Validate() error {
	if c.Rate < 0 || c.Rate > 10_000_000 {
		return fmt.Errorf("demo.rate must be between 0 (unlimited) and 10000000 records per second, got %d", c.Rate)
	}
	if c.Duration < 0 {
		return fmt.Errorf("demo.duration must be 0 (no limit) or positive, got %s", c.Duration)
	}
	if c.Events < 0 {
		return fmt.Errorf("demo.events must be 0 (no limit) or positive, got %d", c.Events)
	}
	return nil
}

// withDefaults fills empty topic names and a zero Start.
func (c Config) withDefaults() Config {
	if c.LogsTopic == "" {
		c.LogsTopic = DefaultLogsTopic
	}
	if c.EventsTopic == "" {
		c.EventsTopic = DefaultEventsTopic
	}
	if c.MetricsTopic == "" {
		c.MetricsTopic = DefaultMetricsTopic
	}
	if c.Start.IsZero() {
		c.Start = time.Now()
	}
	return c
}

// step is how far the simulated clock advances per record.
func (c Config) step() time.Duration {
	if c.Rate == 0 {
		return time.Second / DefaultRate
	}
	return time.Second / time.Duration(c.Rate)
}
