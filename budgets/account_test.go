package budgets

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

func mustBudget(t *testing.T, y string) *Budget {
	t.Helper()
	b, _, err := Decode([]byte(y), "")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestOverlappingScopesCountAndTheStrictestActionWins: a record counts in
// a parent and a child budget; once the child (stop) is exceeded its
// records are dropped, counted as dropped, while the parent (archive-only,
// not exceeded) still keeps records outside the child.
func TestOverlappingScopesCountAndTheStrictestActionWins(t *testing.T) {
	parent := mustBudget(t, "id: all\nowner: sre\nscope: \"true\"\ncapacity: 1000B\nperiod: daily\naction: archive-only\n")
	child := mustBudget(t, "id: edge\nowner: sre\nscope: stream == \"edge\"\ncapacity: 300B\nperiod: daily\naction: stop\n")
	a, err := NewAccountant([]*Budget{parent, child})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	edge, pay := Meta{Stream: "edge", Service: "api"}, Meta{Stream: "payments"}
	var outcomes []string
	for range 4 {
		d, err := a.Account(edge, 100, at)
		if err != nil {
			t.Fatal(err)
		}
		outcomes = append(outcomes, d.Outcome)
	}
	if want := []string{OutcomeStored, OutcomeStored, OutcomeStored, OutcomeDropped}; !slices.Equal(outcomes, want) {
		t.Fatalf("edge outcomes %v, want %v", outcomes, want)
	}
	if d, _ := a.Account(pay, 100, at); d.Outcome != OutcomeStored {
		t.Fatalf("a record outside the stopped budget: %+v", d)
	}
	if ov := a.Overlaps(); fmt.Sprint(ov) != "map[all:[edge] edge:[all]]" {
		t.Fatalf("overlaps %v", ov)
	}
	if u, ex := a.Usage("all", at); u != 500 || ex {
		t.Fatalf("parent usage %v exceeded %v", u, ex)
	}
	// The parent crosses its capacity: payments records go archive-only,
	// edge records stay dropped (stop is stricter).
	a.Account(pay, 600, at)
	if d, _ := a.Account(pay, 1, at); d.Outcome != OutcomeArchiveOnly {
		t.Fatalf("payments after the parent's cap: %+v", d)
	}
	if d, _ := a.Account(edge, 1, at); d.Outcome != OutcomeDropped {
		t.Fatalf("edge: %+v", d)
	}
	rows := map[string]uint64{}
	for _, u := range a.Flush() {
		rows[u.Budget+" "+u.Outcome] += u.Bytes
	}
	if rows["edge stored"] != 300 || rows["edge dropped"] != 101 || rows["all archive-only"] != 1 || rows["all stored"] != 1000 {
		t.Fatalf("usage rows %v", rows)
	}
	// The next period starts at zero.
	if d, _ := a.Account(edge, 1, at.Add(24*time.Hour)); d.Outcome != OutcomeStored {
		t.Fatalf("next day: %+v", d)
	}
	if !a.Reset("all") || a.Reset("nope") {
		t.Fatal("reset")
	}
}

// TestReplicasOvershootWithinOneSync: two replicas each see the persisted
// total at every sync; between syncs together they can accept at most
// what each receives in one sync interval beyond the cap.
func TestReplicasOvershootWithinOneSync(t *testing.T) {
	b := mustBudget(t, "id: edge\nowner: sre\nscope: \"true\"\ncapacity: 10000B\nperiod: daily\naction: stop\n")
	r1, _ := NewAccountant([]*Budget{b})
	r2, _ := NewAccountant([]*Budget{b})
	at := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	start := map[string]time.Time{"edge": at.Truncate(24 * time.Hour)}
	persisted := 0.0
	stored := 0.0
	const perSync = 20 // records each replica takes between two syncs
	for range 100 {
		for _, r := range []*Accountant{r1, r2} {
			for range perSync {
				if d, _ := r.Account(Meta{}, 100, at); d.Outcome == OutcomeStored {
					stored += 100
				}
			}
		}
		for _, r := range []*Accountant{r1, r2} {
			for _, u := range r.Flush() {
				persisted += float64(u.Bytes)
			}
		}
		r1.Sync(map[string]float64{"edge": persisted}, start)
		r2.Sync(map[string]float64{"edge": persisted}, start)
	}
	if bound := 10000.0 + 2*perSync*100; stored < 10000 || stored > bound {
		t.Fatalf("stored %v: outside [capacity, capacity + one sync of both replicas = %v]", stored, bound)
	}
}

// TestReplaceKeepsUsageOfUnchangedPeriods: budgets changed in force keep
// the usage of a period that did not change, start over on one that did,
// and lose nothing counted but not yet flushed.
func TestReplaceKeepsUsageOfUnchangedPeriods(t *testing.T) {
	edge := mustBudget(t, "id: edge\nowner: sre\nscope: stream == \"edge\"\ncapacity: 300B\nperiod: daily\naction: stop\n")
	pay := mustBudget(t, "id: pay\nowner: sre\nscope: stream == \"payments\"\ncapacity: 1000B\nperiod: daily\naction: keep\n")
	a, err := NewAccountant([]*Budget{edge, pay})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 2, 10, 0, 30, 0, time.UTC)
	for range 3 {
		a.Account(Meta{Stream: "edge"}, 100, at)
		a.Account(Meta{Stream: "payments"}, 100, at)
	}
	// edge's capacity rises (same period: usage kept, no longer exceeded);
	// pay becomes hourly (usage starts over); a new budget joins.
	edge2 := mustBudget(t, "id: edge\nowner: sre\nscope: stream == \"edge\"\ncapacity: 500B\nperiod: daily\naction: stop\n")
	pay2 := mustBudget(t, "id: pay\nowner: sre\nscope: stream == \"payments\"\ncapacity: 1000B\nperiod: hourly\naction: keep\n")
	all := mustBudget(t, "id: all\nowner: sre\nscope: \"true\"\ncapacity: 10 events\nperiod: daily\naction: keep\n")
	if err := a.Replace([]*Budget{edge2, pay2, all}); err != nil {
		t.Fatal(err)
	}
	if u, ex := a.Usage("edge", at); u != 300 || ex {
		t.Fatalf("edge after a raised capacity: usage %v exceeded %v, want 300 and not exceeded", u, ex)
	}
	if d, _ := a.Account(Meta{Stream: "edge"}, 100, at); d.Outcome != OutcomeStored {
		t.Fatalf("an edge record under the raised capacity: %+v", d)
	}
	if u, _ := a.Usage("pay", at); u != 0 {
		t.Fatalf("pay after its period changed: usage %v, want 0 (the keeper's sync reads the persisted usage)", u)
	}
	if u, _ := a.Usage("all", at); u != 1 {
		t.Fatalf("the new budget: usage %v, want the 1 record since it joined", u)
	}
	got := map[string]uint64{}
	for _, u := range a.Flush() {
		got[u.Budget+" "+u.Outcome] += u.Events
	}
	if want := map[string]uint64{"edge stored": 4, "pay stored": 3, "all stored": 1}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("flushed %v, want %v", got, want)
	}
	// A scope that does not compile changes nothing.
	bad := mustBudget(t, "id: edge\nowner: sre\nscope: stream == \"edge\"\ncapacity: 500B\nperiod: daily\naction: stop\n")
	bad.Scope = "stream =="
	if err := a.Replace([]*Budget{bad}); err == nil {
		t.Fatal("a scope that does not compile was put in force")
	}
	if u, _ := a.Usage("all", at); u != 1 {
		t.Fatalf("a refused Replace changed the budgets: all %v", u)
	}
}

