package dashboards

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/logmart/logmart/fault"
)

// Templates is what dashboards need of the query templates: describe a
// version, resolve a range, and check a panel's values, without and with
// the engine. cmd wires the query catalog in. Implementations are safe for
// concurrent use; their errors are fault-kinded (NotFound for a template or
// version the instance does not have, BadInput naming the parameter as
// `param "name": …` for a bad value).
type Templates interface {
	// Template describes one version.
	Template(ctx context.Context, id string, version uint32) (*Template, error)
	// ResolveRange turns a range in the query layer's grammar ("now-1h")
	// into an absolute one.
	ResolveRange(from, to string) (time.Time, time.Time, error)
	// Check validates values (types, bounds, constraints, enum values) as
	// a run would, without running anything.
	Check(ctx context.Context, id string, version uint32, values map[string]any, from, to time.Time) error
	// Explain checks values as Check does, then has the engine EXPLAIN the
	// statement they render against the live schema.
	Explain(ctx context.Context, id string, version uint32, values map[string]any, from, to time.Time) error
}

// Template is one template version as a dashboard sees it.
type Template struct {
	ID      string
	Version uint32
	// Hash fingerprints the version's SQL and parameters (ContentHash).
	Hash   string
	Params []Param
}

// Param is one template parameter.
type Param struct {
	Name string
	// Type is the query layer's type name: string, int, float, bool, enum,
	// duration, time, list(string), list(int).
	Type       string
	Required   bool
	HasDefault bool
}

func (t *Template) param(name string) *Param {
	for i := range t.Params {
		if t.Params[i].Name == name {
			return &t.Params[i]
		}
	}
	return nil
}

func (t *Template) paramNames() string {
	if len(t.Params) == 0 {
		return "it takes none"
	}
	n := make([]string, len(t.Params))
	for i, p := range t.Params {
		n[i] = p.Name
	}
	return "it takes " + strings.Join(n, ", ")
}

func isList(typ string) bool { return strings.HasPrefix(typ, "list(") }

// LintOptions configure Lint and Check.
type LintOptions struct {
	// Exists reports whether a dashboard outside the linted set exists
	// (links may point at it); nil knows none.
	Exists func(uid string) bool
	// Explain has the engine EXPLAIN each panel's query with the
	// variables' defaults.
	Explain bool
	// Environments, when not nil, makes a literal that names one of them
	// (its name as a word, or its URL's host) a problem.
	Environments *Environments
}

// File is one decoded dashboard file.
type File = ItemFile[*Dashboard]

// ReadDir decodes every dashboard file in dir (see ReadItems).
func ReadDir(dir string) ([]File, error) { return ReadItems(dashboardKind(nil, nil), dir) }

// Lint checks the dashboards in paths (files, or folders of *.yaml) as a
// whole: each file's schema, then each against the templates (Check) and
// the set (links). It returns how many dashboards it checked; the error
// lists every problem as file:line: panel "…": field: message.
func Lint(ctx context.Context, paths []string, tpl Templates, o LintOptions) (int, error) {
	return LintItems(ctx, dashboardKind(tpl, o.Environments), paths, o.Exists, o.Explain)
}

var paramErrRe = regexp.MustCompile(`^param "([^"]+)": `)

