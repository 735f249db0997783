package budgets

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Sample is one row of a usage series: the usage of the interval that
// ends at At.
type Sample struct {
	At    time.Time
	Value float64
}

// ReadSeries reads a CSV of timestamp,value rows (a header row is
// skipped; timestamps RFC 3339 or unix seconds), sorted by time. Each
// error names the line.
func ReadSeries(r io.Reader) ([]Sample, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	var out []Sample
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if len(rec) != 2 {
			return nil, fmt.Errorf("line %d: %d fields; a row is timestamp,value", line, len(rec))
		}
		ts, vs := strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1])
		v, verr := strconv.ParseFloat(vs, 64)
		at, terr := parseTime(ts)
		if line == 1 && (verr != nil || terr != nil) {
			continue // a header
		}
		switch {
		case terr != nil:
			return nil, fmt.Errorf("line %d: timestamp %q is not RFC 3339 or unix seconds", line, clip(ts))
		case verr != nil || v < 0:
			return nil, fmt.Errorf("line %d: value %q is not a number of zero or more", line, clip(vs))
		}
		out = append(out, Sample{At: at, Value: v})
	}
	if len(out) < 2 {
		return nil, errors.New("the series needs at least two rows")
	}
	slices.SortFunc(out, func(a, b Sample) int { return a.At.Compare(b.At) })
	return out, nil
}

func parseTime(s string) (time.Time, error) {
	if n, err := strconv.ParseFloat(s, 64); err == nil {
		return time.Unix(0, int64(n*1e9)).UTC(), nil
	}
	return time.Parse(time.RFC3339, s)
}

// Summary is a backtest's score.
type Summary struct {
	Periods         int `json:"periods"`
	Exceeded        int `json:"exceeded"`
	CaughtInAdvance int `json:"caught_in_advance"`
	Missed          int `json:"missed"`
	// FalseAlarms are forecast-over alerts in periods that did not exceed
	// their capacity.
	FalseAlarms           int     `json:"false_alarms"`
	MedianLeadTimeSeconds float64 `json:"median_lead_time_seconds"`
	// ForecastUnder counts the forecast-under alerts.
	ForecastUnder int `json:"forecast_under"`
}

// BacktestResult is every alert a replay raised, and its summary.
type BacktestResult struct {
	Method  string   `json:"method"`
	Alerts  []Alert  `json:"alerts"`
	Summary Summary  `json:"summary"`
	Notes   []string `json:"notes,omitempty"`
}

// Backtest replays a usage series against a budget's limits and period,
// evaluating after every sample as the live evaluator would, with the
// series' earlier periods as history.
func Backtest(series []Sample, p Period, lim Limits, method string, o ForecastOptions) BacktestResult {
	res := BacktestResult{Method: method}
	step := Step(series)
	total := int(p.Length() / step)
	type period struct {
		start    time.Time
		buckets  []float64
		exceedAt time.Time
		alerts   []int // indexes into res.Alerts of forecast-over alerts
	}
	var periods []*period
	al := NewAlerter(lim)
	for _, s := range series {
		// A sample counts in the period its interval started in.
		start := p.Start(s.At.Add(-step))
		if len(periods) == 0 || !periods[len(periods)-1].start.Equal(start) {
			periods = append(periods, &period{start: start})
		}
		pd := periods[len(periods)-1]
		idx := int(s.At.Add(-step).Sub(start) / step)
		for len(pd.buckets) < idx {
			pd.buckets = append(pd.buckets, 0) // a gap in the series
		}
		pd.buckets = append(pd.buckets, s.Value)
		var hist [][]float64
		for _, h := range periods[:len(periods)-1] {
			if len(h.buckets) >= total*9/10 {
				hist = append(hist, h.buckets)
			}
		}
		f := Predict(method, pd.buckets, total, hist, o)
		if f.Usage >= lim.Capacity && pd.exceedAt.IsZero() {
			pd.exceedAt = s.At
		}
		for _, a := range al.Observe(s.At, start, f) {
			if a.State == StateForecastOver {
				pd.alerts = append(pd.alerts, len(res.Alerts))
			}
			res.Alerts = append(res.Alerts, a)
		}
	}
	if len(series) > 0 && len(periods) > 0 {
		if first := series[0].At.Add(-step); first.After(periods[0].start) {
			res.Notes = append(res.Notes, fmt.Sprintf("the first period (from %s) starts %s before the series: its usage before the first row counts as zero",
				periods[0].start.Format(time.RFC3339), first.Sub(periods[0].start)))
		}
	}
	var leads []float64
	for i, pd := range periods {
		if len(pd.buckets) < total*9/10 && i == len(periods)-1 {
			res.Notes = append(res.Notes, fmt.Sprintf("the last period (from %s) is incomplete", pd.start.Format(time.RFC3339)))
		}
		res.Summary.Periods++
		if pd.exceedAt.IsZero() {
			res.Summary.FalseAlarms += len(pd.alerts)
			continue
		}
		res.Summary.Exceeded++
		if len(pd.alerts) == 0 {
			res.Summary.Missed++
			continue
		}
		first := &res.Alerts[pd.alerts[0]]
		first.LeadTimeSeconds = pd.exceedAt.Sub(first.At).Seconds()
		res.Summary.CaughtInAdvance++
		leads = append(leads, first.LeadTimeSeconds)
	}
	for _, a := range res.Alerts {
		if a.State == StateForecastUnder {
			res.Summary.ForecastUnder++
		}
	}
	if len(leads) > 0 {
		slices.Sort(leads)
		res.Summary.MedianLeadTimeSeconds = quantile(leads, 0.5)
	}
	if res.Alerts == nil {
		res.Alerts = []Alert{}
	}
	return res
}

// Step is the series' most common step: the length of its buckets.
func Step(s []Sample) time.Duration {
	counts := map[time.Duration]int{}
	best, n := time.Minute, 0
	for i := 1; i < len(s); i++ {
		d := s[i].At.Sub(s[i-1].At)
		if d <= 0 {
			continue
		}
		counts[d]++
		if counts[d] > n {
			best, n = d, counts[d]
		}
	}
	return best
}
