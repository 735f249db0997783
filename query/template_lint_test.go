package query

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestLintFixtures pairs each bad template under testdata/lint with the
// errors a user sees from `logmart templates lint` and at start, in order.
// A line ending in "…" is a prefix: what follows is ClickHouse's own
// message.
func TestLintFixtures(t *testing.T) {
	want := map[string][]string{
		"bad_constraint.yaml": {`testdata/lint/bad_constraint.yaml:8: param "service": constraint "len(servce) <= 64" does not compile: unknown name servce (1:5)`},
		"bad_default.yaml":    {`testdata/lint/bad_default.yaml:7: param "limit": default: "ten" is not an int`},
		"bad_directive.yaml":  {`testdata/lint/bad_directive.yaml:11: sql: {{printf "%s" .service}}: only {{if .param}}, {{else}} and {{end}} are allowed (blocks are kept or dropped on whether a parameter is set; values are never spliced into SQL)`},
		"bad_param_type.yaml": {`testdata/lint/bad_param_type.yaml:6: param "service": unknown type "strng" (want string, int, float, bool, enum, duration, time, list(string), list(int))`},
		"chart_not_time.yaml": {`testdata/lint/chart_not_time.yaml:6: chart.x names column "service" of type LowCardinality(String), which is not a time`},
		"chart_table.yaml": {
			`testdata/lint/chart_table.yaml:6: chart names columns, but visualization "table" draws no chart; use timeseries or bar`,
			`testdata/lint/chart_table.yaml:6: chart names column "n" twice`,
		},
		"chart_unknown_column.yaml": {`testdata/lint/chart_unknown_column.yaml:7: chart.y names column "rows", which the statement does not return (it returns query, runs)`},
		"chart_unknown_key.yaml":    {`testdata/lint/chart_unknown_key.yaml:7: unknown key "colour" in the chart (x, y, series)`},
		"dup_a.yaml":                nil,
		"dup_b.yaml":                {`testdata/lint/dup_b.yaml:1: template dup version 1 is also defined in testdata/lint/dup_a.yaml; give each version one file`},
		"incompatible_type.yaml":    {`testdata/lint/incompatible_type.yaml:10: sql: placeholder {limit:String}: ClickHouse type String cannot hold int values (use Int8…Int64 or UInt8…UInt64)`},
		"into_outfile.yaml":         {`testdata/lint/into_outfile.yaml:5: sql: is not a single read query: it cannot stand as a subquery, so it has a FORMAT, INTO OUTFILE or other clause a template may not have: Syntax error: failed at position 56 (OUTFILE)…`},
		"misc.yaml": {
			`testdata/lint/misc.yaml:1: id "Misc Template" must be lowercase letters, digits, _ . and - (at most 64)`,
			`testdata/lint/misc.yaml:2: version must be a whole number of at least 1, got 0`,
			`testdata/lint/misc.yaml:3: title is required`,
			`testdata/lint/misc.yaml:4: visualization "pie" must be one of timeseries, table, stat, bar, logs`,
			`testdata/lint/misc.yaml:6: param "from": from and to are the implicit time range; do not declare them`,
			`testdata/lint/misc.yaml:11: param "limit": a required parameter has no use for a default; drop one`,
			`testdata/lint/misc.yaml:15: param "level": an enum needs values or values_query`,
			`testdata/lint/misc.yaml:19: param "n": max 1 is below min 10`,
			`testdata/lint/misc.yaml:20: param "n": message is shown when the constraint fails, but there is no constraint`,
			`testdata/lint/misc.yaml:21: sql: {level} is outside {{if .level}} … {{end}}, but level is optional with no default: the statement would run without a value`,
			`testdata/lint/misc.yaml:21: sql: {n} is outside {{if .n}} … {{end}}, but n is optional with no default: the statement would run without a value`,
			`testdata/lint/misc.yaml:12: param "unused" is declared but the sql never uses it`,
		},
		"mixed_types.yaml":            {`testdata/lint/mixed_types.yaml:7: sql: {from} is bound as DateTime here but as DateTime64(3) at line 6; use one type per parameter`},
		"not_select.yaml":             {`testdata/lint/not_select.yaml:5: sql: is not a read query: ClickHouse parses it as InsertQuery; a template must be one SELECT`},
		"optional_outside_if.yaml":    {`testdata/lint/optional_outside_if.yaml:9: sql: {service} is outside {{if .service}} … {{end}}, but service is optional with no default: the statement would run without a value`},
		"param_unknown_key.yaml":      {`testdata/lint/param_unknown_key.yaml:7: unknown key "mx" in a param`},
		"settings_clause.yaml":        {`testdata/lint/settings_clause.yaml:5: sql: ClickHouse refuses it: Cannot modify 'max_threads' setting in readonly mode`},
		"table_function.yaml":         {`testdata/lint/table_function.yaml:5: sql: reads the table function merge(); a template must read tables, so a token's scope (a filter per table) always applies`},
		"two_statements.yaml":         {`testdata/lint/two_statements.yaml:5: sql: a template is one statement: remove the ';'`},
		"undeclared_placeholder.yaml": {`testdata/lint/undeclared_placeholder.yaml:11: sql: placeholder {hots} names no declared parameter (declared: service, from, to)`},
		"unknown_column.yaml":         {"testdata/lint/unknown_column.yaml:8: sql (with service unset): ClickHouse refuses it against the live schema: Unknown expression identifier `servce` in scope…"},
		"unknown_key.yaml":            {`testdata/lint/unknown_key.yaml:3: unknown key "titel" in the template`},
		"wrong_type.yaml":             {`testdata/lint/wrong_type.yaml:2: value "two" has the wrong type: want a whole number`},
		"yaml_syntax.yaml":            {`testdata/lint/yaml_syntax.yaml:2: did not find expected ',' or ']'`},
	}
	files, _ := filepath.Glob("testdata/lint/*.yaml")
	if len(files) != len(want) {
		t.Fatalf("%d fixtures but %d expectations", len(files), len(want))
	}
	err := Lint(context.Background(), "testdata/lint", templateStore(t), LintOptions{})
	if err == nil {
		t.Fatal("lint passed on the bad fixtures")
	}
	got := map[string][]string{}
	for _, line := range strings.Split(err.Error(), "\n") {
		file, _, _ := strings.Cut(strings.TrimPrefix(line, "testdata/lint/"), ":")
		got[file] = append(got[file], line)
	}
	for file, lines := range want {
		g := got[file]
		if len(g) != len(lines) {
			t.Errorf("%s: %d errors, want %d:\n%s", file, len(g), len(lines), strings.Join(g, "\n"))
			continue
		}
		for i, w := range lines {
			if prefix, ok := strings.CutSuffix(w, "…"); ok && strings.HasPrefix(g[i], prefix) || g[i] == w {
				continue
			}
			t.Errorf("%s error %d:\n got %s\nwant %s", file, i, g[i], w)
		}
	}
	for file := range got {
		if _, ok := want[file]; !ok && !slices.Contains(files, "testdata/lint/"+file) {
			t.Errorf("errors for unknown file %s: %v", file, got[file])
		}
	}
}

// TestLintMissingFolder: a folder that does not exist is an error, not an
// empty, passing lint.
func TestLintMissingFolder(t *testing.T) {
	err := Lint(context.Background(), "testdata/no-such-folder", templateStore(t), LintOptions{})
	if err == nil || err.Error() != `template folder "testdata/no-such-folder": not a folder` {
		t.Fatalf("err = %v", err)
	}
}
