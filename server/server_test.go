package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logmart/logmart/query"
	"github.com/logmart/logmart/store"
	"github.com/logmart/logmart/store/chdb"
	"github.com/logmart/logmart/store/storetest"
)

var testStore *chdb.Engine

func TestMain(m *testing.M) {
	storetest.Main(m, "server_test", func(st *chdb.Engine) { testStore = st })
}

const (
	viewerTok = "viewer-token-0123456789"
	editorTok = "editor-token-0123456789"
	scopedTok = "scoped-token-0123456789"
)

func newTestServer(t *testing.T, tokens bool, checks ...Check) *httptest.Server {
	t.Helper()
	cfg := Default()
	if tokens {
		cfg.Tokens = []TokenConfig{
			{Name: "vic", Role: RoleViewer, Token: viewerTok},
			{Name: "eddie", Role: RoleEditor, Token: editorTok},
			{Name: "pay", Role: RoleEditor, Token: scopedTok, Scopes: map[string]string{"logs": "stream IN ('payments')"}},
		}
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	runner := query.NewRunner(testStore, nil)
	s := New(cfg, Deps{Checks: checks, SQL: runner, Logs: runner, Overview: query.NewOverviewReader(runner, 0), Statements: query.NewStatements(testStore), Searches: query.NewSearches(testStore)}, nil)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts
}

func call(t *testing.T, ts *httptest.Server, method, path, token, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	if out == nil {
		out = map[string]any{"raw": string(raw)}
	}
	return resp.StatusCode, out
}

func TestAuthAndRoles(t *testing.T) {
	ts := newTestServer(t, true)
	f := func(method, path, token, body string, want int, wantErr string) {
		t.Helper()
		code, out := call(t, ts, method, path, token, body)
		if code != want {
			t.Fatalf("%s %s with %q: status %d, want %d (%v)", method, path, token, code, want, out)
		}
		if wantErr != "" && !strings.Contains(fmt.Sprint(out["error"]), wantErr) {
			t.Fatalf("%s %s: error %q, want it to contain %q", method, path, out["error"], wantErr)
		}
	}
	f("GET", "/healthz", "", "", 200, "")
	f("GET", "/api/v1/me", "", "", 401, "missing bearer token")
	f("GET", "/api/v1/me", "not-a-real-token-at-all", "", 401, "unknown or revoked token")
	f("GET", "/metrics", "", "", 401, "")
	f("GET", "/metrics", viewerTok, "", 200, "")
	f("GET", "/api/v1/me", viewerTok, "", 200, "")
	f("POST", "/api/v1/sql", viewerTok, `{"sql":"SELECT 1"}`, 403, "editor or above required")
	f("POST", "/api/v1/sql", editorTok, `{"sql":"SELECT 1"}`, 200, "")
	f("GET", "/api/v1/nope", viewerTok, "", 404, "no API route")
}

func TestSQLIsReadOnlyByTheEngine(t *testing.T) {
	ts := newTestServer(t, true)
	for _, sql := range []string{
		"INSERT INTO logs (body) VALUES ('x')",
		"DROP TABLE logs",
		"SELECT 1 SETTINGS readonly = 0",
		"CREATE TABLE evil (a UInt8) ENGINE = Memory",
	} {
		code, out := call(t, ts, "POST", "/api/v1/sql", editorTok, mustJSON(map[string]string{"sql": sql}))
		if code != 403 {
			t.Fatalf("%q: status %d (%v), want 403", sql, code, out)
		}
	}
	code, out := call(t, ts, "POST", "/api/v1/sql", editorTok, `{"sql":"SELEC 1"}`)
	if code != 400 || !strings.Contains(fmt.Sprint(out["error"]), "Syntax error") {
		t.Fatalf("syntax error: %d %v", code, out)
	}
}

func TestBadRequestsNameTheField(t *testing.T) {
	ts := newTestServer(t, false)
	f := func(method, path, body string, want int, wantErr string) {
		t.Helper()
		code, out := call(t, ts, method, path, "", body)
		if code != want || !strings.Contains(fmt.Sprint(out["error"]), wantErr) {
			t.Fatalf("%s %s %q: %d %v, want %d %q", method, path, body, code, out, want, wantErr)
		}
	}
	f("POST", "/api/v1/sql", `{"sql": 5}`, 400, `field "sql" must be string`)
	f("POST", "/api/v1/sql", `{"sql": "SELECT 1", "extra": 1}`, 400, `unknown field "extra"`)
	f("POST", "/api/v1/sql", `{"sql": `, 400, "not valid JSON")
	f("POST", "/api/v1/sql", `{"sql": ""}`, 400, "sql: statement is empty")
	f("POST", "/api/v1/sql", `{"sql":"`+strings.Repeat("x", 2<<20)+`"}`, 413, "larger than")
	f("GET", "/api/v1/logs?from=yesterday", "", 400, `from: "yesterday" is not a time`)
	f("GET", "/api/v1/logs?limit=ten", "", 400, `limit "ten" is not a whole number`)
	f("GET", "/api/v1/logs?limit=100000", "", 400, "limit must be between 1 and 10000")
	f("GET", "/api/v1/overview?minutes=-1", "", 400, "minutes must be between")
	// Issue 13: an unknown level searched for nothing and answered 200 with
	// no rows, so a typo read as "no errors".
	f("GET", "/api/v1/logs?level=bogus", "", 400, `level "bogus" must be one of trace, debug, info, warn, error, fatal`)
	f("GET", "/api/v1/logs?level=error", "", 200, "")
}

// Issue 13: a wrong method on an existing API path answered 404 "no API
// route", which reads as a wrong URL. It is a 405 with an Allow header; an
// unknown path stays 404.
func TestWrongMethodIs405(t *testing.T) {
	ts := newTestServer(t, false)
	f := func(method, path string, want int, wantAllow, wantErr string) {
		t.Helper()
		req, _ := http.NewRequest(method, ts.URL+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want || resp.Header.Get("Allow") != wantAllow || !strings.Contains(string(raw), wantErr) {
			t.Fatalf("%s %s: %d Allow %q %s, want %d Allow %q and %q", method, path, resp.StatusCode, resp.Header.Get("Allow"), raw, want, wantAllow, wantErr)
		}
	}
	f("DELETE", "/api/v1/logs", 405, "GET", "method DELETE is not allowed on /api/v1/logs; use GET")
	f("GET", "/api/v1/sql", 405, "POST", "use POST")
	f("POST", "/api/v1/logs/", 405, "GET", "")
	f("GET", "/api/v1/nope", 404, "", "no API route GET /api/v1/nope")
}

func TestScopesAreEnforcedByTheEngine(t *testing.T) {
	ctx := context.Background()
	if err := testStore.Exec(ctx, store.Query{SQL: "INSERT INTO logs (timestamp, stream, service, body) VALUES (now64(3), 'payments', 'pay', 'p1'), (now64(3), 'web', 'web', 'w1'), (now64(3), 'web', 'web', 'w2')"}); err != nil {
		t.Fatal(err)
	}
	ts := newTestServer(t, true)
	// Ad-hoc SQL could read around a scope through table functions
	// (merge(), remote()), so scoped tokens cannot send it at all.
	code, out := call(t, ts, "POST", "/api/v1/sql", scopedTok, `{"sql":"SELECT count() FROM merge(currentDatabase(), '^logs$')"}`)
	if code != 403 || !strings.Contains(fmt.Sprint(out["error"]), "scoped") {
		t.Fatalf("scoped SQL: %d %v", code, out)
	}
	// The log search runs with the scope as a table filter applied by the
	// engine; no parameter value widens it.
	for _, q := range []string{
		"/api/v1/logs?from=0&limit=1000",
		"/api/v1/logs?from=0&limit=1000&stream=web",
		"/api/v1/logs?from=0&limit=1000&service=" + url.QueryEscape("web' OR 1=1 --"),
		"/api/v1/logs?from=0&limit=1000&q=" + url.QueryEscape("') OR stream = 'web"),
	} {
		code, out := call(t, ts, "GET", q, scopedTok, "")
		if code != 200 {
			t.Fatalf("%s: %d %v", q, code, out)
		}
		for _, r := range out["rows"].([]any) {
			if stream := r.([]any)[5]; stream != "payments" {
				t.Fatalf("%s: scoped token saw stream %v", q, stream)
			}
		}
	}
	code, out = call(t, ts, "GET", "/api/v1/logs?from=0&limit=1000", editorTok, "")
	if code != 200 || len(out["rows"].([]any)) < 3 {
		t.Fatalf("unscoped search: %d %v", code, out)
	}
}

func TestReadyzReflectsChecks(t *testing.T) {
	bad := Check{Name: "kafka", Fn: func(context.Context) error { return errors.New("no brokers") }}
	ts := newTestServer(t, false, Check{Name: "clickhouse", Fn: testStore.Ping}, bad)
	code, out := call(t, ts, "GET", "/readyz", "", "")
	if code != 503 || out["ready"] != false {
		t.Fatalf("readyz with a failing check: %d %v", code, out)
	}
	ts = newTestServer(t, false, Check{Name: "clickhouse", Fn: testStore.Ping})
	if code, out := call(t, ts, "GET", "/readyz", "", ""); code != 200 {
		t.Fatalf("readyz: %d %v", code, out)
	}
}

func TestInternalErrorsHideDetails(t *testing.T) {
	ts := newTestServer(t, false)
	// Overview on a store whose logs table is gone would be internal; use a
	// handler error directly instead.
	code, out := call(t, ts, "GET", "/api/v1/overview", "", "")
	if code != 200 {
		t.Fatalf("overview: %d %v", code, out)
	}
	if _, ok := out["totals"]; !ok {
		t.Fatalf("overview has no totals: %v", out)
	}
}

func TestNoTokensNeedsLoopback(t *testing.T) {
	cfg := Default()
	cfg.HTTPAddr = "0.0.0.0:8080"
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "not a loopback address") {
		t.Fatalf("err = %v", err)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestSQLCannotWriteFilesOrChain(t *testing.T) {
	// Regression: INTO OUTFILE is carried out by the embedded engine itself,
	// read-only session or not, so an editor could write a file on the
	// server through /api/v1/sql.
	ts := newTestServer(t, true)
	out := filepath.Join(t.TempDir(), "x.tsv")
	for _, sql := range []string{
		"SELECT 1 INTO OUTFILE '" + out + "'",
		"SELECT 1 INTO OUTFILE '" + out + "' FORMAT TSV",
		"SELECT 1; SELECT 1 INTO OUTFILE '" + out + "'",
		"SELECT * FROM file('/etc/passwd', 'LineAsString')",
		"SELECT * FROM url('http://127.0.0.1:1/', 'LineAsString')",
		"SELECT 1 FORMAT TSV",
	} {
		code, body := call(t, ts, "POST", "/api/v1/sql", editorTok, mustJSON(map[string]string{"sql": sql}))
		if code != 403 && code != 400 {
			t.Fatalf("%q: status %d (%v), want a refusal", sql, code, body)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("a file was written through /api/v1/sql")
	}
	code, body := call(t, ts, "POST", "/api/v1/sql", editorTok, `{"sql":"SELECT count() FROM numbers(10)"}`)
	if code != 200 {
		t.Fatalf("numbers(): %d %v", code, body)
	}
}
