package pipeline

import (
	"fmt"
	"testing"
	"time"
)

// TestAfterCallWorkAfterALongGap pins a bug: when the watermark moved more
// than the retention past an ended call in one step (a flush after a
// sparse stretch of input, or a poll spanning hours of event time), the
// sweep at the start of Flush dropped the call from state, and the agent's
// after-call work for it, computed later in the same Flush, was lost: the
// call kept acw_ms = 0 while the agent's acw state was right.
func TestAfterCallWorkAfterALongGap(t *testing.T) {
	cfg := DefaultConfig()
	cfg.AllowedLateness = 0
	p := NewProcessor(cfg)
	at := func(hms string) int64 {
		tm, err := time.Parse(time.RFC3339, "2026-03-02T"+hms+"Z")
		if err != nil {
			t.Fatal(err)
		}
		return tm.UnixMilli()
	}
	offset := int64(0)
	send := func(topic, event, hms, rest string) {
		offset++
		p.Process(topic, 0, offset, fmt.Appendf(nil, `{"version":1,"event":%q,"time":"2026-03-02T%sZ","tenant":"t"%s}`, event, hms, rest))
	}
	bob := `,"agent":"bob","dn":"5002"`
	send(TopicVoiceAgentState, "login", "09:00:00", bob)
	send(TopicVoiceAgentState, "ready", "09:00:00", bob)
	call := `,"call_id":"c1"`
	party := call + `,"party":{"type":"agent","id":"bob","dn":"5002"}`
	send(TopicVoiceCallthread, "created", "10:00:00", call)
	send(TopicVoiceCallthread, "established", "10:00:05", party)
	send(TopicVoiceAgentState, "busy", "10:00:05", bob+call)
	send(TopicVoiceCallthread, "released", "10:01:00", call+`,"party":{"type":"customer"}`)
	send(TopicVoiceAgentState, "acw", "10:01:00", bob+call)
	p.Advance(at("10:01:30"))
	p.Flush() // the call is final but for its after-call work, still open
	send(TopicVoiceAgentState, "ready", "10:01:40", bob)
	p.Advance(at("11:30:00"))
	var acw int64 = -1
	for _, f := range p.Flush() {
		if r, ok := f.Row.(InteractionFact); ok && r.ID == "c1" {
			acw = r.ACWMs
		}
	}
	if acw != 40_000 {
		t.Errorf("call c1 after the agent's acw ended: acw_ms %d (-1: not emitted again), want 40000", acw)
	}
}
