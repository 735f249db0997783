package query

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"regexp"
	"strings"
	"time"

	"github.com/logmart/logmart/store"
)

// The engine checks. A template's statement must be exactly one read
// query, which ClickHouse itself decides:
//
//  1. EXPLAIN AST parses it; the root must be a SELECT (with UNION,
//     INTERSECT or EXCEPT). Its AST must read no table function (merge(),
//     remote(), url() …): scopes are per-table filters, and a table function
//     names no table.
//  2. EXPLAIN AST of SELECT * FROM (<statement>) must parse too: a second
//     statement after a semicolon, FORMAT or INTO OUTFILE cannot sit inside
//     a subquery, so this refuses them (the first check alone would not:
//     the parser stops after the first statement).
//  3. EXPLAIN plans it against the live schema, with sample values bound,
//     in a read-only session: unknown columns, functions and type mismatches
//     fail here rather than on a dashboard.
//
// Every run also happens in a read-only session (the enforcement); these
// checks make a broken or non-read template an error at load.

// maxExhaustiveOptional is how many optional parameters a template may
// test in {{if}} blocks before load stops checking every combination (2^n
// variants) and checks none set, all set and each alone; the other
// variants are checked (steps 1 and 2) the first time they run.
const maxExhaustiveOptional = 4

// checkWithEngine runs the three checks on every variant of t's statement,
// and on an enum's values_query.
func checkWithEngine(ctx context.Context, st store.Store, t *Template) []error {
	var errs []error
	fail := func(line int, format string, args ...any) {
		errs = append(errs, &TemplateError{File: t.File, Line: line, Msg: fmt.Sprintf(format, args...)})
	}
	sqlLine := t.sqlLine
	now := time.Now().UTC().Truncate(time.Second)
	chartFailed := false
	for _, mask := range variantMasks(len(t.optional)) {
		set := t.variantSet(mask)
		sql, names := t.render(set)
		params, err := t.sampleParams(names, now)
		if err != nil {
			fail(sqlLine, "sql%s: %v", variantLabel(t, mask), err)
			continue
		}
		ast, err := readStatement(ctx, st, sql, params)
		if err == nil {
			err = t.checkArchiveTables(ast)
		}
		if err != nil {
			fail(sqlLine, "sql%s: %v", variantLabel(t, mask), err)
			continue
		}
		t.checked.Store(sql, nil)
		if t.Chart != nil && !chartFailed {
			// The chart's names must be columns of every variant; the
			// first variant that misses one is reported.
			desc, err := st.Query(ctx, store.Query{SQL: "DESCRIBE (" + sql + "\n)", Params: params, Settings: store.Settings{ReadOnly: true}})
			if err == nil {
				cols := make([]store.Column, 0, len(desc.Rows))
				for _, r := range desc.Rows {
					if len(r) >= 2 {
						cols = append(cols, store.Column{Name: store.CellString(r[0]), Type: store.CellString(r[1])})
					}
				}
				for _, p := range chartColumnProblems(t.Chart, t.Visualization, cols) {
					fail(t.chartLines[p.field], "%s%s", p.msg, variantLabel(t, mask))
					chartFailed = true
				}
			}
		}
		q := store.Query{SQL: "EXPLAIN " + sql, Params: params, Settings: store.Settings{ReadOnly: true}}
		if _, err := st.Query(ctx, q); err != nil {
			// One variant's schema error is usually every variant's.
			fail(sqlLine, "sql%s: ClickHouse refuses it against the live schema: %s", variantLabel(t, mask), engineMessage(err))
			break
		}
	}
	for _, p := range t.params {
		if p.values == nil {
			continue
		}
		sql := renderSQL(p.values, func(string) bool { return false }, nil)
		line := 0
		if t.File != "" {
			line = p.line
		}
		if err := checkReadStatement(ctx, st, sql, nil); err != nil {
			fail(line, "param %q: values_query: %v", p.Name, err)
			continue
		}
		if _, err := st.Query(ctx, store.Query{SQL: "EXPLAIN " + sql, Settings: store.Settings{ReadOnly: true}}); err != nil {
			fail(line, "param %q: values_query: ClickHouse refuses it against the live schema: %s", p.Name, engineMessage(err))
		}
	}
	return errs
}

// checkReadStatement runs checks 1 and 2 on sql. sql holds no semicolon
// outside literals (the template parser refuses one), so the engine sees a
// single statement.
func checkReadStatement(ctx context.Context, st store.Store, sql string, params map[string]string) error {
	_, err := readStatement(ctx, st, sql, params)
	return err
}

