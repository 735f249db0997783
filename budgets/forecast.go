package budgets

import (
	"math"
	"slices"
	"time"
)

// The forecast methods.
const (
	// MethodForecast is logmart's: the shape of earlier periods scaled
	// by the current level, robust to bursts and gaps (doc.go).
	MethodForecast = "forecast"
	// MethodLinear is Prometheus' predict_linear over the period so far:
	// the baseline.
	MethodLinear = "linear"
	// MethodTrend is what MethodForecast falls back to without history:
	// the recent rate, carried to the end of the period.
	MethodTrend = "trend"
)

// ForecastOptions tune the forecast.
type ForecastOptions struct {
	// Windows is how many recent windows the current level is read over,
	// and WindowBuckets their length in buckets: the level is the median
	// of the windows', so one burst or one gap cannot move it.
	Windows       int
	WindowBuckets int
	// MinBuckets is how much of the period must have passed before a
	// forecast is made (its start has too few points).
	MinBuckets int
	// Confidence is the share of the forecast's spread the alerts trust:
	// forecast-over fires when the (1-Confidence) quantile is over the
	// capacity, forecast-under when the Confidence quantile is under the
	// lower bound.
	Confidence float64
	// MaxHistory bounds the earlier periods used (the newest).
	MaxHistory int
}

// DefaultForecastOptions suit buckets of 5 minutes over a daily period:
// three windows of 30 minutes, no forecast in the first 90 minutes, 90%
// confidence, four weeks of history.
func DefaultForecastOptions() ForecastOptions {
	return ForecastOptions{Windows: 3, WindowBuckets: 6, MinBuckets: 18, Confidence: 0.9, MaxHistory: 28}
}

// OptionsFor are the forecast's options for period p read in buckets of
// step: windows of 30 minutes over a day, read after 90 minutes; of 3
// minutes over an hour, read after 6; a window is at least one bucket and
// the start at least two. A minute is too short to forecast (its
// thresholds and cap still alert). The live forecast reads buckets of
// bucketOf(p); a backtest reads its series' own step.
func OptionsFor(p Period, step time.Duration) ForecastOptions {
	o := DefaultForecastOptions()
	window, start := 30*time.Minute, 90*time.Minute
	switch p.Kind {
	case PeriodHourly:
		window, start = 3*time.Minute, 6*time.Minute
	case PeriodMinute:
		o.MinBuckets = 1 << 30
		return o
	}
	if step <= 0 {
		step = bucketOf(p)
	}
	o.WindowBuckets = max(1, int((window+step/2)/step))
	o.MinBuckets = max(2, int((start+step-1)/step))
	return o
}

// Forecast is the predicted usage at the end of a period.
type Forecast struct {
	// Ready is false while too little of the period has passed.
	Ready bool `json:"ready"`
	// Method is the one used: forecast, trend (no history) or linear.
	Method string `json:"method"`
	// Usage is the period's usage so far; Point the predicted end, Lower
	// and Upper the interval at the configured confidence.
	Usage float64 `json:"usage"`
	Point float64 `json:"point"`
	Lower float64 `json:"lower"`
	Upper float64 `json:"upper"`
	// History is how many earlier periods shaped it.
	History int `json:"history"`
}

