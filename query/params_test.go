package query

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/logmart/logmart/store"
)

// paramsSpec declares one parameter of every type.
var paramsSpec = Spec{
	ID: "params_test", Version: 1, Title: "every parameter type",
	Params: []ParamSpec{
		{Name: "service", Type: "string", MaxLen: 64, Constraint: "len(service) <= 64"},
		{Name: "limit", Type: "int", Default: 10, Min: "1", Max: "1000"},
		{Name: "ratio", Type: "float", Min: "0", Max: "1"},
		{Name: "verbose", Type: "bool"},
		{Name: "level", Type: "enum", Values: []string{"info", "error"}},
		{Name: "step", Type: "duration", Default: "1m", Constraint: `step >= duration("10s")`, Message: "step must be at least 10s"},
		{Name: "since", Type: "time"},
		{Name: "hosts", Type: "list(string)", MaxItems: 3, MaxLen: 8},
		{Name: "codes", Type: "list(int)", Min: "100", Max: "599"},
		{Name: "small", Type: "int"},
	},
	SQL: `SELECT {limit:UInt32}, {step:UInt32}, {from:DateTime64(3)}, {to:DateTime}
{{if .service}}, {service:String}{{end}}
{{if .ratio}}, {ratio:Float64}{{end}}
{{if .verbose}}, {verbose:Bool}{{end}}
{{if .level}}, {level:LowCardinality(String)}{{end}}
{{if .since}}, {since:DateTime64(3)}{{end}}
{{if .hosts}}, {hosts:Array(String)}{{end}}
{{if .codes}}, {codes:Array(UInt16)}{{end}}
{{if .small}}, {small:Int8}{{end}}`,
}

// paramsCatalog compiles paramsSpec for a catalog whose clock stands
// still at now.
func paramsCatalog(t *testing.T) (*Catalog, *Template, time.Time) {
	t.Helper()
	tmpl, probs := compileSpec(paramsSpec, nil)
	if len(probs) > 0 {
		t.Fatalf("spec: %v", probs)
	}
	c := NewCatalog(DefaultConfig(), NewRunner(templateStore(t), nil), nil)
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return now }
	return c, tmpl, now
}

