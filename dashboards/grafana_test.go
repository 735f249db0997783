package dashboards

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Each macro of the ClickHouse data source expands as its documentation
// says, with the range and the interval bound as parameters, and each
// variable reference becomes a bound parameter or is refused.
func TestGrafanaMacros(t *testing.T) {
	vars := []grafanaVar{
		{Name: "svc", Type: "custom", Multi: true, IncludeAll: true, Current: grafanaOption{Value: "$__all"}},
		{Name: "level", Type: "custom", Current: grafanaOption{Value: "error"}},
		{Name: "n", Type: "custom", Query: "5,10", Current: grafanaOption{Value: "5"}},
		{Name: "ratio", Type: "custom", Query: "0.5,1", Current: grafanaOption{Value: "0.5"}},
		{Name: "col", Type: "custom", Query: "service,host", Current: grafanaOption{Value: "host"}},
	}
	f := func(in, want string) {
		t.Helper()
		imp := &importer{out: &GrafanaImport{}, d: &Dashboard{}, vars: map[string]*grafanaVar{}, names: map[string]string{}, used: map[string]*varUse{}}
		for i := range vars {
			imp.vars[vars[i].Name] = &vars[i]
			imp.names[vars[i].Name] = ident(vars[i].Name)
		}
		tr := &sqlTranslator{imp: imp, params: map[string]*ImportedParam{}}
		got, err := tr.translate(in)
		if err != nil {
			got = "error: " + err.Error()
		}
		if got != want {
			t.Errorf("%s\n got %s\nwant %s", in, got, want)
		}
	}
	f("$__timeFilter(ts)", "ts >= toDateTime({from:DateTime64(3)}) AND ts <= toDateTime({to:DateTime64(3)})")
	f("$__timeFilter_ms(ts)", "ts >= {from:DateTime64(3)} AND ts <= {to:DateTime64(3)}")
	f("$__dateFilter(d)", "d >= toDate({from:DateTime64(3)}) AND d <= toDate({to:DateTime64(3)})")
	f("$__dateTimeFilter(d, ts)", "d >= toDate({from:DateTime64(3)}) AND d <= toDate({to:DateTime64(3)}) AND ts >= toDateTime({from:DateTime64(3)}) AND ts <= toDateTime({to:DateTime64(3)})")
	f("$__fromTime, $__toTime", "toDateTime({from:DateTime64(3)}), toDateTime({to:DateTime64(3)})")
	f("$__fromTime_ms, $__toTime_ms", "{from:DateTime64(3)}, {to:DateTime64(3)}")
	f("$__from, $__to", "toUnixTimestamp64Milli({from:DateTime64(3)}), toUnixTimestamp64Milli({to:DateTime64(3)})")
	f("$__timeInterval(ts)", "toStartOfInterval(toDateTime(ts), toIntervalSecond({step:UInt32}))")
	f("$__timeInterval_ms(ts)", "toStartOfInterval(toDateTime64(ts, 3), toIntervalSecond({step:UInt32}))")
	f("$__interval_s, $__interval_ms", "{step:UInt32}, ({step:UInt32} * 1000)")
	f("$__timeFilter(toDateTime(ts, 'UTC'))", "toDateTime(ts, 'UTC') >= toDateTime({from:DateTime64(3)}) AND toDateTime(ts, 'UTC') <= toDateTime({to:DateTime64(3)})")
	f("$__conditionalAll(s IN ($svc), $svc)", "{{if .svc}}s IN {svc:Array(String)}{{else}}1=1{{end}}")
	f("level = '$level' AND level = '${level}' AND level = [[level]]x", "error: variable $level is spliced into the SQL unquoted (as a name or SQL text); logmart binds values only as parameters: quote it ('$level') or use IN ($level)")
	f("level = '$level' AND l2 = ${level:singlequote}", "level = {level:String} AND l2 = {level:String}")
	// IN ($v) of a variable with All is no filter when All (no value) is
	// chosen, as $__conditionalAll would write it; NOT IN keeps the list.
	f("s IN (${svc:singlequote}) LIMIT $n", "{{if .svc}}s IN {svc:Array(String)}{{else}}1=1{{end}} LIMIT {n:Int64}")
	f("lower(s) IN ($svc) AND t NOT IN ($svc)", "{{if .svc}}lower(s) IN {svc:Array(String)}{{else}}1=1{{end}} AND t NOT IN {svc:Array(String)}")
	f("x > $ratio", "x > {ratio:Float64}")
	f("ORDER BY $col", "error: variable $col is spliced into the SQL unquoted (as a name or SQL text); logmart binds values only as parameters: quote it ('$col') or use IN ($col)")
	f("s = $svc", "error: multi-value variable $svc is used as one value; use it as IN ($svc)")
	f("s = '$svc'", "s = {svc:String}")
	f("$__rate_interval", "error: macro $__rate_interval has no logmart counterpart (converted: $__timeFilter, $__timeFilter_ms, $__dateFilter, $__dateTimeFilter, $__fromTime, $__toTime, $__fromTime_ms, $__toTime_ms, $__interval_s, $__timeInterval, $__timeInterval_ms, $__conditionalAll)")
	f("$__timeFilter()", "error: macro $__timeFilter takes 1 argument(s)")
	f("x = '$nosuch'", "error: $nosuch is neither a variable of the dashboard nor a macro logmart converts")
	f("replaceRegexpAll(s, '(a)', '$1')", "replaceRegexpAll(s, '(a)', '$1')")
	f("$__conditionalAll(1 = 1, $svc)", `error: $__conditionalAll's condition "1 = 1" does not use $svc`)
}

