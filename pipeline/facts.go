package pipeline

import (
	"encoding/json"
	"hash/fnv"
	"strconv"
	"time"
)

// Fact tables, also the table names in ClickHouse (store/schema/0015).
const (
	TableInteractions = "interaction_facts"
	TableResources    = "interaction_resource_facts"
	TableAgentStates  = "agent_state_facts"
	TableSessions     = "agent_session_facts"
)

// Times in facts are Unix milliseconds UTC; 0 means "not yet" (an open
// state's end). They are written as ClickHouse DateTime64(3, 'UTC') text.

// InteractionFact is one accumulating row per interaction.
type InteractionFact struct {
	ID          string `json:"id"`
	Tenant      string `json:"tenant"`
	Media       string `json:"media"`
	Direction   string `json:"direction"`
	Start       Millis `json:"start"`
	End         Millis `json:"end"`
	From        string `json:"source_address"`
	To          string `json:"target_address"`
	FirstQueue  string `json:"first_queue"`
	Result      string `json:"result"`
	Reason      string `json:"reason"`
	Campaign    string `json:"campaign"`
	Disposition string `json:"disposition"`
	Resources   int    `json:"resources"`
	Transfers   int    `json:"transfers"`
	Holds       int    `json:"holds"`
	RingMs      int64  `json:"ring_ms"`
	QueueMs     int64  `json:"queue_ms"`
	IVRMs       int64  `json:"ivr_ms"`
	TalkMs      int64  `json:"talk_ms"`
	HoldMs      int64  `json:"hold_ms"`
	ACWMs       int64  `json:"acw_ms"`
	Version     uint64 `json:"version"`
	Deleted     uint8  `json:"deleted"`
}

// ResourceFact is one row per resource (agent, queue, IVR, routing point)
// that handled or tried to handle an interaction, per visit: an agent
// offered the same call twice has two rows.
type ResourceFact struct {
	ID            string `json:"id"`
	InteractionID string `json:"interaction_id"`
	Tenant        string `json:"tenant"`
	Media         string `json:"media"`
	ResourceType  string `json:"resource_type"`
	ResourceID    string `json:"resource_id"`
	ResourceKey   string `json:"resource_key"`
	ResourceName  string `json:"resource_name"`
	DN            string `json:"dn"`
	Queue         string `json:"queue"`
	Role          string `json:"role"`
	Start         Millis `json:"start"`
	End           Millis `json:"end"`
	RingMs        int64  `json:"ring_ms"`
	QueueMs       int64  `json:"queue_ms"`
	IVRMs         int64  `json:"ivr_ms"`
	TalkMs        int64  `json:"talk_ms"`
	HoldMs        int64  `json:"hold_ms"`
	ACWMs         int64  `json:"acw_ms"`
	Result        string `json:"result"`
	Reason        string `json:"reason"`
	Version       uint64 `json:"version"`
	Deleted       uint8  `json:"deleted"`
}

// AgentStateFact is one contiguous summarized state of an agent on one
// media type.
type AgentStateFact struct {
	ID         string `json:"id"`
	Tenant     string `json:"tenant"`
	AgentID    string `json:"agent_id"`
	AgentKey   string `json:"agent_key"`
	AgentName  string `json:"agent_name"`
	Media      string `json:"media"`
	State      string `json:"state"`
	Reason     string `json:"reason"`
	Start      Millis `json:"start"`
	End        Millis `json:"end"`
	DurationMs int64  `json:"duration_ms"`
	Closed     string `json:"closed"`
	Version    uint64 `json:"version"`
	Deleted    uint8  `json:"deleted"`
}

// SessionFact is one login session of an agent on one media type: from the
// first DN logged in to the last logged out.
type SessionFact struct {
	ID         string `json:"id"`
	Tenant     string `json:"tenant"`
	AgentID    string `json:"agent_id"`
	AgentKey   string `json:"agent_key"`
	AgentName  string `json:"agent_name"`
	Media      string `json:"media"`
	Start      Millis `json:"start"`
	End        Millis `json:"end"`
	DurationMs int64  `json:"duration_ms"`
	DNs        int    `json:"dns"`
	Closed     string `json:"closed"`
	Version    uint64 `json:"version"`
	Deleted    uint8  `json:"deleted"`
}

// Fact is one emitted version of a row. Key is the Kafka record key: the
// interaction or the agent, so one entity's facts stay on one partition and
// in order.
type Fact struct {
	Table   string
	Key     string
	ID      string
	Version uint64
	Row     any // InteractionFact, ResourceFact, AgentStateFact or SessionFact
}

// MarshalJSON writes the row as one JSONEachRow line of its table.
func (f Fact) MarshalJSON() ([]byte, error) { return f.AppendJSON(make([]byte, 0, 512)) }

// AppendJSON appends what MarshalJSON writes to b.
func (f Fact) AppendJSON(b []byte) ([]byte, error) {
	if out, ok := appendRowJSON(b, f.Row); ok {
		return out, nil
	}
	j, err := json.Marshal(f.Row)
	return append(b, j...), err
}

// Millis is a fact time: Unix milliseconds UTC, written as ClickHouse
// DateTime64(3) text, and null for zero (not yet known).
type Millis int64

// MarshalJSON writes "2006-01-02 15:04:05.000" in UTC, or null.
func (m Millis) MarshalJSON() ([]byte, error) {
	if m == 0 {
		return []byte("null"), nil
	}
	return []byte(`"` + m.String() + `"`), nil
}

// UnmarshalJSON reads what MarshalJSON writes.
func (m *Millis) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*m = 0
		return nil
	}
	t, err := time.Parse(`"2006-01-02 15:04:05.000"`, string(b))
	if err != nil {
		return err
	}
	*m = Millis(t.UnixMilli())
	return nil
}

func (m Millis) String() string {
	if m == 0 {
		return ""
	}
	return time.UnixMilli(int64(m)).UTC().Format("2006-01-02 15:04:05.000")
}

// factID derives a row id from what identifies the row, so replaying the
// same events gives the same ids and ReplacingMergeTree keeps one row.
func factID(parts ...string) string {
	h := fnv.New128a()
	for _, p := range parts {
		_, _ = h.Write([]byte(p))
		_, _ = h.Write([]byte{0})
	}
	var b [16]byte
	s := h.Sum(b[:0])
	const hex = "0123456789abcdef"
	out := make([]byte, 32)
	for i, c := range s {
		out[2*i], out[2*i+1] = hex[c>>4], hex[c&15]
	}
	return string(out)
}

func msString(ms int64) string { return strconv.FormatInt(ms, 10) }