// readStatement is checkReadStatement that also returns the parse, for
// the checks that look at the tables read (checkArchiveTables).
func readStatement(ctx context.Context, st store.Store, sql string, params map[string]string) (statement, error) {
	ro := store.Settings{ReadOnly: true}
	var ast statement
	res, err := st.Query(ctx, store.Query{SQL: "EXPLAIN AST " + sql, Params: params, Settings: ro})
	if err != nil {
		return ast, fmt.Errorf("ClickHouse refuses it: %s", engineMessage(err))
	}
	var lines []string
	for _, r := range res.Rows {
		if len(r) > 0 {
			lines = append(lines, store.CellString(r[0]))
		}
	}
	if len(lines) == 0 {
		return ast, errors.New("ClickHouse parses it as nothing")
	}
	ast = parseAST(lines)
	if ast.Kind != "SelectWithUnionQuery" && ast.Kind != "SelectIntersectExceptQuery" {
		return ast, fmt.Errorf("is not a read query: ClickHouse parses it as %s; a template must be one SELECT", ast.Kind)
	}
	if len(ast.TableFunctions) > 0 {
		return ast, fmt.Errorf("reads the table function %s(); a template must read tables, so a token's scope (a filter per table) always applies", ast.TableFunctions[0])
	}
	if fn, _ := ast.refused(); fn != "" {
		return ast, fmt.Errorf("calls %s(), which reads outside logmart's tables", fn)
	}
	wrapped := "EXPLAIN AST SELECT * FROM (\n" + sql + "\n)"
	if _, err := st.Query(ctx, store.Query{SQL: wrapped, Params: params, Settings: ro}); err != nil {
		return ast, fmt.Errorf("is not a single read query: it cannot stand as a subquery, so it has a FORMAT, INTO OUTFILE or other clause a template may not have: %s", engineMessage(err))
	}
	return ast, nil
}

var engineSuffixRe = regexp.MustCompile(`\.?\s*(\([A-Z_]+\)\s*)?(\(version [^)]*\)\s*)?$`)

// engineMessage is the engine's message on one line, without the code,
// name and version ClickHouse adds.
func engineMessage(err error) string {
	msg := err.Error()
	var se *store.Error
	if errors.As(err, &se) {
		msg = se.Message
	}
	msg = strings.Join(strings.Fields(msg), " ")
	return engineSuffixRe.ReplaceAllString(msg, "")
}

// variantMasks lists the combinations of n optional parameters load
// checks: all of them when n is small, else none, all and each alone.
func variantMasks(n int) []uint64 {
	if n <= maxExhaustiveOptional {
		out := make([]uint64, 1<<n)
		for i := range out {
			out[i] = uint64(i)
		}
		return out
	}
	all := uint64(1)<<n - 1
	out := []uint64{0, all}
	for i := 0; i < n; i++ {
		out = append(out, 1<<i)
	}
	return out
}

// variantSet says which parameters are set in a variant: the always-set
// ones, and the optional ones whose bit is in mask.
func (t *Template) variantSet(mask uint64) func(string) bool {
	return func(name string) bool {
		if p := t.byName[name]; p != nil && p.alwaysSet() {
			return true
		}
		for i, o := range t.optional {
			if o == name {
				return mask&(1<<i) != 0
			}
		}
		return false
	}
}

func variantLabel(t *Template, mask uint64) string {
	if len(t.optional) == 0 {
		return ""
	}
	if mask == 0 {
		return " (with " + strings.Join(t.optional, ", ") + " unset)"
	}
	var set []string
	for i, o := range t.optional {
		if mask&(1<<i) != 0 {
			set = append(set, o)
		}
	}
	if bits.OnesCount64(mask) == len(t.optional) {
		return " (with " + strings.Join(set, ", ") + " set)"
	}
	return " (with only " + strings.Join(set, ", ") + " set)"
}

// sampleParams binds a typical value for each name, for EXPLAIN: the
// default when there is one, else a value within the bounds.
func (t *Template) sampleParams(names []string, now time.Time) (map[string]string, error) {
	out := make(map[string]string, len(names))
	for _, name := range names {
		var v any
		var typ ParamType
		switch name {
		case ParamFrom:
			v, typ = now.Add(-time.Hour), TypeTime
		case ParamTo:
			v, typ = now, TypeTime
		default:
			p := t.byName[name]
			typ = p.typ
			v = p.sample(now)
		}
		text, err := bindText(typ, t.types[name], v)
		if err != nil {
			return nil, fmt.Errorf("param %q: %v", name, err)
		}
		out[name] = text
	}
	return out, nil
}

func (p *param) sample(now time.Time) any {
	if p.Default != nil {
		if v, err := p.check(p.Default, now); err == nil {
			return v
		}
	}
	switch p.typ {
	case TypeInt:
		if p.min != nil {
			return p.min
		}
		if p.max != nil && p.max.(int64) < 1 {
			return p.max
		}
		return int64(1)
	case TypeFloat:
		if p.min != nil {
			return p.min
		}
		return float64(1)
	case TypeBool:
		return true
	case TypeDuration:
		if p.min != nil {
			return p.min
		}
		return time.Minute
	case TypeTime:
		return now.Add(-time.Hour)
	case TypeStringList:
		return []string{"x"}
	case TypeIntList:
		if p.min != nil {
			return []int64{p.min.(int64)}
		}
		return []int64{1}
	case TypeEnum:
		if len(p.Values) > 0 {
			return p.Values[0]
		}
	}
	return "x"
}