// The fixture converts panel by panel: what converts keeps its grid, type
// and options, and what cannot is listed with its reason.
func TestImportGrafanaFixture(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "grafana", "service_logs.json"))
	if err != nil {
		t.Fatal(err)
	}
	imp, err := ImportGrafana(raw)
	if err != nil {
		t.Fatal(err)
	}
	d := imp.Dashboard
	if d.UID != "svc_logs_01" || d.Title != "Service logs (Grafana)" || d.Time.From != "now-6h" || d.Refresh != "1m" || imp.Panels != 10 {
		t.Fatalf("dashboard %s %q %v %q, %d panels", d.UID, d.Title, d.Time, d.Refresh, imp.Panels)
	}
	var got []string
	for _, p := range d.Panels {
		got = append(got, p.Title+":"+p.Visualization.Type+":"+p.Row)
	}
	want := "Log lines per service:timeseries: Errors:stat: Lines per second:gauge: Latest matching lines:table:row4 Lines by level:bar:row4 Lines per step:table:row4"
	if strings.Join(got, " ") != want {
		t.Fatalf("panels\n%s\nwant\n%s", strings.Join(got, " "), want)
	}
	o := d.Panels[0].Visualization.Options
	if o.Unit != "short" || o.Stacking != "normal" || o.Legend.Placement != "right" || len(o.Thresholds) != 1 || o.Thresholds[0].Color != "red" || d.Panels[0].Grid != (Grid{0, 0, 12, 8}) {
		t.Fatalf("panel 1 options %+v grid %+v", o, d.Panels[0].Grid)
	}
	for _, want := range []string{
		`panel "From a chosen table" (id 7): variable $tbl is spliced into the SQL unquoted`,
		`panel "Rate interval" (id 8): macro $__rate_interval has no logmart counterpart`,
		`panel "About" (id 9): a text panel has no query`,
		`panel "Old plugin" (id 10): its query is not rawSql`,
		`variable "ds": a data source picker; logmart panels query the instance's own ClickHouse`,
		`variable "unused": no converted panel uses it`,
	} {
		if !strings.Contains(strings.Join(imp.Skipped, "\n"), want) {
			t.Errorf("skipped\n%s\nlacks %s", strings.Join(imp.Skipped, "\n"), want)
		}
	}
	var vars []string
	for _, v := range d.Variables {
		vars = append(vars, v.Name+":"+v.Kind)
	}
	if strings.Join(vars, " ") != "service:custom level:custom limit:custom search:text host:query" {
		t.Fatalf("variables %v", vars)
	}
	// The query variable offers the values of its own template's enum
	// parameter, whose values_query is the variable's query.
	last := imp.Templates[len(imp.Templates)-1]
	if h := d.Variables[4]; h.Template == nil || h.Template.ID != "svc_logs_01_var_host" || h.Param != "host" ||
		last.ID != "svc_logs_01_var_host" || last.Params[0].Type != "enum" || last.Params[0].ValuesQuery != "SELECT DISTINCT host FROM logs" {
		t.Fatalf("query variable %+v, template %+v", h, last)
	}
	// The converted dashboard passes the checks that need no engine.
	if ps := Validate(d); len(ps) != 0 {
		t.Fatalf("the converted dashboard has problems: %v", ps)
	}
}