func TestParamValues(t *testing.T) {
	c, tmpl, now := paramsCatalog(t)
	from, to := now.Add(-time.Hour), now
	prep := func(params map[string]any) (*prepared, error) {
		return c.prepare(context.Background(), tmpl, TemplateRequest{Template: tmpl.ID, Params: params, From: from, To: to}, store.Settings{ReadOnly: true})
	}
	// f checks that params bind as want (name=text; …), or fail with wantErr.
	f := func(params map[string]any, want, wantErr string) {
		t.Helper()
		p, err := prep(params)
		if wantErr != "" {
			if err == nil || err.Error() != wantErr {
				t.Fatalf("%v: error %v, want %q", params, err, wantErr)
			}
			return
		}
		if err != nil {
			t.Fatalf("%v: %v", params, err)
		}
		var got []string
		for _, name := range append([]string{"from", "to"}, tmpl.paramNames(false)...) {
			if v, ok := p.params[name]; ok {
				got = append(got, name+"="+v)
			}
		}
		if g := strings.Join(got, "; "); g != want {
			t.Fatalf("%v:\n got %s\nwant %s", params, g, want)
		}
	}
	base := "from=2026-11-21 09:00:00.000; to=2026-11-21 10:00:00; limit=10; step=60"
	f(nil, base, "")
	f(map[string]any{"service": "", "hosts": []any{}, "level": nil}, base, "") // empty is unset
	f(map[string]any{"service": "it's -- /* */ ; UNION SELECT 1"}, "from=2026-11-21 09:00:00.000; to=2026-11-21 10:00:00; service=it's -- /* */ ; UNION SELECT 1; limit=10; step=60", "")
	f(map[string]any{"limit": json.Number("5"), "ratio": json.Number("0.25"), "verbose": true, "level": "error"},
		"from=2026-11-21 09:00:00.000; to=2026-11-21 10:00:00; limit=5; ratio=0.25; verbose=true; level=error; step=60", "")
	f(map[string]any{"limit": "7", "verbose": "false", "step": "1h30m"}, "from=2026-11-21 09:00:00.000; to=2026-11-21 10:00:00; limit=7; verbose=false; step=5400", "")
	f(map[string]any{"since": "2026-11-20T08:00:00.5+02:00"}, base+"; since=2026-11-20 06:00:00.500", "")
	f(map[string]any{"since": "now-2h"}, base+"; since=2026-11-21 08:00:00.000", "")
	f(map[string]any{"hosts": []any{"a'b", `c\d`, "e\tf"}, "codes": []any{json.Number("200"), 503}},
		base+`; hosts=['a''b', 'c\d', 'e	f']; codes=[200, 503]`, "")

	// Every type in its text form, as the CLI's --param and Explore's form
	// and URL send it: typed by the template, bound the same as JSON values.
	f(map[string]any{"service": " checkout ", "limit": "5", "ratio": "0.25", "verbose": "true", "level": "error", "step": "10m",
		"since": "2026-11-20T08:00:00Z", "hosts": "a,b", "codes": "200,503", "small": "-7"},
		"from=2026-11-21 09:00:00.000; to=2026-11-21 10:00:00; service= checkout ; limit=5; ratio=0.25; verbose=true; level=error; step=600; since=2026-11-20 08:00:00.000; hosts=['a', 'b']; codes=[200, 503]; small=-7", "")
	f(map[string]any{"limit": " 7 ", "ratio": "1e-1", "step": " 90s "}, "from=2026-11-21 09:00:00.000; to=2026-11-21 10:00:00; limit=7; ratio=0.1; step=90", "")
	for _, text := range []string{"true", "TRUE", "True", "t", "1", " true "} {
		f(map[string]any{"verbose": text}, "from=2026-11-21 09:00:00.000; to=2026-11-21 10:00:00; limit=10; verbose=true; step=60", "")
	}
	for _, text := range []string{"false", "FALSE", "f", "0"} {
		f(map[string]any{"verbose": text}, "from=2026-11-21 09:00:00.000; to=2026-11-21 10:00:00; limit=10; verbose=false; step=60", "")
	}
	f(map[string]any{"since": "1763200800"}, base+"; since=2025-11-15 10:00:00.000", "")
	f(map[string]any{"hosts": " a , b,,c, "}, base+"; hosts=['a', 'b', 'c']", "")
	f(map[string]any{"hosts": "it's"}, base+"; hosts=['it''s']", "")
	f(map[string]any{"codes": "404"}, base+"; codes=[404]", "")
	f(map[string]any{"hosts": "x');--,]"}, base+"; hosts=['x'');--', ']']", "")
	// Only lists split on commas; a list with no items is unset, like [].
	f(map[string]any{"service": "a, b"}, "from=2026-11-21 09:00:00.000; to=2026-11-21 10:00:00; service=a, b; limit=10; step=60", "")
	f(map[string]any{"hosts": " , ", "codes": ","}, base, "")

	f(map[string]any{"service": strings.Repeat("x", 65)}, "", `param "service": longer than 64 bytes (got 65)`)
	f(map[string]any{"service": 5}, "", `param "service": got a number, want a string`)
	f(map[string]any{"service": map[string]any{"a": 1}}, "", `param "service": got an object, want a string`)
	f(map[string]any{"service": []any{"a"}}, "", `param "service": got a list, want a string`)
	f(map[string]any{"service": "a\x00b"}, "", `param "service": has control character U+0000 at byte 1`)
	f(map[string]any{"limit": "ten"}, "", `param "limit": "ten" is not an int`)
	f(map[string]any{"limit": json.Number("1.5")}, "", `param "limit": 1.5 is not an int`)
	f(map[string]any{"limit": json.Number("0")}, "", `param "limit": 0 is below the minimum 1`)
	f(map[string]any{"limit": json.Number("1001")}, "", `param "limit": 1001 is above the maximum 1000`)
	f(map[string]any{"limit": true}, "", `param "limit": got a bool, want an int`)
	f(map[string]any{"small": json.Number("300")}, "", `param "small": 300 is out of range for Int8 (-128 to 127)`)
	f(map[string]any{"ratio": "NaN"}, "", `param "ratio": "NaN" is not a number`)
	f(map[string]any{"ratio": json.Number("2")}, "", `param "ratio": 2 is above the maximum 1`)
	f(map[string]any{"verbose": "yes"}, "", `param "verbose": "yes" is not a bool (want true or false)`)
	f(map[string]any{"level": "fatal"}, "", `param "level": "fatal" is not one of info, error`)
	f(map[string]any{"level": "info' OR '1'='1"}, "", `param "level": "info' OR '1'='1" is not one of info, error`)
	f(map[string]any{"step": "5s"}, "", `param "step": step must be at least 10s`)
	f(map[string]any{"step": "soon"}, "", `param "step": "soon" is not a duration (write it like "90s", "5m" or "1h30m")`)
	f(map[string]any{"step": "-1m"}, "", `param "step": "-1m" is not a positive duration`)
	f(map[string]any{"step": "10500ms"}, "", `param "step": 10.5s is not a whole number of seconds`)
	f(map[string]any{"since": "yesterday"}, "", `param "since": "yesterday" is not a time: use `+TimeForms)
	f(map[string]any{"hosts": []any{"a", "b", "c", "d"}}, "", `param "hosts": has 4 items, more than 3`)
	f(map[string]any{"hosts": []any{"a", 1}}, "", `param "hosts": item 1: got a number, want a string`)
	f(map[string]any{"hosts": true}, "", `param "hosts": got a bool, want a list`)
	f(map[string]any{"hosts": "a,b,c,d"}, "", `param "hosts": has 4 items, more than 3`)
	f(map[string]any{"hosts": "a,123456789"}, "", `param "hosts": item 1 is longer than 8 bytes (got 9)`)
	f(map[string]any{"hosts": "a,b\x00"}, "", `param "hosts": item 1: has control character U+0000 at byte 1`)
	f(map[string]any{"hosts": "a,'); DROP TABLE logs; --"}, "", `param "hosts": item 1 is longer than 8 bytes (got 23)`)
	f(map[string]any{"codes": "200,x"}, "", `param "codes": item 1: "x" is not an int`)
	f(map[string]any{"codes": "200;503"}, "", `param "codes": item 0: "200;503" is not an int`)
	f(map[string]any{"codes": "200,600"}, "", `param "codes": item 1: 600 is above the maximum 599`)
	f(map[string]any{"codes": "1.5"}, "", `param "codes": item 0: "1.5" is not an int`)
	f(map[string]any{"limit": "0x10"}, "", `param "limit": "0x10" is not an int`)
	f(map[string]any{"limit": "1_000"}, "", `param "limit": "1_000" is not an int`)
	f(map[string]any{"limit": "9223372036854775808"}, "", `param "limit": "9223372036854775808" is not an int`)
	f(map[string]any{"small": "128"}, "", `param "small": 128 is out of range for Int8 (-128 to 127)`)
	f(map[string]any{"ratio": "Inf"}, "", `param "ratio": "Inf" is not a number`)
	f(map[string]any{"ratio": "0.5; DROP TABLE logs"}, "", `param "ratio": "0.5; DROP TABLE logs" is not a number`)
	f(map[string]any{"verbose": "on"}, "", `param "verbose": "on" is not a bool (want true or false)`)
	f(map[string]any{"step": "7"}, "", `param "step": "7" is not a duration (write it like "90s", "5m" or "1h30m")`)
	f(map[string]any{"hosts": []any{"123456789"}}, "", `param "hosts": item 0 is longer than 8 bytes (got 9)`)
	f(map[string]any{"codes": []any{json.Number("600")}}, "", `param "codes": item 0: 600 is above the maximum 599`)
	f(map[string]any{"nope": 1}, "", `param "nope": unknown; template params_test v1 takes service, limit, ratio, verbose, level, step, since, hosts, codes, small`)
	f(map[string]any{"from": "now"}, "", `param "from": the time range is the request's from and to, not a parameter`)
	f(map[string]any{"service": strings.Repeat("\u202e", 30)}, "", `param "service": longer than 64 bytes (got 90)`)

	if _, err := c.prepare(context.Background(), tmpl, TemplateRequest{Template: tmpl.ID, From: to, To: from}, store.Settings{}); err == nil ||
		err.Error() != "from (2026-11-21T10:00:00Z) must be before to (2026-11-21T09:00:00Z)" {
		t.Fatalf("reversed range: %v", err)
	}
}