// BenchmarkAccount20: one record against 20 overlapping budgets (one over
// everything, one per level, one per service), the metadata of a batch
// from 50 services, 6 levels and 40 hosts.
func BenchmarkAccount20(b *testing.B) {
	scopes := []string{`true`, `level == "error"`, `level == "warn"`, `level == "info"`}
	for i := range 16 {
		scopes = append(scopes, fmt.Sprintf("service == \"svc-%d\"", i))
	}
	var bs []*Budget
	for i, s := range scopes {
		bs = append(bs, &Budget{ID: fmt.Sprintf("b%02d", i), Owner: "bench", Scope: s, Capacity: "100TB", Period: PeriodDaily, Action: ActionKeep})
	}
	a, err := NewAccountant(bs)
	if err != nil {
		b.Fatal(err)
	}
	levels := []string{"debug", "info", "info", "warn", "error", "info"}
	metas := make([]Meta, 1024)
	for i := range metas {
		metas[i] = Meta{Stream: "logs", Topic: "logs", Service: fmt.Sprintf("svc-%d", i%50), Host: fmt.Sprintf("host-%d", i%40), Level: levels[i%len(levels)]}
	}
	at := time.Now()
	b.ResetTimer()
	for i := range b.N {
		if _, err := a.Account(metas[i&1023], 245, at); err != nil {
			b.Fatal(err)
		}
	}
}
