package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/logmart/logmart/ingest/archive"
	"github.com/logmart/logmart/query"
	"github.com/logmart/logmart/query/templatetest"
	"github.com/logmart/logmart/store"
)

const (
	shippedTemplates = "../configs/templates"
	adminTok         = "admin-token-0123456789"
	paymentsTok      = "payments-token-0123456789"
)

var (
	demoOnce sync.Once
	demoErr  error
	// demoEnd ends the demo hour the template tests read.
	demoEnd = time.Now().UTC().Truncate(time.Minute)
)

// paymentsScope is the scoped token's data: payments logs (checkout and
// billing), one tenant's events, and those services' metrics.
var paymentsScope = map[string]string{
	"logs":    "stream IN ('payments')",
	"events":  "tenant = 'globex'",
	"metrics": "labels['service'] IN ('checkout', 'billing')",
}

// outOfScope are values no row the payments token reads may hold.
var outOfScope = map[string]bool{
	"api-gateway": true, "web-frontend": true, "auth": true, "search": true,
	"edge": true, "acme-support": true, "initech": true,
}

// newTemplateServer serves the shipped templates over the demo hour, with
// tokens for a viewer, an admin and the payments-scoped viewer.
func newTemplateServer(t testing.TB, cfgFn func(*query.Config)) (*httptest.Server, *query.Catalog) {
	t.Helper()
	demoOnce.Do(func() { demoErr = templatetest.InsertDemo(context.Background(), testStore, demoEnd) })
	if demoErr != nil {
		t.Fatal(demoErr)
	}
	qcfg := query.DefaultConfig()
	qcfg.Dir = shippedTemplates
	if cfgFn != nil {
		cfgFn(&qcfg)
	}
	cat := query.NewCatalog(qcfg, query.NewRunner(testStore, nil), nil)
	if err := cat.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Archive templates read an archive in place: an empty one here.
	acfg := archive.Default()
	acfg.Enabled, acfg.URL = true, t.TempDir()
	inPlace, err := archive.NewInPlace(context.Background(), testStore, acfg, true)
	if err != nil {
		t.Fatal(err)
	}
	cat.SetArchive(inPlace)
	cfg := Default()
	cfg.Tokens = []TokenConfig{
		{Name: "vic", Role: RoleViewer, Token: viewerTok},
		{Name: "ada", Role: RoleAdmin, Token: adminTok},
		{Name: "pay", Role: RoleViewer, Token: paymentsTok, Scopes: paymentsScope},
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	s := New(cfg, Deps{Templates: cat, Reload: reloads{{"templates", cat.Load}}}, nil)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts, cat
}

func demoRange() (string, string) {
	return demoEnd.Add(-time.Hour).Format(time.RFC3339), demoEnd.Format(time.RFC3339)
}

func TestTemplatesAPI(t *testing.T) {
	ts, _ := newTemplateServer(t, nil)
	from, to := demoRange()
	f := func(method, path, token, body string, want int, wantErr string) map[string]any {
		t.Helper()
		code, out := call(t, ts, method, path, token, body)
		if code != want || wantErr != "" && fmt.Sprint(out["error"]) != wantErr {
			t.Fatalf("%s %s %.200s: %d %.500v, want %d %q", method, path, body, code, out, want, wantErr)
		}
		return out
	}
	list := f("GET", "/api/v1/templates", viewerTok, "", 200, "")
	templates := list["templates"].([]any)
	if len(templates) < 12 {
		t.Fatalf("%d templates", len(templates))
	}
	one := f("GET", "/api/v1/templates/log_search", viewerTok, "", 200, "")
	if one["id"] != "log_search" || one["version"] != float64(1) || !strings.Contains(one["sql"].(string), "{{if .text}}") || len(one["params"].([]any)) != 8 {
		t.Fatalf("log_search: %v", one)
	}
	f("GET", "/api/v1/templates/log_search?version=1", viewerTok, "", 200, "")
	f("GET", "/api/v1/templates/log_search?version=two", viewerTok, "", 400, `version "two" is not a version number (1, 2, …)`)
	f("GET", "/api/v1/templates/log_search?version=7", viewerTok, "", 404, `template "log_search" has no version 7 (versions: [1])`)
	f("GET", "/api/v1/templates/nope", viewerTok, "", 404, `no template "nope"`)

	body := fmt.Sprintf(`{"template":"errors_by_service","params":{"service":"checkout","step":"10m"},"from":%q,"to":%q}`, from, to)
	out := f("POST", "/api/v1/query", viewerTok, body, 200, "")
	for _, k := range []string{"columns", "rows", "stats", "sql", "template", "visualization", "params", "from", "to", "cached"} {
		if _, ok := out[k]; !ok {
			t.Fatalf("answer has no %q: %v", k, out)
		}
	}
	if out["visualization"] != "timeseries" || out["template"].(map[string]any)["id"] != "errors_by_service" ||
		out["params"].(map[string]any)["step"] != "10m" || out["from"] != from || out["cached"] != false ||
		out["stats"].(map[string]any)["rows_read"].(float64) == 0 || len(out["rows"].([]any)) == 0 {
		t.Fatalf("answer: %v", out)
	}
	if again := f("POST", "/api/v1/query", viewerTok, body, 200, ""); again["cached"] != true {
		t.Fatalf("the same request again was not cached: %v", again["cached"])
	}
	f("POST", "/api/v1/query", viewerTok, `{"template":"errors_by_service","from":"1h"}`, 200, "")
	f("POST", "/api/v1/query", viewerTok, `{"template":"errors_by_service","params":{"limit":"ten"}}`, 400,
		`param "limit": unknown; template errors_by_service v1 takes service, stream, step`)
	f("POST", "/api/v1/query", viewerTok, `{"template":"top_hosts_by_error_rate","params":{"limit":"ten"}}`, 400, `param "limit": "ten" is not an int`)
	f("POST", "/api/v1/query", viewerTok, `{"template":"errors_by_service","params":{"service":"`+strings.Repeat("x", 65)+`"}}`, 400, `param "service": longer than 64 bytes (got 65)`)
	f("POST", "/api/v1/query", viewerTok, `{"template":"errors_by_service","params":{"step":"1s"}}`, 400, `param "step": step must be at least 10s, and the range at most 5000 steps`)
	f("POST", "/api/v1/query", viewerTok, `{"template":"metric_over_time"}`, 400, `param "metric": is required`)
	f("POST", "/api/v1/query", viewerTok, `{"template":"errors_by_service","version":4}`, 404, `template "errors_by_service" has no version 4 (versions: [1])`)
	f("POST", "/api/v1/query", viewerTok, `{"template":"nope"}`, 404, `no template "nope"`)
	f("POST", "/api/v1/query", viewerTok, `{"params":{}}`, 400, `template is required`)
	f("POST", "/api/v1/query", viewerTok, `{"template":"log_search","params":[1]}`, 400, "params must be a JSON object of values by name: json: cannot unmarshal array into Go value of type map[string]interface {}")
	f("POST", "/api/v1/query", viewerTok, `{"template":"log_search","extra":1}`, 400, `request body is not valid JSON for this call: unknown field "extra"`)
	f("POST", "/api/v1/query", viewerTok, `{"template":"log_search","from":"yesterday"}`, 400,
		`from: "yesterday" is not a time: use `+query.TimeForms)
	f("POST", "/api/v1/query", "", `{"template":"log_search"}`, 401, "")
	f("POST", "/api/v1/templates/reload", viewerTok, "", 403, "role viewer cannot do this: admin or above required")
	f("POST", "/api/v1/templates/reload", adminTok, "", 200, "")
}

// hostileValues are sent to every parameter of every shipped template.
func hostileValues() []any {
	return []any{
		"x' OR '1'='1", "'; DROP TABLE logs; --", "-- ", "/* */ UNION SELECT name FROM system.tables --",
		`"; SELECT 1; --`, "a; SELECT 1", "' UNION SELECT * FROM logs WHERE stream != 'payments' --",
		"{service:String}", "{{if .service}}x{{end}}", `\`, `\'`, "a\x00b", "\u202eevil\u200b", "\ufeffzero\u200dwidth",
		"ünïcødé", strings.Repeat("A", 1_000_000), "ten", "1h; DROP TABLE logs", "2026-13-45T99:99:99Z",
		"9999999999999999999999", json.Number("12"), json.Number("-1"), json.Number("1.5"), json.Number("1e400"),
		true, nil, "", map[string]any{"a": 1}, []any{"x", "y"}, []any{"' OR 1=1 --", "a\x00"}, []any{json.Number("1"), json.Number("2")},
		[]any{map[string]any{"a": 1}}, []any{}, manyItems,
	}
}

var manyItems = func() []any {
	out := make([]any, 2000)
	for i := range out {
		out[i] = fmt.Sprint(i)
	}
	return out
}()

// benignValue is a value of p's type that binds, to learn the statement a
// set parameter renders.
func benignValue(p query.ParamInfo) any {
	if p.Name == "trace_id" {
		return "4bf92f3577b34da6a3ce929d0e0e4736"
	}
	if p.Default != nil {
		return p.Default
	}
	if len(p.Values) > 0 {
		return p.Values[0]
	}
	switch p.Type {
	case "int":
		if p.Min != nil {
			return p.Min
		}
		return 1
	case "float":
		return 0.5
	case "bool":
		return true
	case "duration":
		return "1m"
	case "time":
		return "now-30m"
	case "list(string)":
		return []any{"x"}
	case "list(int)":
		return []any{1}
	}
	return "x"
}

type queryAnswer struct {
	code int
	SQL  string  `json:"sql"`
	Rows [][]any `json:"rows"`
	Err  string  `json:"error"`
}

func postQuery(t testing.TB, ts *httptest.Server, token string, req map[string]any) queryAnswer {
	t.Helper()
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	hr, _ := http.NewRequest("POST", ts.URL+"/api/v1/query", bytes.NewReader(b))
	hr.Header.Set("Authorization", "Bearer "+token)
	hr.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var a queryAnswer
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatalf("answer %d is not JSON: %.300s", resp.StatusCode, raw)
	}
	a.code = resp.StatusCode
	return a
}

