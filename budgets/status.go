package budgets

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/logmart/logmart/store"
)

// Status is a budget's current period as GET /api/v1/budgets shows it:
// usage so far, the forecast of its end with the interval, and the state
// that judgment gives now.
type Status struct {
	ID          string    `json:"id"`
	Description string    `json:"description,omitempty"`
	Owner       string    `json:"owner"`
	Action      string    `json:"action"`
	Period      string    `json:"period"`
	PeriodStart time.Time `json:"period_start"`
	PeriodEnd   time.Time `json:"period_end"`
	// Unit is bytes or events; Capacity, LowerBound and the usage are in
	// it.
	Unit        string    `json:"unit"`
	Capacity    float64   `json:"capacity"`
	LowerBound  float64   `json:"lower_bound,omitempty"`
	Thresholds  []float64 `json:"thresholds,omitempty"`
	Usage       float64   `json:"usage"`
	Dropped     float64   `json:"dropped"`
	ArchiveOnly float64   `json:"archive_only"`
	Forecast    Forecast  `json:"forecast"`
	State       string    `json:"state"`
	Dashboard   string    `json:"dashboard,omitempty"`
	Playbook    string    `json:"playbook,omitempty"`
	// ResetAt is a manual reset within the period, usage counting from
	// it.
	ResetAt *time.Time `json:"reset_at,omitempty"`
	// Hash and Source are the definition's, as promotion compares them:
	// the SHA-256 of its canonical YAML, and file or api.
	Hash   string `json:"hash,omitempty"`
	Source string `json:"source,omitempty"`
}

// bucketOf is the forecast's bucket for a period: five minutes for a day,
// a minute for an hour or a minute.
func bucketOf(p Period) time.Duration {
	if p.Kind == PeriodDaily {
		return 5 * time.Minute
	}
	return time.Minute
}

// StatusAt reads every budget's usage of its current period at now, and
// of up to 28 earlier periods, from budget_usage, and judges it.
func StatusAt(ctx context.Context, st store.Store, bs []*Budget, now time.Time) ([]Status, error) {
	out := make([]Status, 0, len(bs))
	resets, err := lastResets(ctx, st, now.Add(-24*time.Hour))
	if err != nil {
		return nil, err
	}
	for _, b := range bs {
		capa, _ := ParseAmount(b.Capacity)
		p, err := ParsePeriod(b.Period, b.Reset, b.Timezone)
		if err != nil {
			return nil, fmt.Errorf("budget %s: %w", b.ID, err)
		}
		o := OptionsFor(p, bucketOf(p))
		start := p.Start(now)
		s := Status{ID: b.ID, Description: b.Description, Owner: b.Owner, Action: b.Action, Period: b.Period,
			PeriodStart: start.UTC(), PeriodEnd: p.End(start).UTC(), Unit: "bytes", Capacity: capa.Value, Thresholds: b.Thresholds,
			Dashboard: b.Dashboard, Playbook: b.Playbook}
		if capa.Events {
			s.Unit = "events"
		}
		if b.LowerBound != "" {
			lb, _ := ParseAmount(b.LowerBound)
			s.LowerBound = lb.Value
		}
		step := bucketOf(p)
		from := start.Add(-time.Duration(o.MaxHistory) * p.Length())
		col := "bytes"
		if capa.Events {
			col = "events"
		}
		res, err := st.Query(ctx, store.Query{SQL: `SELECT toUnixTimestamp(minute), outcome, sum(` + col + `)
FROM budget_usage WHERE budget = {b:String} AND minute >= toDateTime({from:Int64}) AND minute < toDateTime({to:Int64})
GROUP BY minute, outcome`, Params: map[string]string{"b": b.ID, "from": strconv.FormatInt(from.Unix(), 10), "to": strconv.FormatInt(now.Unix()+60, 10)}})
		if err != nil {
			return nil, fmt.Errorf("cannot read the usage of budget %s: %w", b.ID, err)
		}
		// Buckets per period, keyed by the period's start.
		periods := map[time.Time][]float64{}
		total := int(p.Length() / step)
		counted := countsFrom(start, resets, b.ID)
		if counted.After(start) {
			s.ResetAt = &counted
		}
		for _, r := range res.Rows {
			at := store.CellUnix(r[0])
			if !at.Before(start) && at.Before(counted) {
				continue // before a manual reset in this period
			}
			v := mustFloat(r[2])
			ps := p.Start(at)
			i := int(at.Sub(ps) / step)
			if i >= total {
				i = total - 1
			}
			buckets := periods[ps]
			if len(buckets) < total {
				buckets = append(buckets, make([]float64, total-len(buckets))...)
			}
			buckets[i] += v
			periods[ps] = buckets
			if ps.Equal(start) {
				switch store.CellString(r[1]) {
				case OutcomeDropped:
					s.Dropped += v
				case OutcomeArchiveOnly:
					s.ArchiveOnly += v
				}
			}
		}
		n := int(now.Sub(start)/step) + 1
		cur := periods[start]
		if len(cur) < total {
			cur = append(cur, make([]float64, total-len(cur))...)
		}
		var hist [][]float64
		for ps := p.Start(start.Add(-time.Duration(o.MaxHistory) * p.Length())); ps.Before(start); ps = p.End(ps) {
			if h, ok := periods[ps]; ok {
				hist = append(hist, h)
			}
		}
		method := b.Forecast.Method
		if method == "" {
			method = MethodForecast
		}
		fo := o
		if b.Forecast.Confidence > 0 {
			fo.Confidence = b.Forecast.Confidence
		}
		s.Forecast = Predict(method, cur[:min(n, total)], total, hist, fo)
		s.Usage = s.Forecast.Usage
		s.State = judge(s)
		out = append(out, s)
	}
	return out, nil
}

// judge is the state the current forecast gives, most urgent first.
func judge(s Status) string {
	switch {
	case s.Capacity > 0 && s.Usage >= s.Capacity:
		return StateExceeded
	case s.Forecast.Ready && s.Forecast.Lower > s.Capacity:
		return StateForecastOver
	}
	for _, t := range s.Thresholds {
		if t < 1 && s.Usage >= t*s.Capacity {
			return StateThreshold
		}
	}
	if s.LowerBound > 0 && s.Forecast.Ready && s.Forecast.Upper < s.LowerBound {
		return StateForecastUnder
	}
	return StateOK
}

func mustFloat(v any) float64 {
	f, _ := strconv.ParseFloat(store.CellString(v), 64)
	return f
}
