package query

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// Spec is a query template as written in its YAML file under
// configs/templates/, and as kept (JSON) in query_templates for every
// version ever loaded.
type Spec struct {
	// ID names the template in the API, links and the audit: lowercase
	// letters, digits, _ . and -.
	ID string `yaml:"id" json:"id"`
	// Version is bumped whenever sql or params change; every version stays
	// runnable, because links pin one.
	Version int    `yaml:"version" json:"version"`
	Title   string `yaml:"title" json:"title"`
	// Description, Owner and Tags are for people browsing templates.
	Description string   `yaml:"description" json:"description,omitempty"`
	Owner       string   `yaml:"owner" json:"owner,omitempty"`
	Tags        []string `yaml:"tags" json:"tags,omitempty"`
	// Params are the typed parameters; from and to are implicit.
	Params []ParamSpec `yaml:"params" json:"params,omitempty"`
	// SQL is one read statement; see render.go for placeholders and
	// {{if .param}} blocks.
	SQL string `yaml:"sql" json:"sql"`
	// Visualization is the default view: timeseries, table, stat, bar or
	// logs. Default table.
	Visualization string `yaml:"visualization" json:"visualization"`
	// Chart names the columns a timeseries or bar draws (template_yaml.go);
	// nil infers them from the result.
	Chart *ChartSpec `yaml:"chart" json:"chart,omitempty"`
	// Archive marks a template that reads the archive in place
	// (archive_logs) rather than the tables: each run opens only the
	// archive's objects of the hours its range touches (archive.go).
	// Default false; only archive templates may read archive_logs.
	Archive bool `yaml:"archive" json:"archive,omitempty"`
}

// ParamSpec is one declared parameter.
type ParamSpec struct {
	Name string `yaml:"name" json:"name"`
	// Type is string, int, float, bool, enum, duration, time, list(string)
	// or list(int).
	Type     string `yaml:"type" json:"type"`
	Required bool   `yaml:"required" json:"required,omitempty"`
	// Default is used when the request leaves the parameter out; a
	// parameter with neither a value nor a default is unset, and only
	// {{if .name}} blocks may use it.
	Default     any    `yaml:"default" json:"default,omitempty"`
	Description string `yaml:"description" json:"description,omitempty"`
	// MaxLen caps strings and list items, in bytes. Default 1024.
	MaxLen int `yaml:"max_len" json:"max_len,omitempty"`
	// MaxItems caps a list's length. Default 1000.
	MaxItems int `yaml:"max_items" json:"max_items,omitempty"`
	// Min and Max bound int and float values (and list(int) items) and
	// durations ("10s").
	Min string `yaml:"min" json:"min,omitempty"`
	Max string `yaml:"max" json:"max,omitempty"`
	// Values are an enum's allowed values; ValuesQuery instead names them
	// with a read-only query whose first column is the values.
	Values      []string `yaml:"values" json:"values,omitempty"`
	ValuesQuery string   `yaml:"values_query" json:"values_query,omitempty"`
	// Constraint is an expr-lang expression over the parameters (and from,
	// to) that must be true when the parameter is set, for example
	// `len(service) <= 64` or `step >= duration("10s")`. Message is what the
	// caller sees when it is false.
	Constraint string `yaml:"constraint" json:"constraint,omitempty"`
	Message    string `yaml:"message" json:"message,omitempty"`
}

// Visualizations a template may name.
var Visualizations = []string{"timeseries", "table", "stat", "bar", "logs"}

