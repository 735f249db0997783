package budgets

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// resample spreads each 5-minute sample over minutes (with noise), or
// sums samples into longer steps.
func resample(s []Sample, step time.Duration, seed uint64) []Sample {
	const five = 5 * time.Minute
	var out []Sample
	if step < five {
		rng := rand.New(rand.NewPCG(seed, 1))
		n := int(five / step)
		for _, x := range s {
			w := make([]float64, n)
			total := 0.0
			for i := range w {
				w[i] = 0.7 + 0.6*rng.Float64()
				total += w[i]
			}
			for i := range w {
				out = append(out, Sample{At: x.At.Add(-five).Add(time.Duration(i+1) * step), Value: x.Value * w[i] / total})
			}
		}
		return out
	}
	for _, x := range s {
		end := x.At.Add(-time.Nanosecond).Truncate(step).Add(step)
		if len(out) > 0 && out[len(out)-1].At.Equal(end) {
			out[len(out)-1].Value += x.Value
			continue
		}
		out = append(out, Sample{At: end, Value: x.Value})
	}
	return out
}

// TestForecastAtOtherSteps: a usage series of one-minute, 15-minute or
// hourly rows over daily periods backtests as well as one of 5 minutes:
// the windows and the start follow the series' step (OptionsFor). Each
// step catches every exceeded cap in advance, hours ahead, with no false
// alarm, and fires forecast-under only on the outage.
func TestForecastAtOtherSteps(t *testing.T) {
	mixed := days("7*steady", "ramp", "steady", "burst", "ramp", "gap", "steady", "outage", "steady", "ramp", "burst", "steady", "steady", "ramp")
	s, err := Generate(mixed, day0, 11)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := ParsePeriod(PeriodDaily, "00:00", "UTC")
	for _, step := range []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour} {
		t.Run(step.String(), func(t *testing.T) {
			series := s
			if step != 5*time.Minute {
				series = resample(s, step, 3)
			}
			if got := Step(series); got != step {
				t.Fatalf("resampled to %s, step %s", step, got)
			}
			f := Backtest(series, p, judged, MethodForecast, OptionsFor(p, step))
			l := Backtest(series, p, judged, MethodLinear, OptionsFor(p, step))
			msg := fmt.Sprintf("forecast %+v\nlinear   %+v", f.Summary, l.Summary)
			sm := f.Summary
			if sm.Exceeded != 4 || sm.CaughtInAdvance != 4 || sm.FalseAlarms != 0 || sm.ForecastUnder != 1 || sm.MedianLeadTimeSeconds < 3*3600 {
				t.Fatal(msg)
			}
			if sm.MedianLeadTimeSeconds <= l.Summary.MedianLeadTimeSeconds || sm.ForecastUnder > l.Summary.ForecastUnder {
				t.Fatal(msg)
			}
			t.Log(msg)
		})
	}
}
