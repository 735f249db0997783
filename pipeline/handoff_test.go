package pipeline

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestHandoffAcrossReplicas: the agent is on one replica, its call on
// another. The after-call work the agent's replica hands over reaches the
// call's row on the other, through the record the ACW topic carries.
func TestHandoffAcrossReplicas(t *testing.T) {
	cfg := DefaultConfig()
	cfg.AllowedLateness = 0
	agents, calls := NewProcessor(cfg), NewProcessor(cfg)
	for i, r := range []string{
		`{"version":1,"event":"login","time":"2026-03-02T09:00:00Z","tenant":"t","agent":"bob","dn":"5002"}`,
		`{"version":1,"event":"busy","time":"2026-03-02T10:00:05Z","tenant":"t","agent":"bob","dn":"5002","call_id":"c1"}`,
		`{"version":1,"event":"acw","time":"2026-03-02T10:02:05Z","tenant":"t","agent":"bob","dn":"5002","call_id":"c1"}`,
		`{"version":1,"event":"ready","time":"2026-03-02T10:02:50Z","tenant":"t","agent":"bob","dn":"5002"}`,
	} {
		agents.Process(TopicVoiceAgentState, 0, int64(i), []byte(r))
	}
	for i, r := range []string{
		`{"version":1,"event":"created","time":"2026-03-02T10:00:00Z","tenant":"t","call_id":"c1"}`,
		`{"version":1,"event":"established","time":"2026-03-02T10:00:05Z","tenant":"t","call_id":"c1","party":{"type":"agent","id":"bob","dn":"5002"}}`,
		`{"version":1,"event":"released","time":"2026-03-02T10:02:05Z","tenant":"t","call_id":"c1","party":{"type":"customer"}}`,
	} {
		calls.Process(TopicVoiceCallthread, 0, int64(i), []byte(r))
	}
	acwOf := func(facts []Fact) int64 {
		for _, f := range facts {
			if r, ok := f.Row.(ResourceFact); ok && r.ResourceID == "bob" {
				return r.ACWMs
			}
		}
		return -1
	}
	calls.Advance(calls.stats.maxSeen())
	if got := acwOf(calls.Flush()); got != 0 {
		t.Fatalf("before the handoff: acw_ms %d, want 0", got)
	}
	agents.Advance(agents.stats.maxSeen())
	agents.Flush()
	hs := agents.TakeHandoffs()
	if len(hs) != 1 || hs[0].Interaction != "c1" || hs[0].Agent != "bob" || hs[0].ACWMs != 45_000 {
		t.Fatalf("handoffs %+v, want bob's 45 s for c1", hs)
	}
	rec, err := handoffRecord("gsp-acw", "r1", hs[0])
	if err != nil {
		t.Fatal(err)
	}
	h, err := decodeHandoff(rec)
	if err != nil || h != hs[0] {
		t.Fatalf("the record reads back as %+v (%v), want %+v", h, err, hs[0])
	}
	calls.ApplyHandoff(h)
	if got := acwOf(calls.Flush()); got != 45_000 {
		t.Fatalf("after the handoff: acw_ms %d, want 45000", got)
	}
	if changes, _ := calls.TakeChanges(); len(changes) == 0 {
		t.Fatal("the call's snapshot with the after-call work is not in the changelog")
	}
	calls.ApplyHandoff(h)
	if facts := calls.Flush(); len(facts) != 0 {
		t.Fatalf("the same handoff read again emitted %d facts", len(facts))
	}
}

// TestHandoffReader: a replica's own records are not applied again when
// read back, unless another replica's record of the same key came before
// (the agent moved between replicas); a restore gets the latest of each.
func TestHandoffReader(t *testing.T) {
	cfg := DefaultConfig()
	cfg.TransactionalID = "r1"
	r := newHandoffReader(nil, cfg)
	var errs []error
	log := func(err error) { errs = append(errs, err) }
	rec := func(from, ixn string, ms int64) *kgo.Record {
		t.Helper()
		rec, err := handoffRecord("gsp-acw", from, Handoff{Tenant: "t", Interaction: ixn, Agent: "bob", ACWMs: ms, At: 1000})
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	r.add(rec("r1", "c1", 10), log)
	if got := r.take(); len(got) != 0 {
		t.Fatalf("own record read back: %+v, want none", got)
	}
	r.add(rec("r2", "c2", 20), log)
	r.add(rec("r1", "c2", 25), log)
	got := r.take()
	if len(got) != 2 || got[0].ACWMs != 20 || got[1].ACWMs != 25 {
		t.Fatalf("another replica's record then this one's: %+v, want 20 then 25", got)
	}
	r.add(&kgo.Record{Topic: "gsp-acw", Key: []byte("t\x00c3\x00bob"), Value: []byte("{not json")}, log)
	if len(errs) != 1 {
		t.Fatalf("a malformed record: errors %v, want one", errs)
	}
	all := map[string]int64{}
	for _, h := range r.all() {
		all[h.Interaction] = h.ACWMs
	}
	if len(all) != 2 || all["c1"] != 10 || all["c2"] != 25 {
		t.Fatalf("all = %v, want c1 10 and c2 25", all)
	}
}
