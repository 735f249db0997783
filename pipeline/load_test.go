package pipeline

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/logmart/logmart/store"
)

// TestLoadedCorrectionReplacesRow runs late_correction's call through the
// Processor into the fact tables: the *_latest views show one row per fact,
// at the correcting version, and an open state's end as NULL.
func TestLoadedCorrectionReplacesRow(t *testing.T) {
	st := testDatabase(t)
	ctx := context.Background()
	l := NewLoader(st)
	cfg := DefaultConfig()
	cfg.AllowedLateness = 0
	p := NewProcessor(cfg)
	send := func(topic string, recs ...string) {
		for i, r := range recs {
			p.Process(topic, 0, int64(i), []byte(r))
		}
	}
	var first []Fact
	flush := func(token string) {
		t.Helper()
		p.Advance(p.stats.maxSeen())
		facts := p.Flush()
		if first == nil {
			first = facts
		}
		if len(facts) == 0 {
			t.Fatal("flush emitted no facts")
		}
		if err := l.Write(ctx, facts, token); err != nil {
			t.Fatal(err)
		}
		if d := p.DeadLetters(); len(d) > 0 {
			t.Fatalf("dead letters: %+v", d)
		}
	}
	send(TopicVoiceCallthread,
		`{"version":1,"event":"created","time":"2026-03-02T10:00:00Z","tenant":"t","call_id":"c1","from":"+15550101","to":"8000"}`,
		`{"version":1,"event":"queued","time":"2026-03-02T10:00:00Z","tenant":"t","call_id":"c1","party":{"type":"ivr","id":"menu"}}`,
		`{"version":1,"event":"released","time":"2026-03-02T10:00:06Z","tenant":"t","call_id":"c1","party":{"type":"ivr","id":"menu"}}`,
		`{"version":1,"event":"established","time":"2026-03-02T10:00:10Z","tenant":"t","call_id":"c1","party":{"type":"agent","id":"alice","dn":"5001"}}`,
		`{"version":1,"event":"released","time":"2026-03-02T10:02:10Z","tenant":"t","call_id":"c1","party":{"type":"customer"}}`)
	send(TopicVoiceAgentState,
		`{"version":1,"event":"login","time":"2026-03-02T09:00:00Z","tenant":"t","agent":"alice","dn":"5001"}`,
		`{"version":1,"event":"ready","time":"2026-03-02T09:00:00Z","tenant":"t","agent":"alice","dn":"5001"}`)
	flush("first")
	flush0 := p.Flush()
	if len(flush0) != 0 {
		t.Fatalf("a flush without new events emitted %d facts", len(flush0))
	}
	send(TopicVoiceCallthread,
		`{"version":1,"event":"held","time":"2026-03-02T10:01:00Z","tenant":"t","call_id":"c1","party":{"type":"agent","id":"alice","dn":"5001"}}`,
		`{"version":1,"event":"retrieved","time":"2026-03-02T10:01:30Z","tenant":"t","call_id":"c1","party":{"type":"agent","id":"alice","dn":"5001"}}`)
	flush("second")
	// The first batch again, as a retry would write it: the token drops it.
	if err := l.Write(ctx, first, "first"); err != nil {
		t.Fatal(err)
	}
	q := func(sql string) string {
		t.Helper()
		res, err := st.Query(ctx, store.Query{SQL: sql})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(res.Rows)
		return string(b)
	}
	if got, want := q("SELECT id, version, talk_ms, hold_ms, holds, result, toString(`end`), ivr_ms, queue_ms FROM interaction_facts_latest"),
		`[["c1",2,90000,30000,1,"completed","2026-03-02 10:02:10.000",6000,0]]`; got != want {
		t.Errorf("interaction_facts_latest = %s, want %s", got, want)
	}
	if got, want := q("SELECT resource_id, version, talk_ms, hold_ms, ivr_ms FROM interaction_resource_facts_latest ORDER BY start"),
		`[["menu",1,0,0,6000],["alice",2,90000,30000,0]]`; got != want {
		t.Errorf("interaction_resource_facts_latest = %s, want %s", got, want)
	}
	if got, want := q("SELECT count(), max(version) FROM interaction_facts"), `[[2,2]]`; got != want {
		t.Errorf("interaction_facts holds %s rows and max version, want both versions (the retried first batch dropped) until a merge: %s", got, want)
	}
	if got, want := q("SELECT agent_id, state, `end` IS NULL, duration_ms FROM agent_state_facts_latest"),
		`[["alice","ready",1,0]]`; got != want {
		t.Errorf("agent_state_facts_latest = %s, want %s", got, want)
	}
	if got, want := q("SELECT agent_id, `end` IS NULL FROM agent_session_facts_latest"), `[["alice",1]]`; got != want {
		t.Errorf("agent_session_facts_latest = %s, want %s", got, want)
	}
}
