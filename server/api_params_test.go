package server

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/logmart/logmart/query"
)

// everyTypeTemplate declares a parameter of every type and answers one row
// with the values as bound.
const everyTypeTemplate = `id: every_type
version: 1
title: Every parameter type
params:
  - {name: service, type: string, max_len: 16}
  - {name: limit, type: int, default: 10, min: "1", max: "1000"}
  - {name: ratio, type: float}
  - {name: verbose, type: bool}
  - {name: level, type: enum, values: [info, error]}
  - {name: step, type: duration, default: 1m}
  - {name: since, type: time}
  - {name: hosts, type: list(string), max_items: 3}
  - {name: codes, type: list(int), min: "100", max: "599"}
sql: |
  SELECT {limit:UInt32} AS limit, {step:UInt32} AS step
  {{if .service}}, {service:String} AS service{{end}}
  {{if .ratio}}, {ratio:Float64} AS ratio{{end}}
  {{if .verbose}}, {verbose:Bool} AS verbose{{end}}
  {{if .level}}, {level:String} AS level{{end}}
  {{if .since}}, {since:DateTime64(3)} AS since{{end}}
  {{if .hosts}}, {hosts:Array(String)} AS hosts{{end}}
  {{if .codes}}, {codes:Array(UInt16)} AS codes{{end}}
`

// TestParamsAsText: every parameter type may be sent as text, the way the
// CLI's --param and Explore's form send it; the server types it with the
// template's spec, so the text and the JSON form of a value run the same
// statement with the same values and pin the same link. Bad text is a 400
// naming the parameter.
func TestParamsAsText(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "every_type.yaml"), []byte(everyTypeTemplate), 0o644); err != nil {
		t.Fatal(err)
	}
	qcfg := query.DefaultConfig()
	qcfg.Dir, qcfg.CacheTTL = dir, 0
	cat := query.NewCatalog(qcfg, query.NewRunner(testStore, nil), nil)
	if err := cat.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	cfg := Default()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	s := New(cfg, Deps{Templates: cat, Links: query.NewLinks(testStore, cat, query.LinkOptions{})}, nil)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)

	asText := `{"service":"checkout","limit":"5","ratio":"0.25","verbose":"true","level":"error","step":"10m",` +
		`"since":"2026-11-20T08:00:00Z","hosts":"a, b","codes":"200,503"}`
	asJSON := `{"service":"checkout","limit":5,"ratio":0.25,"verbose":true,"level":"error","step":"10m",` +
		`"since":"2026-11-20T08:00:00Z","hosts":["a","b"],"codes":[200,503]}`
	run := func(params string) map[string]any {
		t.Helper()
		code, out := call(t, ts, "POST", "/api/v1/query", "", `{"template":"every_type","params":`+params+`,"from":"now-1h"}`)
		if code != 200 {
			t.Fatalf("params %s: %d %v", params, code, out)
		}
		return out
	}
	text, typed := run(asText), run(asJSON)
	wantRow := []any{float64(5), float64(600), "checkout", 0.25, true, "error", "2026-11-20T08:00:00.000Z", []any{"a", "b"}, []any{float64(200), float64(503)}}
	if rows := text["rows"].([]any); len(rows) != 1 || !reflect.DeepEqual(rows[0], wantRow) {
		t.Fatalf("text forms bound as %v, want %v", rows, wantRow)
	}
	for _, k := range []string{"sql", "rows", "params"} {
		if !reflect.DeepEqual(text[k], typed[k]) {
			t.Fatalf("%s: text forms give %v, JSON forms %v", k, text[k], typed[k])
		}
	}
	wantParams := map[string]any{"service": "checkout", "limit": float64(5), "ratio": 0.25, "verbose": true, "level": "error", "step": "10m",
		"since": "2026-11-20T08:00:00Z", "hosts": []any{"a", "b"}, "codes": []any{float64(200), float64(503)}}
	if !reflect.DeepEqual(text["params"], wantParams) {
		t.Fatalf("answer params %v, want %v", text["params"], wantParams)
	}
	if unset := run(`{"service":"","hosts":" , ","codes":""}`); !reflect.DeepEqual(unset["params"], map[string]any{"limit": float64(10), "step": "1m"}) {
		t.Fatalf("empty text left params %v set", unset["params"])
	}

	// A link pins the typed values, however they were sent.
	link := func(params string) map[string]any {
		t.Helper()
		code, out := call(t, ts, "POST", "/api/v1/links", "", `{"template":"every_type","params":`+params+`,"from":"now-1h"}`)
		if code != 201 {
			t.Fatalf("link with params %s: %d %v", params, code, out)
		}
		return out["params"].(map[string]any)
	}
	if a, b := link(asText), link(asJSON); !reflect.DeepEqual(a, b) || !reflect.DeepEqual(a, wantParams) {
		t.Fatalf("link pins %v from text, %v from JSON, want %v", a, b, wantParams)
	}

	f := func(params, wantErr string) {
		t.Helper()
		for _, path := range []string{"/api/v1/query", "/api/v1/links"} {
			code, out := call(t, ts, "POST", path, "", `{"template":"every_type","params":`+params+`,"from":"now-1h"}`)
			if code != 400 || out["error"] != wantErr {
				t.Fatalf("%s params %s: %d %v, want 400 %q", path, params, code, out["error"], wantErr)
			}
		}
	}
	f(`{"limit":"5; DROP TABLE logs"}`, `param "limit": "5; DROP TABLE logs" is not an int`)
	f(`{"limit":"5000"}`, `param "limit": 5000 is above the maximum 1000`)
	f(`{"ratio":"NaN"}`, `param "ratio": "NaN" is not a number`)
	f(`{"verbose":"yes"}`, `param "verbose": "yes" is not a bool (want true or false)`)
	f(`{"level":"error' OR '1'='1"}`, `param "level": "error' OR '1'='1" is not one of info, error`)
	f(`{"step":"soon"}`, `param "step": "soon" is not a duration (write it like "90s", "5m" or "1h30m")`)
	f(`{"since":"yesterday"}`, `param "since": "yesterday" is not a time: use `+query.TimeForms)
	f(`{"hosts":"a,b,c,d"}`, `param "hosts": has 4 items, more than 3`)
	f(`{"hosts":"a,b\u0000"}`, `param "hosts": item 1: has control character U+0000 at byte 1`)
	f(`{"codes":"200,503)"}`, `param "codes": item 1: "503)" is not an int`)
	f(`{"codes":"200,99"}`, `param "codes": item 1: 99 is below the minimum 100`)
	f(`{"service":"`+strings.Repeat("x", 17)+`"}`, `param "service": longer than 16 bytes (got 17)`)
	f(`{"codes":{"a":1}}`, `param "codes": got an object, want a list`)

	var answer map[string]any
	_, answer = call(t, ts, "POST", "/api/v1/query", "", `{"template":"every_type","params":{"hosts":"it's,\"quoted\""},"from":"now-1h"}`)
	if b, _ := json.Marshal(answer["rows"]); !strings.Contains(string(b), `["it's","\"quoted\""]`) {
		t.Fatalf("quoted list items came back as %s", b)
	}
}
