package pipeline

import (
	"fmt"
	"strings"
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

	// Group is the Kafka consumer group pipeline replicas share. Default
	// "logmart-pipeline".
	Group string `yaml:"group"`
	// TransactionalID identifies this replica's transactions; it must be
	// unique per replica and stable across its restarts, so a restarted
	// replica fences its own unfinished transaction. Default
	// "logmart-pipeline" (one replica); serve and pipeline run append the
	// replica's instance name when several run.
	TransactionalID string `yaml:"transactional_id"`
	// Inputs are the topics consumed. Default every input the pipeline
	// reads (the logmart schemas and the adapters' topics).
	Inputs []string `yaml:"inputs"`
	// InteractionTopic receives interaction and resource facts. Default
	// "gsp-ixn".
	InteractionTopic string `yaml:"interaction_topic"`
	// AgentTopic receives agent state and session facts. Default "gsp-sm".
	AgentTopic string `yaml:"agent_topic"`
	// ConfigTopic receives the configuration records the facts were made
	// with. Default "gsp-cfg".
	ConfigTopic string `yaml:"config_topic"`
	// DeadLetterTopic receives invalid records with their reason in
	// headers. Default "gsp-dead".
	DeadLetterTopic string `yaml:"dead_letter_topic"`
	// ChangelogTopic keeps every interaction's and agent's state, compacted
	// by key, for restarts and rebalances. Default "gsp-state".
	ChangelogTopic string `yaml:"changelog_topic"`
	// ACWTopic carries the after-call work an agent hands to an
	// interaction, keyed by tenant, interaction and agent: every replica
	// reads it whole, so the work reaches the interaction whichever replica
	// holds it. Default "gsp-acw".
	ACWTopic string `yaml:"acw_topic"`
	// CommitInterval is the longest a poll waits for records before the
	// transaction of what it has is committed: the floor of event-to-fact
	// latency when input is sparse. Default 100ms.
	CommitInterval time.Duration `yaml:"commit_interval"`
	// IdleAdvance is how long without input before event time is assumed
	// to move on with the clock, so the last facts are emitted. Default 5s.
	IdleAdvance time.Duration `yaml:"idle_advance"`
	// RestoreTimeout bounds reading the changelog after a restart or a
	// rebalance. Default 2m.
	RestoreTimeout time.Duration `yaml:"restore_timeout"`
	// Load writes the facts into ClickHouse (interaction_facts and the
	// others) from the fact topics, in its own consumer group
	// (Group + "-load"). Default true.
	Load bool `yaml:"load"`
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
		Group:            "logmart-pipeline",
		TransactionalID:  "logmart-pipeline",
		Inputs:           InputTopics(),
		InteractionTopic: "gsp-ixn",
		AgentTopic:       "gsp-sm",
		ConfigTopic:      "gsp-cfg",
		DeadLetterTopic:  "gsp-dead",
		ChangelogTopic:   "gsp-state",
		ACWTopic:         "gsp-acw",
		CommitInterval:   100 * time.Millisecond,
		IdleAdvance:      5 * time.Second,
		RestoreTimeout:   2 * time.Minute,
		Load:             true,
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
	for _, f := range []struct{ name, v string }{
		{"group", c.Group}, {"transactional_id", c.TransactionalID}, {"interaction_topic", c.InteractionTopic},
		{"agent_topic", c.AgentTopic}, {"config_topic", c.ConfigTopic}, {"dead_letter_topic", c.DeadLetterTopic},
		{"changelog_topic", c.ChangelogTopic}, {"acw_topic", c.ACWTopic},
	} {
		if f.v == "" {
			return fmt.Errorf("pipeline.%s must not be empty", f.name)
		}
	}
	for _, t := range c.Inputs {
		if _, ok := decoders[t]; !ok {
			return fmt.Errorf("pipeline.inputs: %q is not a pipeline input (%s)", t, strings.Join(InputTopics(), ", "))
		}
	}
	if c.CommitInterval <= 0 {
		return fmt.Errorf("pipeline.commit_interval must be positive, got %s", c.CommitInterval)
	}
	if c.IdleAdvance <= 0 {
		return fmt.Errorf("pipeline.idle_advance must be positive, got %s", c.IdleAdvance)
	}
	if c.RestoreTimeout <= 0 {
		return fmt.Errorf("pipeline.restore_timeout must be positive, got %s", c.RestoreTimeout)
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
