package budgets

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/logmart/logmart/store"
	"github.com/logmart/logmart/store/chdb"
	"github.com/logmart/logmart/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m, "budgets_test", func(*chdb.Engine) {}) }

// notices records what the evaluator sends.
type notices struct {
	mu  sync.Mutex
	got []Notice
}

func (n *notices) NotifyBudget(_ context.Context, _ []string, x Notice) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.got = append(n.got, x)
	return nil
}

// TestEvaluatorRaisesForecastOverFromStoredUsage: a week of steady usage
// and a ramping day in budget_usage; evaluated through the day, the
// budget raises forecast_over once, hours before it is exceeded, records
// it and notifies it with the expected breach.
func TestEvaluatorRaisesForecastOverFromStoredUsage(t *testing.T) {
	st := storetest.Database(t)
	day0 := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	series, err := Generate(days("7*steady", "ramp"), day0, 7)
	if err != nil {
		t.Fatal(err)
	}
	// Each 5-minute sample as five minutes of usage rows.
	b := &store.Block{}
	name, outcome, replica := &store.StringColumn{Name: "budget"}, &store.StringColumn{Name: "outcome"}, &store.StringColumn{Name: "replica"}
	minute := &store.UInt32Column{Name: "minute", Type: "DateTime"}
	bytes, events := &store.UInt64Column{Name: "bytes"}, &store.UInt64Column{Name: "events"}
	for _, s := range series {
		for m := range 5 {
			name.Append("edge")
			outcome.Append(OutcomeStored)
			replica.Append("r1")
			minute.Append(uint32(s.At.Add(-5*time.Minute + time.Duration(m)*time.Minute).Unix()))
			bytes.Append(uint64(s.Value / 5))
			events.Append(1)
		}
	}
	b.Cols = []store.BlockColumn{name, minute, outcome, bytes, events, replica}
	if err := st.Insert(context.Background(), "budget_usage", b, ""); err != nil {
		t.Fatal(err)
	}
	bud := mustBudget(t, "id: edge\nowner: sre\nscope: \"true\"\ncapacity: "+strconv.FormatFloat(GeneratedCapacity, 'f', 0, 64)+"\nperiod: daily\naction: keep\nnotify: [pager]\n")
	n := &notices{}
	ev := NewEvaluator(st, []*Budget{bud}, n, nil, time.Minute, nil)
	ramp := day0.Add(7 * 24 * time.Hour)
	var exceededAt time.Time
	for at := ramp.Add(2 * time.Hour); at.Before(ramp.Add(24 * time.Hour)); at = at.Add(15 * time.Minute) {
		if err := ev.Evaluate(context.Background(), at); err != nil {
			t.Fatal(err)
		}
		for _, x := range n.got {
			if x.State == StateExceeded && exceededAt.IsZero() {
				exceededAt = x.At
			}
		}
	}
	var over []Notice
	for _, x := range n.got {
		if x.State == StateForecastOver {
			over = append(over, x)
		}
	}
	if len(over) != 1 || exceededAt.IsZero() || exceededAt.Sub(over[0].At) < 2*time.Hour || over[0].BreachAt.IsZero() {
		t.Fatalf("forecast-over %+v, exceeded at %s", over, exceededAt)
	}
	res, err := st.Query(context.Background(), store.Query{SQL: "SELECT state, count() FROM budget_transitions FINAL WHERE budget = 'edge' GROUP BY state ORDER BY state"})
	if err != nil || len(res.Rows) != 2 {
		t.Fatalf("transitions %v %v", res, err)
	}
	// The next morning the status carries the eight days before it, the
	// ramp first: exceeded, with the alerts it raised in their order.
	sts, err := StatusAt(context.Background(), st, []*Budget{bud}, ramp.Add(25*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	h := sts[0].History
	if len(h) != 8 || !h[0].Start.Equal(ramp) || !h[0].Exceeded || fmt.Sprint(h[0].Alerts) != "[forecast_over exceeded]" || h[0].Usage < GeneratedCapacity {
		t.Fatalf("history %+v", h)
	}
	for _, d := range h[1:] {
		if d.Exceeded || len(d.Alerts) != 0 || d.Usage <= 0 || d.Dropped != 0 {
			t.Fatalf("a steady day %+v", d)
		}
	}
	if a := sts[0].Alerts; a == nil || len(a) != 0 {
		t.Fatalf("alerts of a period without any: %#v", a)
	}
}

// TestAnEndedPeriodIsJudgedAsItEnded: a minute budget evaluated once a
// minute, a few seconds into each, records each minute's exceeded from
// the usage of the whole minute, and the status lists those minutes as
// earlier periods with their alert.
func TestAnEndedPeriodIsJudgedAsItEnded(t *testing.T) {
	st := storetest.Database(t)
	ctx := context.Background()
	bud := mustBudget(t, "id: spike\nowner: sre\nscope: \"true\"\ncapacity: 100 events\nperiod: minute\naction: keep\n")
	t0 := time.Now().UTC().Truncate(time.Minute).Add(-10 * time.Minute)
	n := &notices{}
	ev := NewEvaluator(st, []*Budget{bud}, n, nil, time.Minute, nil)
	k := NewKeeper(st, nil, "r1", time.Second, nil)
	for m := range 6 {
		// Two seconds into each minute, before its usage is flushed: only
		// the judgment of the minute that ended sees it exceeded.
		if err := ev.Evaluate(ctx, t0.Add(time.Duration(m)*time.Minute+2*time.Second)); err != nil {
			t.Fatal(err)
		}
		if m < 5 {
			if err := k.insert(ctx, []Usage{{Budget: "spike", Minute: t0.Add(time.Duration(m) * time.Minute), Outcome: OutcomeStored, Bytes: 15000, Events: 150}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	res, err := st.Query(ctx, store.Query{SQL: "SELECT count() FROM budget_transitions FINAL WHERE budget = 'spike' AND state = 'exceeded'"})
	if err != nil {
		t.Fatal(err)
	}
	if got := store.CellUint64(res.Rows[0][0]); got != 5 {
		t.Fatalf("%d minutes recorded exceeded, want 5", got)
	}
	sts, err := StatusAt(ctx, st, []*Budget{bud}, t0.Add(6*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if h := sts[0].History; len(h) != 5 || !h[0].Exceeded || fmt.Sprint(h[0].Alerts) != "[exceeded]" {
		t.Fatalf("history %+v", h)
	}
}
