package alerts

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/logmart/logmart/dashboards"
	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/store"
)

// Templates is what monitors need of the template engine; cmd wires the
// query catalog into it. Implementations are safe for concurrent use, and
// their errors are fault-kinded (NotFound for a template or version the
// instance lacks, BadInput naming the parameter as `param "name": …`).
type Templates interface {
	// Columns checks values as a run would, then has the engine describe
	// the statement's result: its columns, with no row read.
	Columns(ctx context.Context, q Query) ([]store.Column, error)
	// Run runs the query read-only, with a viewer's limits. Identical
	// queries in flight or in the cache share one run.
	Run(ctx context.Context, q Query) (*store.Result, error)
}

// Query is one run of a monitor's template over an absolute window.
type Query struct {
	Monitor  string
	Template string
	Version  uint32
	Params   map[string]any
	From, To time.Time
}

// Refs are what a monitor may name beyond its template: lint and the API
// check each reference exists.
type Refs struct {
	Templates Templates
	// Channel and Dashboard say whether a channel name or a dashboard uid
	// exists; nil knows all.
	Channel   func(name string) bool
	Dashboard func(uid string) bool
}

// Kind is the monitor content kind for a dashboards.Library and
// promotion, checked against refs (nil: only the model is checked).
func Kind(refs *Refs) dashboards.Kind[*Monitor] {
	k := dashboards.Kind[*Monitor]{
		Name: KindMonitor, Table: "monitors",
		Decode: Decode, UID: func(m *Monitor) string { return m.ID }, Canonical: Canonical,
	}
	if refs != nil {
		k.Check = func(ctx context.Context, m *Monitor, pos dashboards.Positions, file string, _ func(string) bool, _ bool) []*dashboards.Problem {
			return Check(ctx, m, pos, file, *refs)
		}
	}
	return k
}

// Library returns the monitors an instance serves: the files of dir and
// the ones written through the API (the monitors table).
func Library(dir string, st store.Store, refs *Refs, log *slog.Logger) *dashboards.Library[*Monitor] {
	return dashboards.NewLibrary(Kind(refs), dir, st, log)
}

// Lint checks the monitors in paths (files or folders) against refs.
func Lint(ctx context.Context, paths []string, refs Refs) (int, error) {
	return dashboards.LintItems(ctx, Kind(&refs), paths, nil, true)
}

var paramErrRe = regexp.MustCompile(`^param "([^"]+)": `)

// Check checks a valid monitor against the instance: the template version
// exists and its parameters take the values bound, the engine accepts the
// statement, the result has the columns the condition and group_by name,
// and the dashboard and channels exist.
func Check(ctx context.Context, m *Monitor, pos dashboards.Positions, file string, refs Refs) []*dashboards.Problem {
	var ps []*dashboards.Problem
	add := func(field, format string, args ...any) {
		ps = append(ps, &dashboards.Problem{File: file, Line: pos.Line(field), Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	for i, n := range m.Notify {
		if refs.Channel != nil && !refs.Channel(n) {
			add(fmt.Sprintf("notify[%d]", i), "no channel %q in alerts.channels", n)
		}
	}
	if m.Dashboard != nil && refs.Dashboard != nil && !refs.Dashboard(m.Dashboard.UID) {
		add("dashboard.uid", "no dashboard has uid %q", m.Dashboard.UID)
	}
	if refs.Templates == nil {
		return ps
	}
	to := time.Now().UTC().Truncate(time.Second)
	cols, err := refs.Templates.Columns(ctx, Query{Monitor: m.ID, Template: m.Template.ID, Version: m.Template.Version, Params: m.Params, From: to.Add(-m.Range.D()), To: to})
	if err != nil {
		msg := err.Error()
		switch {
		case fault.KindOf(err) == fault.NotFound:
			add("template", "%s", msg)
		case paramErrRe.MatchString(msg):
			name := paramErrRe.FindStringSubmatch(msg)[1]
			add("params."+name, "%s", strings.TrimPrefix(msg, paramErrRe.FindString(msg)))
		case fault.KindOf(err) == fault.BadInput:
			add("template", "%s", msg)
		default:
			add("template", "cannot check the query: %s", msg)
		}
		return ps
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	has := func(field, col string) {
		if col != "" && !slices.Contains(names, col) {
			add(field, "%q is not a column of %s v%d, which returns %s", col, m.Template.ID, m.Template.Version, strings.Join(names, ", "))
		}
	}
	has("condition.column", m.Condition.Column)
	for i, g := range m.GroupBy {
		has(fmt.Sprintf("group_by[%d]", i), g)
	}
	if m.Condition.Column != "" && slices.Contains(names, m.Condition.Column) {
		for _, c := range cols {
			if c.Name == m.Condition.Column && !numericType(c.Type) {
				add("condition.column", "%q is %s, not a number", c.Name, c.Type)
			}
		}
	}
	return ps
}

func numericType(t string) bool {
	t = strings.TrimPrefix(strings.TrimSuffix(strings.TrimPrefix(t, "Nullable("), ")"), "LowCardinality(")
	for _, p := range []string{"UInt", "Int", "Float", "Decimal"} {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	return false
}

// Dependencies reads what a monitor's body needs on the instance it is
// promoted to: its template version (dashboards.RegisterDependencies).
func Dependencies(body []byte) ([]dashboards.Dependency, error) {
	m, _, err := Decode(body, "")
	if err != nil {
		return nil, err
	}
	return []dashboards.Dependency{{Kind: dashboards.KindTemplate, ID: m.Template.ID, Version: m.Template.Version}}, nil
}