// TestHostileParamsEveryTemplate sends the hostile corpus to every
// parameter of every shipped template, as a viewer and as the
// payments-scoped viewer. Each value gets a 400 naming the parameter, or
// runs bound: the statement is the one a benign value renders (values never
// change the SQL text), and the scoped caller sees nothing outside its
// scope. Unknown parameters are refused by name.
func TestHostileParamsEveryTemplate(t *testing.T) {
	ts, cat := newTemplateServer(t, func(c *query.Config) { c.CacheTTL = 0 })
	from, to := demoRange()
	templates := cat.List(context.Background(), store.Settings{ReadOnly: true})
	for _, info := range templates {
		t.Run(info.ID, func(t *testing.T) {
			base := map[string]any{}
			for _, p := range info.Params {
				if p.Required {
					base[p.Name] = benignValue(p)
				}
			}
			request := func(name string, v any) map[string]any {
				params := map[string]any{}
				for k, x := range base {
					params[k] = x
				}
				if name != "" {
					params[name] = v
				}
				return map[string]any{"template": info.ID, "params": params, "from": from, "to": to}
			}
			unset := postQuery(t, ts, viewerTok, request("", nil))
			if unset.code != 200 {
				t.Fatalf("with no values: %d %s", unset.code, unset.Err)
			}
			for _, p := range info.Params {
				set := postQuery(t, ts, viewerTok, request(p.Name, benignValue(p)))
				if set.code != 200 {
					t.Fatalf("param %s = %v: %d %s", p.Name, benignValue(p), set.code, set.Err)
				}
				for i, v := range hostileValues() {
					want := set.SQL
					if v == nil || v == "" || fmt.Sprint(v) == "[]" {
						want = unset.SQL
						if p.Required || p.Default != nil {
							want = set.SQL
						}
					}
					for _, tok := range []string{viewerTok, paymentsTok} {
						a := postQuery(t, ts, tok, request(p.Name, v))
						switch a.code {
						case 400:
							if !strings.HasPrefix(a.Err, fmt.Sprintf("param %q: ", p.Name)) {
								t.Fatalf("param %s, hostile value %d: 400 %q does not name the parameter", p.Name, i, a.Err)
							}
						case 200:
							if a.SQL != want {
								t.Fatalf("param %s, hostile value %d changed the statement:\n%s\nwant\n%s", p.Name, i, a.SQL, want)
							}
							if tok == paymentsTok {
								checkScope(t, info.ID, a.Rows)
							}
						default:
							t.Fatalf("param %s, hostile value %d: %d %s", p.Name, i, a.code, a.Err)
						}
					}
				}
			}
			for _, name := range []string{"nope", "from", "to", "'; DROP TABLE logs; --", strings.Repeat("p", 10000)} {
				req := request("", nil)
				req["params"].(map[string]any)[name] = "x"
				a := postQuery(t, ts, viewerTok, req)
				if a.code != 400 || !strings.HasPrefix(a.Err, "param \"") {
					t.Fatalf("unknown param %.40q: %d %s", name, a.code, a.Err)
				}
			}
		})
	}
}