// Predict forecasts the end-of-period usage from cur, the usage per bucket
// since the period began, n buckets of a period of total buckets, and
// hist, earlier periods' usage per bucket (newest last, each aligned on
// its own start).
func Predict(method string, cur []float64, total int, hist [][]float64, o ForecastOptions) Forecast {
	f := Forecast{Method: method, Usage: sum(cur)}
	n := len(cur)
	if n < max(o.MinBuckets, 2) || total <= 0 {
		f.Point, f.Lower, f.Upper = f.Usage, f.Usage, f.Usage
		return f
	}
	f.Ready = true
	remaining := float64(max(total-n, 0))
	if method == MethodLinear {
		f.Point = predictLinear(cur, total)
		f.Lower, f.Upper = f.Point, f.Point
		return f
	}
	if len(hist) > o.MaxHistory {
		hist = hist[len(hist)-o.MaxHistory:]
	}
	wins := recentWindows(n, o)
	var ends []float64
	for _, h := range hist {
		if len(h) < n {
			continue
		}
		rest := sum(h[n:min(len(h), total)])
		for _, w := range wins {
			base := sum(h[w[0]:w[1]])
			if base <= 0 {
				continue
			}
			ends = append(ends, f.Usage+sum(cur[w[0]:w[1]])/base*rest)
		}
		f.History++
	}
	if len(ends) < len(wins) {
		return trend(f, cur, wins, remaining, o.MinBuckets)
	}
	slices.Sort(ends)
	f.Point = quantile(ends, 0.5)
	f.Lower, f.Upper = quantile(ends, 1-o.Confidence), quantile(ends, o.Confidence)
	if f.History < 3 {
		// Few periods to learn the shape from: widen the interval by the
		// spread of the recent windows' levels.
		spread := (f.Upper - f.Lower) / 2
		f.Lower, f.Upper = math.Max(f.Usage, f.Lower-spread), f.Upper+spread
	}
	return f
}

// trend is the forecast without history: the recent windows' rates and
// the period's average rate, carried to its end. Not knowing the period's
// shape, it widens the interval to half the lowest and twice the highest
// of those, so that a quiet night or a busy afternoon alone does not
// alert. It counts from the period's first usage: a budget that began
// counting within the period (a new budget, a new deployment) is not
// judged by the minutes before it existed, and is not ready before it has
// counted for minBuckets.
func trend(f Forecast, cur []float64, wins [][2]int, remaining float64, minBuckets int) Forecast {
	f.Method, f.History = MethodTrend, 0
	first := 0
	for first < len(cur) && cur[first] == 0 {
		first++
	}
	if first == len(cur) {
		first = 0 // nothing counted yet: the whole period is the evidence
	}
	if len(cur)-first < max(minBuckets, 2) {
		f.Ready, f.Point, f.Lower, f.Upper = false, f.Usage, f.Usage, f.Usage
		return f
	}
	rates := []float64{f.Usage / float64(len(cur)-first)}
	for _, w := range wins {
		if w[0] >= first {
			rates = append(rates, sum(cur[w[0]:w[1]])/float64(w[1]-w[0]))
		}
	}
	slices.Sort(rates)
	f.Point = f.Usage + quantile(rates, 0.5)*remaining
	f.Lower = f.Usage + rates[0]*remaining/2
	f.Upper = f.Usage + rates[len(rates)-1]*remaining*2
	return f
}

// recentWindows are the bucket ranges [from, to) of the last o.Windows
// windows of the period so far, shorter when little of it has passed.
func recentWindows(n int, o ForecastOptions) [][2]int {
	size := o.WindowBuckets
	if size*o.Windows > n {
		size = max(n/o.Windows, 1)
	}
	var out [][2]int
	for i := range o.Windows {
		to := n - i*size
		from := to - size
		if from < 0 {
			break
		}
		out = append(out, [2]int{from, to})
	}
	return out
}

// predictLinear is Prometheus' predict_linear over the cumulative usage of
// the period so far: a least-squares line through (bucket, usage to its
// end), read at the period's end.
func predictLinear(cur []float64, total int) float64 {
	var sx, sy, sxx, sxy, c float64
	n := float64(len(cur))
	for i, v := range cur {
		c += v
		x := float64(i + 1)
		sx, sy, sxx, sxy = sx+x, sy+c, sxx+x*x, sxy+x*c
	}
	den := n*sxx - sx*sx
	if den == 0 {
		return c
	}
	slope := (n*sxy - sx*sy) / den
	icpt := (sy - slope*sx) / n
	return icpt + slope*float64(total)
}

func sum(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s
}

// quantile of sorted values, linearly interpolated.
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	pos := q * float64(len(sorted)-1)
	i := int(pos)
	if i >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	return sorted[i] + (pos-float64(i))*(sorted[i+1]-sorted[i])
}
