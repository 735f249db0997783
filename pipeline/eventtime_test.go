package pipeline

import (
	"fmt"
	"testing"
	"time"
)

// TestAloneOnAPartitionBehind: an agent alone on a partition with a
// backlog holds that partition's newest event, so it is not computed until
// the partition catches up, more than the retention after its call ended
// on a partition that is not behind. The call waits in state for the
// after-call work it will hand over.
func TestAloneOnAPartitionBehind(t *testing.T) {
	p := NewProcessor(DefaultConfig())
	base := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	at := func(d time.Duration) string { return base.Add(d).Format(time.RFC3339) }
	var callOff, agentOff int64
	call := func(id string, start time.Duration, agent string) {
		for _, r := range []string{
			fmt.Sprintf(`{"version":1,"event":"created","time":%q,"tenant":"t","call_id":%q}`, at(start), id),
			fmt.Sprintf(`{"version":1,"event":"established","time":%q,"tenant":"t","call_id":%q,"party":{"type":"agent","id":%q,"dn":"5001"}}`, at(start+10*time.Second), id, agent),
			fmt.Sprintf(`{"version":1,"event":"released","time":%q,"tenant":"t","call_id":%q,"party":{"type":"customer"}}`, at(start+5*time.Minute), id),
		} {
			p.Process(TopicVoiceCallthread, 0, callOff, []byte(r))
			callOff++
		}
	}
	agent := func(event string, d time.Duration, extra string) {
		p.Process(TopicVoiceAgentState, 1, agentOff, []byte(fmt.Sprintf(`{"version":1,"event":%q,"time":%q,"tenant":"t","agent":"solo","dn":"5001"%s}`, event, at(d), extra)))
		agentOff++
	}
	flush := func() []Fact {
		p.Advance(p.stats.maxSeen())
		return p.Flush()
	}
	// The call ends at 10:05; its after-call work lasts a minute.
	call("x", 0, "solo")
	p.Behind(TopicVoiceAgentState, 1, true)
	agent("login", -time.Minute, "")
	agent("busy", 10*time.Second, `,"call_id":"x"`)
	agent("acw", 5*time.Minute, `,"call_id":"x"`)
	flush()
	// Two hours go by: other calls on partition 0, the agent toggling on
	// partition 1, which stays behind.
	for m := 6; m <= 125; m++ {
		d := time.Duration(m) * time.Minute
		call(fmt.Sprintf("other-%d", m), d, "bob")
		if m%2 == 0 {
			agent("ready", d, "")
		} else {
			agent("not_ready", d, `,"reason":"break"`)
		}
		flush()
	}
	// The partition catches up.
	p.Behind(TopicVoiceAgentState, 1, false)
	var acw int64 = -1
	for _, f := range flush() {
		if r, ok := f.Row.(InteractionFact); ok && r.ID == "x" {
			acw = r.ACWMs
		}
	}
	if acw != 60_000 {
		t.Fatalf("call x's acw_ms after the partition caught up = %d, want 60000 (a correcting version)", acw)
	}
	if d := p.DeadLetters(); len(d) > 0 {
		t.Fatalf("dead letters: %+v", d)
	}
}