// checkScope fails on any cell holding a value outside the payments scope.
func checkScope(t *testing.T, id string, rows [][]any) {
	t.Helper()
	for _, r := range rows {
		for _, cell := range r {
			if s, ok := cell.(string); ok && outOfScope[s] {
				t.Fatalf("%s: the payments-scoped token read %q in row %v", id, s, r)
			}
		}
	}
}

// TestScopedTemplateRuns: the scope is applied by ClickHouse to every read
// of the table, whatever the parameters ask for.
func TestScopedTemplateRuns(t *testing.T) {
	ts, _ := newTemplateServer(t, nil)
	from, to := demoRange()
	f := func(id string, params map[string]any, col int, allowed ...string) {
		t.Helper()
		for _, tok := range []string{paymentsTok, viewerTok} {
			a := postQuery(t, ts, tok, map[string]any{"template": id, "params": params, "from": from, "to": to})
			if a.code != 200 {
				t.Fatalf("%s: %d %s", id, a.code, a.Err)
			}
			seen := map[string]bool{}
			outside := false
			for _, r := range a.Rows {
				v := fmt.Sprint(r[col])
				seen[v] = true
				ok := false
				for _, x := range allowed {
					ok = ok || v == x
				}
				outside = outside || !ok
			}
			if tok == paymentsTok && outside {
				t.Fatalf("%s %v: the scoped token saw %v", id, params, seen)
			}
			if tok == viewerTok && !outside {
				t.Fatalf("%s %v: the unscoped token saw only %v; the test proves nothing", id, params, seen)
			}
			if tok == paymentsTok && len(seen) == 0 {
				t.Fatalf("%s %v: the scoped token saw nothing", id, params)
			}
		}
	}
	f("log_search", map[string]any{"limit": 10000}, 5, "payments")
	f("log_search", map[string]any{"services": []any{"api-gateway", "auth", "checkout"}, "limit": 10000}, 5, "payments")
	f("errors_by_service", nil, 1, "checkout", "billing")
	f("privileged_logins", map[string]any{"limit": 10000}, 1, "globex")
	f("metric_over_time", map[string]any{"metric": "http_requests_total"}, 1, "checkout", "billing")
}

