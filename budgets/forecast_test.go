package budgets

import (
	"strings"
	"testing"
	"time"
)

var day0 = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)

func days(kinds ...string) []string {
	var out []string
	for _, k := range kinds {
		n, kind, ok := strings.Cut(k, "*")
		if !ok {
			out = append(out, k)
			continue
		}
		for range atoi(n) {
			out = append(out, kind)
		}
	}
	return out
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func backtest(t *testing.T, method string, lim Limits, kinds ...string) BacktestResult {
	t.Helper()
	s, err := Generate(days(kinds...), day0, 7)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := ParsePeriod(PeriodDaily, "00:00", "UTC")
	return Backtest(s, p, lim, method, DefaultForecastOptions())
}

var judged = Limits{Capacity: GeneratedCapacity, LowerBound: 0.5 * steadyDay, Hold: 2}

// TestRampFiresHoursBeforeTheCap: traffic ramping to cross the cap in the
// afternoon fires forecast-over hours before the breach.
func TestRampFiresHoursBeforeTheCap(t *testing.T) {
	r := backtest(t, MethodForecast, judged, "7*steady", "ramp")
	if r.Summary.Exceeded != 1 || r.Summary.CaughtInAdvance != 1 || r.Summary.MedianLeadTimeSeconds < 2*3600 {
		t.Fatalf("summary %+v\n%v", r.Summary, r.Alerts)
	}
}

// TestSteadyShapeNeverFires: a strong daily shape is not a trend.
func TestSteadyShapeNeverFires(t *testing.T) {
	r := backtest(t, MethodForecast, judged, "14*steady")
	if r.Summary.FalseAlarms != 0 || r.Summary.ForecastUnder != 0 || r.Summary.Exceeded != 0 {
		t.Fatalf("summary %+v\n%v", r.Summary, r.Alerts)
	}
}

// TestOneBurstDoesNotFire, nor does a half-hour gap.
func TestOneBurstOrGapDoesNotFire(t *testing.T) {
	r := backtest(t, MethodForecast, judged, "7*steady", "burst", "steady", "gap", "burst")
	if r.Summary.FalseAlarms != 0 || r.Summary.ForecastUnder != 0 {
		t.Fatalf("summary %+v\n%v", r.Summary, r.Alerts)
	}
}

// TestQuietSourceFiresForecastUnder.
func TestQuietSourceFiresForecastUnder(t *testing.T) {
	r := backtest(t, MethodForecast, judged, "7*steady", "outage")
	var under []Alert
	for _, a := range r.Alerts {
		if a.State == StateForecastUnder {
			under = append(under, a)
		}
	}
	if len(under) != 1 || under[0].At.Sub(day0.Add(7*24*time.Hour+11*time.Hour)) > 2*time.Hour {
		t.Fatalf("forecast-under %v", under)
	}
}

// TestNoHistoryFallsBackToTheTrend and says so.
func TestNoHistoryFallsBackToTheTrend(t *testing.T) {
	cur := make([]float64, 30)
	for i := range cur {
		cur[i] = 10
	}
	f := Predict(MethodForecast, cur, 288, nil, DefaultForecastOptions())
	if f.Method != MethodTrend || f.Point != 2880 || f.Lower > f.Point || f.Upper < f.Point {
		t.Fatalf("%+v", f)
	}
	if f := Predict(MethodForecast, cur[:5], 288, nil, DefaultForecastOptions()); f.Ready {
		t.Fatalf("a forecast from 5 buckets: %+v", f)
	}
}

// TestForecastBeatsLinear on a mixed month: more caps caught, no more
// false alarms than predict_linear.
func TestForecastBeatsLinear(t *testing.T) {
	mix := []string{"7*steady", "ramp", "steady", "burst", "ramp", "gap", "steady", "outage", "steady", "ramp", "burst", "steady", "steady", "ramp"}
	f := backtest(t, MethodForecast, judged, mix...)
	l := backtest(t, MethodLinear, judged, mix...)
	t.Logf("forecast %+v", f.Summary)
	t.Logf("linear   %+v", l.Summary)
	if f.Summary.CaughtInAdvance < l.Summary.CaughtInAdvance || f.Summary.FalseAlarms > l.Summary.FalseAlarms || f.Summary.MedianLeadTimeSeconds <= l.Summary.MedianLeadTimeSeconds {
		t.Fatalf("forecast %+v does not beat linear %+v", f.Summary, l.Summary)
	}
}

func TestPeriods(t *testing.T) {
	p, err := ParsePeriod(PeriodDaily, "06:00", "Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	// 2026-03-29 is the spring change in Paris: that period is 23 hours.
	at := time.Date(2026, 3, 29, 12, 0, 0, 0, time.UTC)
	s := p.Start(at)
	if got := s.UTC().Format(time.RFC3339); got != "2026-03-29T04:00:00Z" {
		t.Fatalf("start %s", got)
	}
	if d := p.End(s).Sub(s); d != 24*time.Hour {
		t.Fatalf("period after the change: %s", d)
	}
	if d := p.End(p.Start(at.Add(-24 * time.Hour))).Sub(p.Start(at.Add(-24 * time.Hour))); d != 23*time.Hour {
		t.Fatalf("period across the change: %s", d)
	}
	for _, c := range []struct{ kind, reset, zone, want string }{
		{"weekly", "", "", "period:"}, {"daily", "25:00", "", "reset:"}, {"daily", "", "Mars/Olympus", "timezone:"},
	} {
		if _, err := ParsePeriod(c.kind, c.reset, c.zone); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%+v: %v", c, err)
		}
	}
}

// TestTrendCountsFromTheFirstUsage: a budget that began counting half-way
// through its hour (a new deployment) is forecast from the rate since
// then, not diluted by the minutes before it existed, and is not ready
// until it has counted for the forecast's start.
func TestTrendCountsFromTheFirstUsage(t *testing.T) {
	p, _ := ParsePeriod(PeriodHourly, "", "")
	o := OptionsFor(p, time.Minute)
	cur := make([]float64, 30, 60)
	for range 3 {
		cur = append(cur, 11400)
	}
	if f := Predict(MethodForecast, cur, 60, nil, o); f.Ready {
		t.Fatalf("ready after 3 minutes of counting: %+v", f)
	}
	for range 7 {
		cur = append(cur, 11400)
	}
	f := Predict(MethodForecast, cur, 60, nil, o)
	if !f.Ready || f.Method != MethodTrend || f.Point != 10*11400+20*11400 {
		t.Fatalf("forecast %+v, want the trend at 11400 a minute: %d", f, 30*11400)
	}
}