var (
	templateIDRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)
	paramNameRe  = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,63}$`)
)

// Template is a checked template version, ready to render and run.
// Templates are immutable once built and safe for concurrent use.
type Template struct {
	Spec
	// File is where the version was loaded from; empty for a version read
	// back from query_templates.
	File string
	// Hash fingerprints sql and params (not the descriptive fields), so a
	// change to either without a version bump is caught.
	Hash string

	versionLine, sqlLine int            // in File
	chartLines           map[string]int // x, y, series: their lines in File
	params               []*param
	byName               map[string]*param
	nodes                []sqlNode
	// types is each referenced parameter's ClickHouse type (from, to too).
	types map[string]string
	// optional are the parameters {{if}} blocks test that may be unset,
	// sorted; they decide which variant of the statement runs.
	optional []string

	// checked holds the rendered variants ClickHouse has confirmed to be one
	// read statement (string → error or nil).
	checked sync.Map
}

// param is a compiled ParamSpec.
type param struct {
	ParamSpec
	typ ParamType
	// def is the checked default, nil when none. Relative times are checked
	// again against the time of each run.
	def      any
	min, max any // int64, float64 or time.Duration; nil when unbounded
	allowed  map[string]bool
	values   []sqlNode // parsed values_query
	prog     *vm.Program
	line     int
	// constraintLine is the constraint's line in the file, for errors.
	constraintLine int
}

// specProblem is a problem with a template file at a line.
type specProblem struct {
	line int
	msg  string
}

// positions gives the YAML line of a template's fields, for errors. A nil
// positions (a stored version) answers 0.
type positions interface {
	line(path ...string) int
}

// compileSpec checks a spec and builds its Template. It checks everything
// that needs no engine: names, types, defaults, constraints, placeholders
// and blocks. Problems are returned all at once.
func compileSpec(spec Spec, pos positions) (*Template, []specProblem) {
	var probs []specProblem
	at := func(line int, format string, args ...any) {
		probs = append(probs, specProblem{line, fmt.Sprintf(format, args...)})
	}
	ln := func(path ...string) int {
		if pos == nil {
			return 0
		}
		return pos.line(path...)
	}
	spec.SQL = strings.TrimSuffix(strings.TrimSpace(spec.SQL), ";")
	if spec.Visualization == "" {
		spec.Visualization = "table"
	}
	t := &Template{Spec: spec, byName: map[string]*param{}, types: map[string]string{}, versionLine: ln("version"), sqlLine: ln("sql"),
		chartLines: map[string]int{"x": ln("chart", "x"), "y": ln("chart", "y"), "series": ln("chart", "series")}}

	switch {
	case spec.ID == "":
		at(ln("id"), "id is required")
	case !templateIDRe.MatchString(spec.ID):
		at(ln("id"), "id %q must be lowercase letters, digits, _ . and - (at most 64)", spec.ID)
	}
	if spec.Version < 1 || spec.Version > 1<<31 {
		at(ln("version"), "version must be a whole number of at least 1, got %d", spec.Version)
	}
	if strings.TrimSpace(spec.Title) == "" {
		at(ln("title"), "title is required")
	}
	if !slices.Contains(Visualizations, spec.Visualization) {
		at(ln("visualization"), "visualization %q must be one of %s", spec.Visualization, strings.Join(Visualizations, ", "))
	}
	probs = append(probs, chartProblems(spec.Chart, spec.Visualization, ln("chart"))...)
	for i, tag := range spec.Tags {
		if strings.TrimSpace(tag) == "" || len(tag) > 64 {
			at(ln("tags", strconv.Itoa(i)), "tags[%d] must be 1 to 64 characters", i)
		}
	}

	// Parameters, then the constraints that may refer to any of them.
	env := map[string]any{ParamFrom: time.Time{}, ParamTo: time.Time{}}
	broken := map[string]bool{} // declared, but too broken to check their uses
	for i, ps := range spec.Params {
		idx := strconv.Itoa(i)
		p, pp := compileParam(ps, func(field string) int { return ln("params", idx, field) })
		probs = append(probs, pp...)
		if p == nil {
			broken[ps.Name] = true
			continue
		}
		if _, dup := t.byName[p.Name]; dup {
			at(p.line, "param %q is declared twice", p.Name)
			continue
		}
		t.params = append(t.params, p)
		t.byName[p.Name] = p
		env[p.Name] = zeroOf(p.typ)
	}
	for _, p := range t.params {
		if p.Constraint == "" {
			continue
		}
		prog, err := expr.Compile(p.Constraint, expr.Env(env), expr.AsBool())
		if err != nil {
			at(p.constraintLine, "param %q: constraint %q does not compile: %s", p.Name, p.Constraint, firstLine(err.Error()))
			continue
		}
		p.prog = prog
	}

	// The statement.
	sqlLine := ln("sql")
	if spec.SQL == "" {
		at(sqlLine, "sql is required")
		return t, probs
	}
	nodes, err := parseSQL(spec.SQL)
	if err != nil {
		var pe *parseError
		if !errors.As(err, &pe) {
			at(sqlLine, "sql: %s", err)
			return t, probs
		}
		at(sqlLine+pe.line-1, "sql: %s", pe.msg)
		return t, probs
	}
	t.nodes = nodes
	used := map[string]bool{}
	where := map[string]int{}
	optional := map[string]bool{}
	walkNodes(nodes, nil, func(n *sqlNode, inIf []string) {
		line := sqlLine + n.line - 1
		switch n.kind {
		case nodeIf:
			p, ok := t.byName[n.cond]
			switch {
			case n.cond == ParamFrom || n.cond == ParamTo:
				at(line, "sql: {{if .%s}}: the time range is always set", n.cond)
			case !ok:
				if !broken[n.cond] {
					at(line, "sql: {{if .%s}} tests a parameter the template does not declare", n.cond)
				}
			default:
				used[p.Name] = true
				if !p.alwaysSet() {
					optional[p.Name] = true
				}
			}
		case nodePlaceholder:
			typ := ParamType("")
			if n.name == ParamFrom || n.name == ParamTo {
				typ = TypeTime
			} else if p, ok := t.byName[n.name]; ok {
				typ = p.typ
				used[p.Name] = true
				if !p.alwaysSet() && !slices.Contains(inIf, p.Name) {
					at(line, "sql: {%s} is outside {{if .%s}} … {{end}}, but %s is optional with no default: the statement would run without a value", n.name, n.name, n.name)
				}
			} else {
				if !broken[n.name] {
					at(line, "sql: placeholder {%s} names no declared parameter (declared: %s)", n.name, strings.Join(t.paramNames(true), ", "))
				}
				return
			}
			ch := n.chType
			if ch == "" {
				ch = typ.defaultCHType()
			}
			norm, err := compatibleCHType(typ, ch)
			if err != nil {
				at(line, "sql: placeholder {%s:%s}: %v", n.name, n.chType, err)
				return
			}
			if prev, ok := t.types[n.name]; ok && prev != norm {
				at(line, "sql: {%s} is bound as %s here but as %s at line %d; use one type per parameter", n.name, norm, prev, where[n.name])
				return
			}
			t.types[n.name], where[n.name] = norm, line
		}
	})
	for _, p := range t.params {
		if !used[p.Name] {
			at(p.line, "param %q is declared but the sql never uses it", p.Name)
		}
	}
	for name := range optional {
		t.optional = append(t.optional, name)
	}
	sort.Strings(t.optional)
	t.Hash = specHash(spec)
	return t, probs
}

func compileParam(ps ParamSpec, ln func(field string) int) (*param, []specProblem) {
	var probs []specProblem
	p := &param{ParamSpec: ps, typ: ParamType(ps.Type), line: ln(""), constraintLine: ln("constraint")}
	bad := func(field, format string, args ...any) {
		probs = append(probs, specProblem{ln(field), fmt.Sprintf("param %q: ", ps.Name) + fmt.Sprintf(format, args...)})
	}
	switch {
	case ps.Name == "":
		probs = append(probs, specProblem{p.line, "a param has no name"})
		return nil, probs
	case ps.Name == ParamFrom || ps.Name == ParamTo:
		bad("name", "from and to are the implicit time range; do not declare them")
		return nil, probs
	case !paramNameRe.MatchString(ps.Name):
		bad("name", "name must be lowercase letters, digits and _ (at most 64), starting with a letter or _")
		return nil, probs
	}
	if !p.typ.valid() {
		names := make([]string, len(paramTypes))
		for i, t := range paramTypes {
			names[i] = string(t)
		}
		bad("type", "unknown type %q (want %s)", ps.Type, strings.Join(names, ", "))
		return nil, probs
	}
	if ps.MaxLen < 0 || ps.MaxLen > 1<<20 {
		bad("max_len", "max_len must be between 1 and 1048576 bytes")
	}
	if ps.MaxItems < 0 || ps.MaxItems > 100000 {
		bad("max_items", "max_items must be between 1 and 100000")
	}
	if ps.MaxLen > 0 && !p.hasText() {
		bad("max_len", "max_len applies to string, enum and list(string) parameters only")
	}
	if ps.MaxItems > 0 && !p.isList() {
		bad("max_items", "max_items applies to list parameters only")
	}
	for _, b := range []struct {
		field, text string
		dst         *any
	}{{"min", ps.Min, &p.min}, {"max", ps.Max, &p.max}} {
		if b.text == "" {
			continue
		}
		v, err := parseBound(p.typ, b.text)
		if err != nil {
			bad(b.field, "%s: %v", b.field, err)
			continue
		}
		*b.dst = v
	}
	if p.min != nil && p.max != nil && less(p.max, p.min) {
		bad("max", "max %s is below min %s", ps.Max, ps.Min)
	}
	if p.typ == TypeEnum {
		switch {
		case len(ps.Values) == 0 && ps.ValuesQuery == "":
			bad("type", "an enum needs values or values_query")
		case len(ps.Values) > 0 && ps.ValuesQuery != "":
			bad("values_query", "give values or values_query, not both")
		}
		if len(ps.Values) > 0 {
			p.allowed = map[string]bool{}
			for i, v := range ps.Values {
				if v == "" || p.allowed[v] {
					bad("values", "values[%d] %q is empty or repeated", i, v)
				}
				p.allowed[v] = true
			}
		}
		if ps.ValuesQuery != "" {
			nodes, err := parseSQL(strings.TrimSpace(ps.ValuesQuery))
			if err != nil {
				bad("values_query", "values_query: %v", err)
			}
			for _, n := range nodes {
				if n.kind != nodeText {
					bad("values_query", "values_query takes no parameters or {{if}} blocks")
					break
				}
			}
			p.values = nodes
		}
	} else if len(ps.Values) > 0 || ps.ValuesQuery != "" {
		bad("values", "values and values_query are for enum parameters")
	}
	if ps.Message != "" && ps.Constraint == "" {
		bad("message", "message is shown when the constraint fails, but there is no constraint")
	}
	if ps.Required && ps.Default != nil {
		bad("default", "a required parameter has no use for a default; drop one")
	}
	if ps.Default != nil && len(probs) == 0 {
		v, err := p.check(ps.Default, time.Now())
		if err != nil {
			bad("default", "default: %v", err)
		} else {
			p.def = v
		}
	}
	return p, probs
}

func parseBound(t ParamType, s string) (any, error) {
	switch t {
	case TypeInt, TypeIntList:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not an int", s)
		}
		return n, nil
	case TypeFloat:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", s)
		}
		return f, nil
	case TypeDuration:
		d, err := time.ParseDuration(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not a duration", s)
		}
		return d, nil
	}
	return nil, fmt.Errorf("min and max apply to int, float, duration and list(int) parameters only")
}

func less(a, b any) bool {
	switch x := a.(type) {
	case int64:
		return x < b.(int64)
	case float64:
		return x < b.(float64)
	case time.Duration:
		return x < b.(time.Duration)
	}
	return false
}

func zeroOf(t ParamType) any {
	switch t {
	case TypeInt:
		return int64(0)
	case TypeFloat:
		return float64(0)
	case TypeBool:
		return false
	case TypeDuration:
		return time.Duration(0)
	case TypeTime:
		return time.Time{}
	case TypeStringList:
		return []string{}
	case TypeIntList:
		return []int64{}
	}
	return ""
}

func (p *param) alwaysSet() bool { return p.Required || p.Default != nil }
func (p *param) hasText() bool {
	return p.typ == TypeString || p.typ == TypeEnum || p.typ == TypeStringList
}
func (p *param) isList() bool { return p.typ == TypeStringList || p.typ == TypeIntList }

func (p *param) maxLen() int {
	if p.MaxLen > 0 {
		return p.MaxLen
	}
	return DefaultMaxLen
}

func (p *param) maxItems() int {
	if p.MaxItems > 0 {
		return p.MaxItems
	}
	return DefaultMaxItems
}

// check converts and bounds one value (not the constraint, which sees every
// parameter, nor a values_query enum, which needs the engine).
func (p *param) check(raw any, now time.Time) (any, error) {
	v, err := checkValue(p.typ, raw, now)
	if err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case string:
		if len(x) > p.maxLen() {
			return nil, fmt.Errorf("longer than %d bytes (got %d)", p.maxLen(), len(x))
		}
		if p.allowed != nil && !p.allowed[x] {
			return nil, fmt.Errorf("%s is not one of %s", show(x), strings.Join(p.Values, ", "))
		}
	case []string:
		if len(x) > p.maxItems() {
			return nil, fmt.Errorf("has %d items, more than %d", len(x), p.maxItems())
		}
		for i, s := range x {
			if len(s) > p.maxLen() {
				return nil, fmt.Errorf("item %d is longer than %d bytes (got %d)", i, p.maxLen(), len(s))
			}
		}
	case []int64:
		if len(x) > p.maxItems() {
			return nil, fmt.Errorf("has %d items, more than %d", len(x), p.maxItems())
		}
		for i, n := range x {
			if err := p.bounds(n); err != nil {
				return nil, fmt.Errorf("item %d: %w", i, err)
			}
		}
	case int64, float64, time.Duration:
		if err := p.bounds(x); err != nil {
			return nil, err
		}
	}
	return v, nil
}

func (p *param) bounds(v any) error {
	f := func(x any) string { return fmt.Sprint(jsonValue(x)) }
	if p.min != nil && less(v, p.min) {
		return fmt.Errorf("%s is below the minimum %s", f(v), f(p.min))
	}
	if p.max != nil && less(p.max, v) {
		return fmt.Errorf("%s is above the maximum %s", f(v), f(p.max))
	}
	return nil
}

// paramNames lists the declared names, with from and to when withRange.
func (t *Template) paramNames(withRange bool) []string {
	var out []string
	for _, p := range t.params {
		out = append(out, p.Name)
	}
	if withRange {
		out = append(out, ParamFrom, ParamTo)
	}
	return out
}

// Ref names the version.
func (t *Template) Ref() TemplateRef {
	return TemplateRef{Template: t.ID, Version: uint32(t.Version), Title: t.Title, Visualization: t.Visualization, Chart: t.Chart}
}

// render writes the statement variant for the parameters set and lists the
// placeholders it binds.
func (t *Template) render(set func(string) bool) (string, []string) {
	sql := renderSQL(t.nodes, set, t.types)
	var names []string
	seen := map[string]bool{}
	var walk func([]sqlNode)
	walk = func(nodes []sqlNode) {
		for i := range nodes {
			n := &nodes[i]
			switch n.kind {
			case nodePlaceholder:
				if !seen[n.name] {
					seen[n.name] = true
					names = append(names, n.name)
				}
			case nodeIf:
				if set(n.cond) {
					walk(n.then)
				} else {
					walk(n.els)
				}
			}
		}
	}
	walk(t.nodes)
	return sql, names
}

// specHash fingerprints what a version pins: the statement and the
// parameters, without the parameters' descriptions (wording may change
// without a new version).
func specHash(s Spec) string {
	params := make([]ParamSpec, len(s.Params))
	for i, p := range s.Params {
		p.Description = ""
		params[i] = p
	}
	b, _ := json.Marshal(struct {
		SQL     string      `json:"sql"`
		Params  []ParamSpec `json:"params"`
		Archive bool        `json:"archive,omitempty"`
	}{strings.TrimSpace(s.SQL), params, s.Archive})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