// BenchmarkTemplateOverhead compares a template run through the HTTP API
// (decode, checks, render, audit, JSON encoding, HTTP) with the same
// statement and values run on the engine directly, cache off, for a heavy
// and a light template over the demo hour. It reports api-ms/op,
// engine-ms/op and overhead-% (API time over engine time, minus 100).
func BenchmarkTemplateOverhead(b *testing.B) {
	ts, cat := newTemplateServer(b, func(c *query.Config) { c.CacheTTL = 0 })
	ctx := context.Background()
	from, to := demoRange()
	bound := map[string]string{"from": demoEnd.Add(-time.Hour).Format("2006-01-02 15:04:05.000"), "to": demoEnd.Format("2006-01-02 15:04:05.000")}
	for _, bc := range []struct {
		id     string
		params map[string]any
		bound  map[string]string
	}{
		{"latency_by_endpoint", map[string]any{"limit": 50}, map[string]string{"limit": "50", "min_requests": "10"}},
		{"errors_by_service", map[string]any{"service": "checkout", "step": "5m"}, map[string]string{"service": "checkout", "step": "300"}},
	} {
		b.Run(bc.id, func(b *testing.B) {
			run, err := cat.Run(ctx, query.Caller{User: "bench"}, query.TemplateRequest{Template: bc.id,
				Params: bc.params, From: demoEnd.Add(-time.Hour), To: demoEnd}, store.Settings{})
			if err != nil {
				b.Fatal(err)
			}
			params := map[string]string{}
			for k, v := range bound {
				params[k] = v
			}
			for k, v := range bc.bound {
				params[k] = v
			}
			settings := Principal{Role: RoleViewer}.Settings(Default().Limits[RoleViewer])
			req := map[string]any{"template": bc.id, "params": bc.params, "from": from, "to": to}
			var apiTime, engineTime time.Duration
			b.ResetTimer()
			for range b.N {
				start := time.Now()
				if _, err := testStore.Query(ctx, store.Query{SQL: run.SQL, Params: params, Settings: settings}); err != nil {
					b.Fatal(err)
				}
				engineTime += time.Since(start)
				start = time.Now()
				if a := postQuery(b, ts, viewerTok, req); a.code != 200 {
					b.Fatalf("%d %s", a.code, a.Err)
				}
				apiTime += time.Since(start)
			}
			b.ReportMetric(float64(apiTime.Microseconds())/1000/float64(b.N), "api-ms/op")
			b.ReportMetric(float64(engineTime.Microseconds())/1000/float64(b.N), "engine-ms/op")
			b.ReportMetric(100*float64(apiTime-engineTime)/float64(engineTime), "overhead-%")
		})
	}
}