// TestTextAndJSONFormsPinTheSame: what a request set is named with its
// typed values (TemplateRef.Values, which a link pins), so a value sent as
// text and the same value as JSON pin the same link; a relative time is
// pinned absolute, and defaults are left out.
func TestTextAndJSONFormsPinTheSame(t *testing.T) {
	c, tmpl, now := paramsCatalog(t)
	pinned := func(params map[string]any) string {
		t.Helper()
		p, err := c.prepare(context.Background(), tmpl, TemplateRequest{Template: tmpl.ID, Params: params, From: now.Add(-time.Hour), To: now}, store.Settings{ReadOnly: true})
		if err != nil {
			t.Fatalf("%v: %v", params, err)
		}
		b, err := json.Marshal(p.ref().Values)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	text := pinned(map[string]any{"limit": "5", "ratio": "0.25", "verbose": "true", "step": "300s", "since": "now-2h", "hosts": "a, b", "codes": "200,503", "service": ""})
	typed := pinned(map[string]any{"limit": json.Number("5"), "ratio": json.Number("0.25"), "verbose": true, "step": "5m", "since": "2026-11-21T08:00:00Z",
		"hosts": []any{"a", "b"}, "codes": []any{json.Number("200"), json.Number("503")}})
	want := `{"codes":[200,503],"hosts":["a","b"],"limit":5,"ratio":0.25,"since":"2026-11-21T08:00:00Z","step":"5m","verbose":true}`
	if text != want || typed != want {
		t.Fatalf("pinned\n text %s\n JSON %s\nwant %s", text, typed, want)
	}
	if got := pinned(nil); got != "{}" {
		t.Fatalf("no values pinned %s, want {} (defaults are the version's)", got)
	}
}

// TestBoundListsReadBackExactly: list values pass through the engine's
// parameter escaping and come back byte for byte.
func TestBoundListsReadBackExactly(t *testing.T) {
	vals := []string{"it's", `back\slash`, "tab\tnew\nline\r", "q''q", "']", "\u202ertl\u200bzw", "", strings.Repeat("é", 300)}
	text, err := bindText(TypeStringList, "Array(String)", vals)
	if err != nil {
		t.Fatal(err)
	}
	res, err := templateStore(t).Query(context.Background(), store.Query{SQL: "SELECT {v:Array(String)}", Params: map[string]string{"v": text}, Settings: store.Settings{ReadOnly: true}})
	if err != nil {
		t.Fatal(err)
	}
	got := res.Rows[0][0].([]any)
	for i, v := range vals {
		if got[i] != v {
			t.Fatalf("item %d: sent %q, got %q", i, v, got[i])
		}
	}
}
