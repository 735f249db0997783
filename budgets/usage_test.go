package budgets

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/logmart/logmart/store/storetest"
)

// TestRecordedUsageReplaysLikeTheSeries: usage recorded per minute in
// budget_usage, read back and bucketed as the live forecast reads it,
// backtests exactly as the series it was recorded from.
func TestRecordedUsageReplaysLikeTheSeries(t *testing.T) {
	st := storetest.Database(t)
	ctx := context.Background()
	start := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	series, err := Generate([]string{"steady", "steady", "steady", "steady", "ramp", "steady", "outage"}, start, 3)
	if err != nil {
		t.Fatal(err)
	}
	var rows []Usage
	for _, s := range series {
		// Each 5-minute bucket recorded over its five minutes, in two
		// outcomes, as replicas flush it.
		for m := range 5 {
			at := s.At.Add(-5 * time.Minute).Add(time.Duration(m) * time.Minute)
			rows = append(rows, Usage{Budget: "web", Minute: at, Outcome: OutcomeStored, Bytes: uint64(s.Value / 10), Events: 1},
				Usage{Budget: "web", Minute: at, Outcome: OutcomeDropped, Bytes: uint64(s.Value/5) - uint64(s.Value/10), Events: 1})
		}
	}
	if err := NewKeeper(st, nil, "r1", time.Second, nil).insert(ctx, rows); err != nil {
		t.Fatal(err)
	}
	end := series[len(series)-1].At
	ps, err := RecordedUsage(ctx, st, "web", start, end)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != len(series)*5 {
		t.Fatalf("%d minutes recorded, want %d", len(ps), len(series)*5)
	}
	p, _ := ParsePeriod(PeriodDaily, "", "")
	got := Samples(ps, false, start, end, p)
	if len(got) != len(series) {
		t.Fatalf("%d buckets, want %d", len(got), len(series))
	}
	want := make([]Sample, len(series))
	for i, s := range series {
		want[i] = Sample{At: s.At, Value: float64(5 * (uint64(s.Value / 5)))}
		if got[i] != want[i] {
			t.Fatalf("bucket %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	lim := Limits{Capacity: GeneratedCapacity, LowerBound: GeneratedCapacity * 0.4, Hold: 2}
	a, b := Backtest(got, p, lim, MethodForecast, OptionsFor(p, bucketOf(p))), Backtest(want, p, lim, MethodForecast, DefaultForecastOptions())
	if fmt.Sprint(a.Summary) != fmt.Sprint(b.Summary) || a.Summary.Exceeded != 1 || a.Summary.CaughtInAdvance != 1 || a.Summary.ForecastUnder != 1 {
		t.Fatalf("recorded %+v\nseries   %+v\nwant the ramp caught in advance and the outage forecast under", a.Summary, b.Summary)
	}
	// Events count as the unit when the capacity is in events.
	if ev := Samples(ps, true, start, end, p); ev[0].Value != 10 {
		t.Fatalf("events per bucket %v, want 10 (5 minutes, 2 outcomes)", ev[0].Value)
	}
	// Bad ranges are refused, naming them.
	if _, err := RecordedUsage(ctx, st, "web", end, start); err == nil {
		t.Fatal("a reversed range was read")
	}
	if _, err := RecordedUsage(ctx, st, "web", start, start.Add(100*24*time.Hour)); err == nil {
		t.Fatal("100 days were read at once")
	}
}