// Check checks a valid dashboard (Decode's) against the templates: each
// panel's template version exists, its bindings name its parameters,
// every required parameter is bound, each binding type-checks (variables'
// kinds, literals and every value a custom or interval variable offers),
// and, with o.Explain, the query EXPLAINs with the variables' defaults;
// links point at dashboards that exist. Problems carry file and line.
func Check(ctx context.Context, d *Dashboard, pos Positions, file string, tpl Templates, o LintOptions) []*Problem {
	var out []*Problem
	add := func(panel, field, format string, args ...any) {
		out = append(out, &Problem{File: file, Line: pos.Line(field), Panel: panel, Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	from, to, err := tpl.ResolveRange(d.Time.From, d.Time.To)
	if err != nil {
		add("", "time", "%v", err)
		return out
	}
	vars := map[string]*Variable{}
	for i := range d.Variables {
		v := &d.Variables[i]
		vars[v.Name] = v
		if v.Kind != KindQuery || v.Template == nil {
			continue
		}
		f := fmt.Sprintf("variables[%d]", i)
		t, err := tpl.Template(ctx, v.Template.ID, v.Template.Version)
		if err != nil {
			add("", f+".template", "%v", err)
			continue
		}
		if p := t.param(v.Param); p == nil {
			add("", f+".param", "template %s has no parameter %q (%s)", v.Template, v.Param, t.paramNames())
		} else if p.Type != "enum" {
			add("", f+".param", "parameter %q of template %s is a %s; a query variable offers an enum parameter's values", v.Param, v.Template, p.Type)
		}
	}
	for i := range d.Panels {
		p := &d.Panels[i]
		f := fmt.Sprintf("panels[%d]", i)
		t, err := tpl.Template(ctx, p.Template.ID, p.Template.Version)
		if err != nil {
			field := f + ".template.version"
			if fault.KindOf(err) == fault.NotFound && !strings.Contains(err.Error(), "version") {
				field = f + ".template.id"
			}
			add(p.Title, field, "%v", err)
			continue
		}
		bad := len(out)
		values := map[string]any{}
		var offered []string // variables whose every value is checked
		for _, name := range sortedKeys(p.Params) {
			pf := f + ".params." + name
			tp := t.param(name)
			if tp == nil {
				add(p.Title, pf, "template %s has no parameter %q (%s)", p.Template, name, t.paramNames())
				continue
			}
			b := ParseBinding(p.Params[name])
			if b.Var == "" {
				values[name] = b.Literal
				continue
			}
			v := vars[b.Var]
			if v == nil {
				continue // Validate reported it
			}
			switch {
			case v.Multi && !isList(tp.Type):
				add(p.Title, pf, "binds $%s, which may hold several values; parameter %q takes one %s", v.Name, name, tp.Type)
				continue
			case v.Kind == KindInterval && tp.Type != "duration" && tp.Type != "string":
				add(p.Title, pf, "binds $%s, an interval; parameter %q is a %s, not a duration", v.Name, name, tp.Type)
				continue
			case v.IncludeAll && tp.Required && !tp.HasDefault:
				add(p.Title, pf, "binds $%s, whose All option leaves the parameter unset; parameter %q is required", v.Name, name)
				continue
			}
			if val, ok := defaultValue(v, tp); ok {
				values[name] = val
			}
			if len(v.Values) > 0 {
				offered = append(offered, name)
			}
		}
		for _, tp := range t.Params {
			if tp.Required && !tp.HasDefault {
				if _, bound := p.Params[tp.Name]; !bound {
					add(p.Title, f+".params", "required parameter %q of template %s is not bound", tp.Name, p.Template)
				}
			}
		}
		if len(out) > bad {
			continue
		}
		checkErr := func(err error, via string) {
			field := f + ".params"
			msg := err.Error()
			if m := paramErrRe.FindStringSubmatch(msg); m != nil {
				field += "." + m[1]
				msg = strings.TrimPrefix(msg, m[0])
				if ParseBinding(p.Params[m[1]]).Var == "" {
					via = "" // a literal: no variable is involved
				}
			}
			add(p.Title, field, "%s%s", msg, via)
		}
		if err := tpl.Check(ctx, p.Template.ID, p.Template.Version, values, from, to); err != nil {
			checkErr(err, " (with the variables' defaults)")
			continue
		}
		for _, name := range offered {
			v := vars[ParseBinding(p.Params[name]).Var]
			tp := t.param(name)
			for _, x := range v.Values {
				vals := copyValues(values)
				vals[name] = one(x, tp)
				if err := tpl.Check(ctx, p.Template.ID, p.Template.Version, vals, from, to); err != nil {
					checkErr(err, fmt.Sprintf(" (when $%s is %q)", v.Name, x))
					break
				}
			}
		}
		if o.Explain {
			if err := tpl.Explain(ctx, p.Template.ID, p.Template.Version, values, from, to); err != nil {
				checkErr(err, "")
			}
		}
	}
	for _, p := range environmentProblems(d, o.Environments) {
		p.File, p.Line = file, pos.Line(p.Field)
		out = append(out, p)
	}
	for i, p := range d.Panels {
		for j, l := range p.Links {
			if l.Dashboard != "" && l.Dashboard != d.UID && (o.Exists == nil || !o.Exists(l.Dashboard)) {
				add(p.Title, fmt.Sprintf("panels[%d].links[%d].dashboard", i, j), "no dashboard has uid %q", l.Dashboard)
			}
		}
	}
	return out
}

// defaultValue is what a variable's default binds to a parameter; false
// leaves the parameter unset (All, or no default).
func defaultValue(v *Variable, tp *Param) (any, bool) {
	if len(v.Default) == 0 || slices.Contains(v.Default, AllValue) {
		return nil, false
	}
	if isList(tp.Type) {
		out := make([]any, len(v.Default))
		for i, x := range v.Default {
			out[i] = x
		}
		return out, true
	}
	return v.Default[0], true
}

func one(x string, tp *Param) any {
	if isList(tp.Type) {
		return []any{x}
	}
	return x
}

func copyValues(m map[string]any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
