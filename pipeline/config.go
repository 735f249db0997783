package pipeline

import (
	"fmt"
	"time"
)

// Config configures the pipeline. The zero value of a field means its
// default; DefaultConfig spells the defaults out.
type Config struct {
	// Enabled runs the pipeline inside logmart serve. `logmart pipeline run`
	// runs it regardless. Default true.
	Enabled bool `yaml:"enabled"`
	// AllowedLateness is how long, in event time, facts wait for
	// out-of-order events before they are emitted: an event at most this
	// far behind the newest event time seen lands in the first version of
	// its facts. A later event corrects them with a higher version.
	// Longer means fewer corrections and later facts. Default 2s.
	AllowedLateness time.Duration `yaml:"allowed_lateness"`
	// Retention is how long, in event time, an ended interaction's events
	// are kept after its end so a late event can still correct its facts.
	// Events for an interaction older than that are dead letters (too_late).
	// Longer means more memory and a larger changelog. Default 1h.
	Retention time.Duration `yaml:"retention"`
	// MaxStateDuration closes an agent state, a session or an interaction
	// that has been open this long in event time (its end is then start
	// plus this, closed "max_duration"); the end arriving later reopens and
	// corrects it. Default 12h.
	MaxStateDuration time.Duration `yaml:"max_state_duration"`
	// StatePriority orders the states of an agent's DNs when summarizing an
	// agent on several DNs: the first listed state any logged-in DN is in
	// is the agent's state. Default busy, acw, not_ready, ready.
	StatePriority []string `yaml:"state_priority"`
	// MaxRecordBytes is the largest input record accepted; larger ones are
	// dead letters (too_large). Default 65536 bytes.
	MaxRecordBytes int `yaml:"max_record_bytes"`
}

// DefaultConfig returns the shipped configuration (configs/logmart.yaml).
func DefaultConfig() Config {
	return Config{
		Enabled:          true,
		AllowedLateness:  2 * time.Second,
		Retention:        time.Hour,
		MaxStateDuration: 12 * time.Hour,
		StatePriority:    []string{StateBusy, StateACW, StateNotReady, StateReady},
		MaxRecordBytes:   65536,
	}
}

// Validate reports the first setting that cannot work, naming it.
func (c Config) Validate() error {
	if c.AllowedLateness < 0 {
		return fmt.Errorf("pipeline.allowed_lateness must not be negative, got %s", c.AllowedLateness)
	}
	if c.Retention < 0 {
		return fmt.Errorf("pipeline.retention must not be negative, got %s", c.Retention)
	}
	if c.MaxStateDuration < 0 {
		return fmt.Errorf("pipeline.max_state_duration must not be negative, got %s", c.MaxStateDuration)
	}
	if c.MaxRecordBytes < 0 {
		return fmt.Errorf("pipeline.max_record_bytes must not be negative, got %d", c.MaxRecordBytes)
	}
	seen := map[string]bool{}
	for _, s := range c.StatePriority {
		switch s {
		case StateBusy, StateACW, StateNotReady, StateReady:
		default:
			return fmt.Errorf("pipeline.state_priority: %q is not a state (busy, acw, not_ready, ready)", s)
		}
		if seen[s] {
			return fmt.Errorf("pipeline.state_priority lists %q twice", s)
		}
		seen[s] = true
	}
	return nil
}
