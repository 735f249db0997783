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
	Scope       string    `json:"scope"`
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
	// Overlaps are the other budgets that records this one counted also
	// counted toward (the strictest action of the exceeded ones wins), as
	// this replica has seen them.
	Overlaps []string `json:"overlaps"`
	// Alerts are the states this period's alerts reached so far
	// (budget_transitions), in the order first reached.
	Alerts []string `json:"alerts"`
	// History is the earlier periods with recorded usage, newest first:
	// up to the 28 the forecast learns from.
	History []PeriodSummary `json:"history"`
}

// PeriodSummary is one earlier period of a budget: its usage by outcome,
// whether it exceeded its capacity, and the states its alerts reached.
type PeriodSummary struct {
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	Usage       float64   `json:"usage"`
	Dropped     float64   `json:"dropped"`
	ArchiveOnly float64   `json:"archive_only"`
	Exceeded    bool      `json:"exceeded"`
	Alerts      []string  `json:"alerts"`
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
		s := Status{ID: b.ID, Description: b.Description, Scope: b.Scope, Owner: b.Owner, Overlaps: []string{}, Action: b.Action, Period: b.Period,
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
		// Buckets per period, keyed by the period's start, and what was
		// kept out of each (dropped, archive-only).
		periods := map[time.Time][]float64{}
		kept := map[time.Time]*[2]float64{}
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
			k := kept[ps]
			if k == nil {
				k = &[2]float64{}
				kept[ps] = k
			}
			switch store.CellString(r[1]) {
			case OutcomeDropped:
				k[0] += v
			case OutcomeArchiveOnly:
				k[1] += v
			}
		}
		if k := kept[start]; k != nil {
			s.Dropped, s.ArchiveOnly = k[0], k[1]
		}
		alerts, err := alertsByPeriod(ctx, st, b.ID, from)
		if err != nil {
			return nil, err
		}
		s.Alerts = nonNil(alerts[start.Unix()])
		n := int(now.Sub(start)/step) + 1
		cur := periods[start]
		if len(cur) < total {
			cur = append(cur, make([]float64, total-len(cur))...)
		}
		var hist [][]float64
		s.History = []PeriodSummary{}
		for ps := p.Start(start.Add(-time.Duration(o.MaxHistory) * p.Length())); ps.Before(start); ps = p.End(ps) {
			h, ok := periods[ps]
			if !ok {
				continue
			}
			hist = append(hist, h)
			past := PeriodSummary{Start: ps.UTC(), End: p.End(ps).UTC(), Usage: sum(h), Alerts: nonNil(alerts[ps.Unix()])}
			if k := kept[ps]; k != nil {
				past.Dropped, past.ArchiveOnly = k[0], k[1]
			}
			past.Exceeded = past.Usage >= s.Capacity
			s.History = append([]PeriodSummary{past}, s.History...)
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

// alertsByPeriod reads the states budget id's alerts reached in each
// period since from (keyed by the period's start, unix seconds), each
// state once, in the order first reached.
func alertsByPeriod(ctx context.Context, st store.Store, id string, from time.Time) (map[int64][]string, error) {
	res, err := st.Query(ctx, store.Query{SQL: `SELECT toUnixTimestamp(period_start), arrayMap(x -> x.2, arraySort(groupArray((at, state)))) FROM (
  SELECT period_start, state, min(at) AS at FROM budget_transitions FINAL
  WHERE budget = {b:String} AND period_start >= toDateTime({from:Int64}) GROUP BY period_start, state)
GROUP BY period_start`, Params: map[string]string{"b": id, "from": strconv.FormatInt(from.Unix(), 10)}})
	if err != nil {
		return nil, fmt.Errorf("cannot read the alerts of budget %s: %w", id, err)
	}
	out := map[int64][]string{}
	for _, r := range res.Rows {
		var states []string
		if l, ok := r[1].([]any); ok {
			for _, x := range l {
				states = append(states, store.CellString(x))
			}
		}
		out[store.CellUnix(r[0]).Unix()] = states
	}
	return out, nil
}

// nonNil is l, or an empty list for JSON.
func nonNil(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}
