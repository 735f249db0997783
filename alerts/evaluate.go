package alerts

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/logmart/logmart/store"
)

// Sample is one group's reading in one evaluation.
type Sample struct {
	// Group is the group's key: its labels as k=v joined by commas, sorted;
	// "" for a monitor without groups.
	Group  string
	Labels map[string]string
	// Value is the reduced value (or the row count for expect: empty and
	// no_data); Holds whether the condition holds for the group.
	Value float64
	Holds bool
}

// Evaluation is what one evaluation of a monitor found.
type Evaluation struct {
	Monitor  string
	Tick     time.Time // the tick it belongs to: the window's end
	From, To time.Time
	// Err is a query that failed: the monitor's error state.
	Err     error
	Samples []Sample
	// Rows is how many rows the query returned.
	Rows int
	// Elapsed is how long the evaluation took.
	Elapsed time.Duration
}

// evaluate runs m's query over the window ending at tick and reads each
// group's value and whether the condition holds.
func evaluate(ctx context.Context, tpl Templates, m *Monitor, tick time.Time) Evaluation {
	start := time.Now()
	ev := Evaluation{Monitor: m.ID, Tick: tick, From: tick.Add(-m.Range.D()), To: tick}
	q := Query{Monitor: m.ID, Template: m.Template.ID, Version: m.Template.Version, Params: m.Params, From: ev.From, To: ev.To}
	res, err := tpl.Run(ctx, q)
	if err != nil {
		ev.Err = err
		ev.Elapsed = time.Since(start)
		return ev
	}
	ev.Rows = len(res.Rows)
	c := m.Condition
	switch {
	case c.NoData:
		ev.Samples = []Sample{{Value: float64(len(res.Rows)), Holds: len(res.Rows) == 0}}
	case c.Expect != "":
		ev.Samples = expectEmpty(m, res)
	default:
		cur, err := reduce(m, res)
		if err != nil {
			ev.Err = err
			break
		}
		var prev map[string]Sample
		if c.Change != nil {
			back := c.Change.Against.D()
			q.From, q.To = ev.From.Add(-back), ev.To.Add(-back)
			pres, err := tpl.Run(ctx, q)
			if err != nil {
				ev.Err = fmt.Errorf("the comparison window %s earlier: %w", c.Change.Against, err)
				break
			}
			if prev, err = reduce(m, pres); err != nil {
				ev.Err = err
				break
			}
		}
		for key, s := range cur {
			s.Holds = holds(c, s.Value, prev, key)
			ev.Samples = append(ev.Samples, s)
		}
		sort.Slice(ev.Samples, func(i, j int) bool { return ev.Samples[i].Group < ev.Samples[j].Group })
	}
	ev.Elapsed = time.Since(start)
	return ev
}

func holds(c Condition, v float64, prev map[string]Sample, key string) bool {
	switch {
	case c.Change != nil:
		p, ok := prev[key]
		if !ok || p.Value == 0 {
			// No earlier value to compare with: a new group is not a change.
			return false
		}
		pct := (v - p.Value) / math.Abs(p.Value) * 100
		if c.Change.AbovePct != nil {
			return pct > *c.Change.AbovePct
		}
		return -pct > *c.Change.BelowPct
	case c.Above != nil && c.Below != nil:
		return v > *c.Above && v < *c.Below
	case c.Above != nil:
		return v > *c.Above
	case c.Below != nil:
		return v < *c.Below
	}
	return false
}

// columnIndex maps a result's column names to their positions.
func columnIndex(res *store.Result) map[string]int {
	idx := make(map[string]int, len(res.Columns))
	for i, c := range res.Columns {
		idx[c.Name] = i
	}
	return idx
}

// groupOf reads a row's group: its group_by cells, or every cell when
// all is set and the monitor has no group_by.
func groupOf(m *Monitor, res *store.Result, idx map[string]int, row []any, all bool) (string, map[string]string) {
	cols := m.GroupBy
	if len(cols) == 0 && all {
		cols = make([]string, len(res.Columns))
		for i, c := range res.Columns {
			cols[i] = c.Name
		}
	}
	if len(cols) == 0 {
		return "", nil
	}
	labels := make(map[string]string, len(cols))
	for _, c := range cols {
		if i, ok := idx[c]; ok && i < len(row) {
			labels[c] = store.CellString(row[i])
		}
	}
	return GroupKey(labels), labels
}

// GroupKey is the key of a group's labels: k=v pairs, sorted, joined by
// commas, values quoted when they hold a comma, a quote or an equals sign.
func GroupKey(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		v := labels[k]
		if strings.ContainsAny(v, `,="`) {
			v = strconv.Quote(v)
		}
		parts[i] = k + "=" + v
	}
	return strings.Join(parts, ",")
}

func expectEmpty(m *Monitor, res *store.Result) []Sample {
	idx := columnIndex(res)
	byKey := map[string]*Sample{}
	var order []string
	for _, row := range res.Rows {
		key, labels := groupOf(m, res, idx, row, true)
		s := byKey[key]
		if s == nil {
			s = &Sample{Group: key, Labels: labels, Holds: true}
			byKey[key] = s
			order = append(order, key)
		}
		s.Value++
	}
	sort.Strings(order)
	out := make([]Sample, len(order))
	for i, k := range order {
		out[i] = *byKey[k]
	}
	return out
}

// reduce folds each group's rows into one value by the condition's reduce.
func reduce(m *Monitor, res *store.Result) (map[string]Sample, error) {
	idx := columnIndex(res)
	col, ok := idx[m.Condition.Column]
	if !ok {
		return nil, fmt.Errorf("the query returned no column %q (it returns %d columns); the template changed under the monitor", m.Condition.Column, len(res.Columns))
	}
	type acc struct {
		s        Sample
		n        int
		sum      float64
		min, max float64
		last     float64
	}
	byKey := map[string]*acc{}
	for _, row := range res.Rows {
		if col >= len(row) || row[col] == nil {
			continue
		}
		v, err := cellFloat(row[col])
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", m.Condition.Column, err)
		}
		key, labels := groupOf(m, res, idx, row, false)
		a := byKey[key]
		if a == nil {
			a = &acc{s: Sample{Group: key, Labels: labels}, min: v, max: v}
			byKey[key] = a
		}
		a.n++
		a.sum += v
		a.min, a.max, a.last = math.Min(a.min, v), math.Max(a.max, v), v
	}
	out := make(map[string]Sample, len(byKey))
	for k, a := range byKey {
		switch m.Condition.Reduce {
		case "min":
			a.s.Value = a.min
		case "sum":
			a.s.Value = a.sum
		case "avg":
			a.s.Value = a.sum / float64(a.n)
		case "last":
			a.s.Value = a.last
		default:
			a.s.Value = a.max
		}
		out[k] = a.s
	}
	return out, nil
}

func cellFloat(v any) (float64, error) {
	switch x := v.(type) {
	case json.Number:
		return x.Float64()
	case float64:
		return x, nil
	case int64:
		return float64(x), nil
	case uint64:
		return float64(x), nil
	case string:
		f, err := strconv.ParseFloat(x, 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a number", clip(x))
		}
		return f, nil
	}
	return 0, fmt.Errorf("%v is not a number", v)
}
