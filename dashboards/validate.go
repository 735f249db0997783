package dashboards

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// MaxUIDLen bounds a dashboard uid.
const MaxUIDLen = 40

var (
	uidRe     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)
	varNameRe = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,63}$`)
	rowIDRe   = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	// varRefRe is a binding that names a variable.
	varRefRe = regexp.MustCompile(`^\$([a-z_][a-z0-9_]*)$`)
)

var variableKinds = []string{KindQuery, KindCustom, KindInterval, KindConstant, KindText}

// Default time range and visualization, filled in by Normalize.
const (
	DefaultFrom          = "now-1h"
	DefaultTo            = "now"
	DefaultVisualization = "table"
)

// Normalize fills in defaults, so that a dashboard written with them and
// one written without have one canonical form: the time range, the
// visualization type, stacking none, sorted tags.
func Normalize(d *Dashboard) {
	if d.Time.From == "" {
		d.Time.From = DefaultFrom
	}
	if d.Time.To == "" {
		d.Time.To = DefaultTo
	}
	if d.Refresh == "off" {
		d.Refresh = ""
	}
	if len(d.Tags) == 0 {
		d.Tags = nil
	} else {
		sort.Strings(d.Tags)
		d.Tags = slices.Compact(d.Tags)
	}
	if d.Panels == nil {
		d.Panels = []Panel{}
	}
	for i := range d.Panels {
		p := &d.Panels[i]
		if p.Visualization.Type == "" {
			p.Visualization.Type = DefaultVisualization
		}
		if p.Visualization.Options.Stacking == "none" {
			p.Visualization.Options.Stacking = ""
		}
		if len(p.Params) == 0 {
			p.Params = nil
		}
	}
	for i := range d.Variables {
		if len(d.Variables[i].Default) == 0 {
			d.Variables[i].Default = nil
		}
	}
}

// Binding is a panel parameter's binding resolved: a variable's name, or a
// literal value.
type Binding struct {
	Var     string
	Literal any
}

// ParseBinding reads one binding: "$name" names a variable, "$$…" is a
// literal starting with "$", anything else is a literal.
func ParseBinding(v any) Binding {
	if s, ok := v.(string); ok {
		if m := varRefRe.FindStringSubmatch(s); m != nil {
			return Binding{Var: m[1]}
		}
		if strings.HasPrefix(s, "$$") {
			return Binding{Literal: s[1:]}
		}
	}
	return Binding{Literal: v}
}

// Validate checks d on its own (no templates, no other dashboards): every
// field's form, variables defined and used, rows, links and the grid (no
// two panels overlap). Problems name the field path and the panel; the
// caller adds file and line. d must be normalized.
func Validate(d *Dashboard) []*Problem {
	var out []*Problem
	add := func(panel, field, format string, args ...any) {
		out = append(out, &Problem{Panel: panel, Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	switch {
	case d.UID == "":
		add("", "uid", "is required")
	case len(d.UID) > MaxUIDLen:
		add("", "uid", "%q is %d characters; a uid is at most %d", d.UID, len(d.UID), MaxUIDLen)
	case !uidRe.MatchString(d.UID):
		add("", "uid", "%q may hold only letters, digits, _ and -, and starts with a letter or digit", d.UID)
	}
	if strings.TrimSpace(d.Title) == "" {
		add("", "title", "is required")
	}
	if d.Playbook != "" {
		if err := checkURL(d.Playbook); err != nil {
			add("", "playbook", "%v", err)
		}
	}
	if d.Refresh != "" {
		if r, err := time.ParseDuration(d.Refresh); err != nil || r < 5*time.Second {
			add("", "refresh", "%q is not a period of at least 5s (30s, 1m, 5m) or off", d.Refresh)
		}
	}

	vars := map[string]*Variable{}
	for i := range d.Variables {
		v := &d.Variables[i]
		f := fmt.Sprintf("variables[%d]", i)
		if !varNameRe.MatchString(v.Name) {
			add("", f+".name", "%q is not a variable name (lowercase letters, digits and _)", v.Name)
		} else if vars[v.Name] != nil {
			add("", f+".name", "variable %q is defined twice", v.Name)
		} else {
			vars[v.Name] = v
		}
		out = append(out, validateVariable(v, f)...)
	}

	rows := map[string]bool{}
	for i, r := range d.Rows {
		f := fmt.Sprintf("rows[%d]", i)
		switch {
		case !rowIDRe.MatchString(r.ID):
			add("", f+".id", "%q is not a row id (lowercase letters, digits, _ and -)", r.ID)
		case rows[r.ID]:
			add("", f+".id", "row %q is defined twice", r.ID)
		}
		rows[r.ID] = true
		if strings.TrimSpace(r.Title) == "" {
			add("", f+".title", "is required")
		}
	}

	used := map[string]bool{}
	for i := range d.Panels {
		p := &d.Panels[i]
		f := fmt.Sprintf("panels[%d]", i)
		name := p.Title
		if strings.TrimSpace(p.Title) == "" {
			add("", f+".title", "is required")
			name = fmt.Sprintf("#%d", i+1)
		}
		if p.Template.ID == "" {
			add(name, f+".template.id", "is required: the template the panel runs")
		}
		if p.Template.Version == 0 {
			add(name, f+".template.version", "is required: the template version the panel runs (1, 2, …), so the dashboard shows the same query wherever it goes")
		}
		names := make([]string, 0, len(p.Params))
		for k := range p.Params {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			pf := f + ".params." + k
			if !varNameRe.MatchString(k) {
				add(name, pf, "%q is not a parameter name", k)
			}
			if err := checkLiteralShape(p.Params[k]); err != nil {
				add(name, pf, "%v", err)
				continue
			}
			if b := ParseBinding(p.Params[k]); b.Var != "" {
				if vars[b.Var] == nil {
					add(name, pf, "binds $%s, which is not a variable of this dashboard (%s)", b.Var, varNames(d))
				}
				used[b.Var] = true
			}
		}
		if !slices.Contains(VisualizationTypes, p.Visualization.Type) {
			add(name, f+".visualization.type", "%q is not one of %s", p.Visualization.Type, strings.Join(VisualizationTypes, ", "))
		}
		out = append(out, validateOptions(name, f+".visualization.options", p.Visualization.Options)...)
		g := p.Grid
		switch {
		case g.W < 1 || g.W > GridColumns:
			add(name, f+".grid.w", "%d: a width is 1 to %d columns", g.W, GridColumns)
		case g.X < 0 || g.X+g.W > GridColumns:
			add(name, f+".grid.x", "%d: x + w (%d) must be within the %d columns", g.X, g.X+g.W, GridColumns)
		}
		if g.H < 1 || g.H > 100 {
			add(name, f+".grid.h", "%d: a height is 1 to 100 rows", g.H)
		}
		if g.Y < 0 {
			add(name, f+".grid.y", "%d: y starts at 0", g.Y)
		}
		if p.Expect != "" && p.Expect != ExpectEmpty {
			add(name, f+".expect", "%q: the one expectation is %q (healthy when the query returns no rows)", p.Expect, ExpectEmpty)
		}
		if p.Row != "" && !rows[p.Row] {
			add(name, f+".row", "%q is not a row of this dashboard", p.Row)
		}
		for j, l := range p.Links {
			lf := fmt.Sprintf("%s.links[%d]", f, j)
			n := 0
			for _, set := range []bool{l.Dashboard != "", l.URL != "", l.Explore} {
				if set {
					n++
				}
			}
			if n != 1 {
				add(name, lf, "a link names exactly one of dashboard (a uid), url, or explore: true")
			}
			if l.URL != "" {
				if err := checkURL(l.URL); err != nil {
					add(name, lf+".url", "%v", err)
				}
			}
			if l.Dashboard != "" && (len(l.Dashboard) > MaxUIDLen || !uidRe.MatchString(l.Dashboard)) {
				add(name, lf+".dashboard", "%q is not a dashboard uid", l.Dashboard)
			}
		}
	}
	for i, v := range d.Variables {
		if v.Name != "" && vars[v.Name] == &d.Variables[i] && !used[v.Name] {
			add("", fmt.Sprintf("variables[%d]", i), "variable %q is not used by any panel; bind it or remove it", v.Name)
		}
	}
	out = append(out, overlaps(d)...)
	return out
}

func validateVariable(v *Variable, f string) []*Problem {
	var out []*Problem
	add := func(field, format string, args ...any) {
		out = append(out, &Problem{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if !slices.Contains(variableKinds, v.Kind) {
		add(f+".kind", "%q is not one of %s", v.Kind, strings.Join(variableKinds, ", "))
		return out
	}
	if (v.Multi || v.IncludeAll) && v.Kind != KindQuery && v.Kind != KindCustom {
		add(f, "multi and include_all are for query and custom variables, not %s", v.Kind)
	}
	if len(v.Default) > 1 && !v.Multi {
		add(f+".default", "holds %d values; only a multi variable takes several", len(v.Default))
	}
	if slices.Contains(v.Default, AllValue) && !v.IncludeAll {
		add(f+".default", "%s needs include_all: true", AllValue)
	}
	if v.Kind == KindQuery {
		if v.Template == nil || v.Template.ID == "" || v.Template.Version == 0 {
			add(f+".template", "a query variable names the template (id and version) whose enum parameter lists its values")
		}
		if v.Param == "" {
			add(f+".param", "a query variable names the template's enum parameter whose values it offers")
		}
	} else {
		if v.Template != nil {
			add(f+".template", "only a query variable takes a template")
		}
		if v.Param != "" {
			add(f+".param", "only a query variable takes a param")
		}
	}
	switch v.Kind {
	case KindCustom, KindInterval:
		if len(v.Values) == 0 {
			add(f+".values", "a %s variable lists its values", v.Kind)
		}
		seen := map[string]bool{}
		for i, x := range v.Values {
			if seen[x] {
				add(fmt.Sprintf("%s.values[%d]", f, i), "%q is listed twice", x)
			}
			seen[x] = true
			if v.Kind == KindInterval {
				if d, err := time.ParseDuration(x); err != nil || d <= 0 {
					add(fmt.Sprintf("%s.values[%d]", f, i), "%q is not a duration (10s, 1m, 1h)", x)
				}
			}
		}
		if len(v.Default) == 0 {
			add(f+".default", "is required: one of the values")
		}
		for _, x := range v.Default {
			if x != AllValue && !seen[x] {
				add(f+".default", "%q is not one of the values (%s)", x, strings.Join(v.Values, ", "))
			}
		}
	case KindConstant:
		if len(v.Default) == 0 {
			add(f+".default", "is required: a constant's value")
		}
		if len(v.Values) > 0 {
			add(f+".values", "a constant has a default, not values")
		}
	case KindText, KindQuery:
		if len(v.Values) > 0 {
			add(f+".values", "a %s variable takes no values list", v.Kind)
		}
	}
	return out
}

func validateOptions(panel, f string, o VisOptions) []*Problem {
	var out []*Problem
	add := func(field, format string, args ...any) {
		out = append(out, &Problem{Panel: panel, Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	switch o.Stacking {
	case "", "normal", "percent":
	default:
		add(f+".stacking", "%q is not one of none, normal, percent", o.Stacking)
	}
	if o.Legend != nil {
		switch o.Legend.Placement {
		case "bottom", "right", "hidden":
		default:
			add(f+".legend.placement", "%q is not one of bottom, right, hidden", o.Legend.Placement)
		}
	}
	if o.Decimals != nil && (*o.Decimals < 0 || *o.Decimals > 10) {
		add(f+".decimals", "%d: decimals are 0 to 10", *o.Decimals)
	}
	if o.Min != nil && o.Max != nil && *o.Min >= *o.Max {
		add(f+".min", "%g must be below max (%g)", *o.Min, *o.Max)
	}
	for i, t := range o.Thresholds {
		if i > 0 && t.Value <= o.Thresholds[i-1].Value {
			add(fmt.Sprintf("%s.thresholds[%d].value", f, i), "%g: thresholds go in ascending order", t.Value)
		}
		if !colorRe.MatchString(t.Color) {
			add(fmt.Sprintf("%s.thresholds[%d].color", f, i), "%q is not a color (a name such as red, or #rrggbb)", t.Color)
		}
	}
	for k, c := range o.Colors {
		if !colorRe.MatchString(c) {
			add(f+".colors."+k, "%q is not a color (a name such as red, or #rrggbb)", c)
		}
	}
	return out
}

var colorRe = regexp.MustCompile(`^(#[0-9a-fA-F]{6}|#[0-9a-fA-F]{3}|[a-z][a-z-]{1,30})$`)

// checkLiteralShape: a binding is a scalar or a list of scalars.
func checkLiteralShape(v any) error {
	switch x := v.(type) {
	case nil:
		return fmt.Errorf("is empty; bind a $variable or a value, or leave the parameter out")
	case string, bool, int, int64, uint64, float64:
		return nil
	case []any:
		for _, e := range x {
			switch e.(type) {
			case string, int, int64, uint64, float64, bool:
			default:
				return fmt.Errorf("a list binding holds only values")
			}
		}
		return nil
	}
	return fmt.Errorf("a binding is a $variable, a value or a list of values, not a mapping")
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", s)
	}
	return nil
}

func varNames(d *Dashboard) string {
	if len(d.Variables) == 0 {
		return "it has none"
	}
	var n []string
	for _, v := range d.Variables {
		n = append(n, "$"+v.Name)
	}
	return "it has " + strings.Join(n, ", ")
}

// overlaps reports each panel that shares a grid cell with an earlier one.
func overlaps(d *Dashboard) []*Problem {
	var out []*Problem
	for i := range d.Panels {
		a := d.Panels[i].Grid
		for j := range i {
			b := d.Panels[j].Grid
			if a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H {
				out = append(out, &Problem{Panel: d.Panels[i].Title, Field: "panels[" + strconv.Itoa(i) + "].grid",
					Msg: fmt.Sprintf("overlaps panel %q (x %d..%d, y %d..%d)", d.Panels[j].Title, b.X, b.X+b.W-1, b.Y, b.Y+b.H-1)})
				break
			}
		}
	}
	return out
}

func sortRefs(rs []TemplateRef) {
	sort.Slice(rs, func(i, j int) bool {
		if rs[i].ID != rs[j].ID {
			return rs[i].ID < rs[j].ID
		}
		return rs[i].Version < rs[j].Version
	})
}
