package pipeline

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestSnapshotJSONReadsBack: a changelog snapshot written by the
// hand-written encoder reads back (with encoding/json, as Restore reads
// it) exactly as one written by encoding/json does, and is the same bytes.
func TestSnapshotJSONReadsBack(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	strs := []string{"", "", "a", "call-1", "agent-7", "voice", `q"uote`, "tab\t", "café"}
	s := func() string { return strs[r.IntN(len(strs))] }
	n := func() int64 {
		if r.IntN(3) == 0 {
			return 0
		}
		return r.Int64N(1<<50) - 1<<20
	}
	party := func() Party { return Party{Type: s(), ID: s(), DN: s()} }
	for i := range 500 {
		snap := &snapshot{Kind: []string{"i", "a"}[i%2], Tenant: s(), ID: s(), Home: home{Topic: s(), Partition: int32(r.IntN(8))},
			MaxTime: n(), End: n(), Deadline: n(), Open: r.IntN(2) == 0}
		for range r.IntN(6) {
			e := Event{Kind: Kind(r.IntN(int(KindConfig))), Time: n(), Tenant: s(), ID: s(), Interaction: s(), Media: s(), Direction: s(),
				From: s(), To: s(), Party: party(), Target: party(), Queue: s(), Consult: r.IntN(2) == 0, By: s(), Campaign: s(),
				Disposition: s(), WrapupEnd: n(), Agent: s(), DN: s(), Reason: s(), Topic: s(), Partition: int32(r.IntN(3)), Offset: n()}
			if r.IntN(10) == 0 {
				e.Config = &ConfigChange{Op: "upsert", Tenant: s(), Objects: []ConfigObject{{Kind: "agent", ID: s(), Name: s(), Logins: []string{s()}}}}
			}
			snap.Events = append(snap.Events, e)
		}
		if r.IntN(5) > 0 {
			snap.Seen = []string{}
			for range r.IntN(4) {
				snap.Seen = append(snap.Seen, s())
			}
		}
		if r.IntN(2) == 0 {
			snap.ACW = map[string]int64{"x": n(), "call-2": n()}
		}
		if r.IntN(5) > 0 {
			snap.Emitted = []emittedJSON{}
			for range r.IntN(3) {
				row := AgentStateFact{ID: s(), AgentID: s(), State: s(), Start: Millis(n()), End: Millis(n()), DurationMs: n(), Version: 3}
				enc, _ := appendRowJSON(nil, row)
				snap.Emitted = append(snap.Emitted, emittedJSON{Table: TableAgentStates, Version: uint64(r.IntN(9)), Deleted: r.IntN(2) == 0, Row: enc})
			}
		}
		if r.IntN(4) == 0 {
			snap.Base = map[string]*mediaBase{"voice": {DNs: map[string]dnState{"5001": {LoggedIn: true, State: "ready", Since: n()}}, Cur: &segment{State: "ready", Start: n()}, SessionStart: n()}}
			snap.FoldedAt = n()
		}
		got, err := snap.appendJSON(nil)
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(snap)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Fatalf("got\n%s\nwant\n%s", got, want)
		}
		var a, b snapshot
		if err := json.Unmarshal(got, &a); err != nil {
			t.Fatalf("%s: %v", got, err)
		}
		if err := json.Unmarshal(want, &b); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("read back\n%+v\nwant\n%+v", a, b)
		}
	}
}
