package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/logmart/logmart/query"
)

// newServer is newTestServer with the config changed by mod, deps.UI set
// to ui and the log written to log (nil: discarded).
func newServer(t *testing.T, mod func(*Config), ui http.Handler, log *slog.Logger) *httptest.Server {
	t.Helper()
	cfg := Default()
	if mod != nil {
		mod(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	runner := query.NewRunner(testStore, nil)
	ts := httptest.NewServer(New(cfg, Deps{SQL: runner, Logs: runner, UI: ui}, log).Handler())
	t.Cleanup(ts.Close)
	return ts
}

// request is one request with the headers given as "Name: value" lines.
func request(t *testing.T, ts *httptest.Server, method, path, body string, headers ...string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ": ")
		if name == "Host" {
			req.Host = value
		} else {
			req.Header.Set(name, value)
		}
	}
	return send(t, req)
}

func send(t *testing.T, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := map[string]any{}
	if json.Unmarshal(raw, &out) != nil {
		out = map[string]any{"raw": string(raw)}
	}
	return resp.StatusCode, out
}

const jsonCT = "Content-Type: application/json"

// Regression: the server answered any Host, so a page on an attacker's
// domain that re-resolved to 127.0.0.1 (DNS rebinding) read and wrote
// through the no-token server as the local admin.
func TestHostMustBeAllowed(t *testing.T) {
	f := func(ts *httptest.Server, host string, want int) {
		t.Helper()
		code, out := request(t, ts, "GET", "/api/v1/me", "", "Host: "+host)
		if code != want {
			t.Fatalf("Host %q: status %d (%v), want %d", host, code, out, want)
		}
		if want == 403 && !strings.Contains(fmt.Sprint(out["error"]), "server.allowed_hosts") {
			t.Fatalf("Host %q: error %v does not say what to change", host, out["error"])
		}
	}
	ts := newServer(t, nil, nil, nil)
	f(ts, "rebind.attacker.example", 403)
	f(ts, "rebind.attacker.example:8080", 403)
	f(ts, "127.0.0.1.attacker.example", 403)
	f(ts, "localhost.attacker.example:8080", 403)
	f(ts, "127.0.0.1:8080", 200)
	f(ts, "127.0.0.1", 200)
	f(ts, "localhost:8080", 200)
	f(ts, "LocalHost:1234", 200)
	f(ts, "[::1]:8080", 200)
	f(ts, "[::1]", 200)
	code, out := request(t, ts, "POST", "/api/v1/sql", `{"sql":"SELECT 1"}`, jsonCT, "Host: rebind.attacker.example")
	if code != 403 {
		t.Fatalf("rebound POST: %d %v", code, out)
	}
	code, _ = request(t, ts, "GET", "/healthz", "", "Host: rebind.attacker.example")
	if code != 403 {
		t.Fatalf("rebound /healthz: %d", code)
	}

	// A configured list replaces the default; an entry with a port allows
	// that port only.
	ts = newServer(t, func(c *Config) { c.AllowedHosts = []string{"logs.example.com", "ops.example.com:8443"} }, nil, nil)
	f(ts, "logs.example.com", 200)
	f(ts, "logs.example.com:443", 200)
	f(ts, "ops.example.com:8443", 200)
	f(ts, "ops.example.com:9000", 403)
	f(ts, "localhost:8080", 403)

	// The default follows http_addr's host.
	ts = newServer(t, func(c *Config) { c.HTTPAddr = "127.0.0.2:8080" }, nil, nil)
	f(ts, "127.0.0.2:8080", 200)
	f(ts, "localhost", 200)
	f(ts, "rebind.attacker.example", 403)

	// A server on every interface needs tokens, which a rebinding page does
	// not hold; it answers any Host unless allowed_hosts says otherwise.
	ts = newServer(t, func(c *Config) {
		c.HTTPAddr = "0.0.0.0:8080"
		c.Tokens = []TokenConfig{{Name: "vic", Role: RoleViewer, Token: viewerTok}}
	}, nil, nil)
	if code, out := request(t, ts, "GET", "/api/v1/me", "", "Host: logs.example.com", "Authorization: Bearer "+viewerTok); code != 200 {
		t.Fatalf("0.0.0.0 with tokens: %d %v", code, out)
	}
}

// Regression: a page on any site could POST to the no-token server (a
// form, or fetch with mode no-cors) and run SQL, reload rules or create
// links as the local admin; neither Origin nor Sec-Fetch-Site was read.
func TestCrossSiteWritesRefused(t *testing.T) {
	ts := newServer(t, nil, nil, nil)
	self := "Origin: " + ts.URL
	f := func(method, path, body string, want int, headers ...string) {
		t.Helper()
		code, out := request(t, ts, method, path, body, headers...)
		if code != want {
			t.Fatalf("%s %s %v: status %d (%v), want %d", method, path, headers, code, out, want)
		}
		if want == 403 && !strings.Contains(fmt.Sprint(out["error"]), "cross-site") {
			t.Fatalf("%s %s %v: error %v", method, path, headers, out["error"])
		}
	}
	sql := `{"sql":"SELECT 1"}`
	f("POST", "/api/v1/sql", sql, 403, jsonCT, "Origin: https://attacker.example")
	f("POST", "/api/v1/sql", sql, 403, jsonCT, "Origin: http://localhost.attacker.example:8080")
	f("POST", "/api/v1/sql", sql, 403, jsonCT, "Origin: null")
	f("POST", "/api/v1/sql", sql, 403, jsonCT, "Sec-Fetch-Site: cross-site")
	f("POST", "/api/v1/sql", sql, 403, jsonCT, self, "Sec-Fetch-Site: cross-site")
	f("POST", "/api/v1/streams/reload", "", 403, "Origin: https://attacker.example")
	f("POST", "/api/v1/links/x/run", "", 403, "Sec-Fetch-Site: cross-site")
	f("DELETE", "/api/v1/links/x", "", 403, "Origin: https://attacker.example")
	// The UI itself, and clients that are not browsers.
	f("POST", "/api/v1/sql", sql, 200, jsonCT, self, "Sec-Fetch-Site: same-origin")
	f("POST", "/api/v1/sql", sql, 200, jsonCT, "Origin: http://localhost:8080")
	f("POST", "/api/v1/sql", sql, 200, jsonCT)
	// Reads are not state-changing; the Host check guards them.
	f("GET", "/api/v1/me", "", 200, "Origin: https://attacker.example", "Sec-Fetch-Site: cross-site")
}

// Regression: bodies were taken as JSON whatever they were declared as, so
// a cross-site form could post text/plain, which needs no CORS preflight;
// the check was a prefix test ("application/jsonx" passed) and a missing
// Content-Type was accepted.
func TestBodiesMustBeDeclaredJSON(t *testing.T) {
	ts := newServer(t, nil, nil, nil)
	sql := `{"sql":"SELECT 1"}`
	f := func(path, body string, want int, headers ...string) {
		t.Helper()
		code, out := request(t, ts, "POST", path, body, headers...)
		if code != want {
			t.Fatalf("POST %s %v: status %d (%v), want %d", path, headers, code, out, want)
		}
		if want == 415 && !strings.Contains(fmt.Sprint(out["error"]), "application/json") {
			t.Fatalf("POST %s %v: error %v", path, headers, out["error"])
		}
	}
	f("/api/v1/sql", sql, 415, "Content-Type: text/plain")
	f("/api/v1/sql", sql, 415, "Content-Type: text/plain; charset=utf-8")
	f("/api/v1/sql", sql, 415, "Content-Type: application/x-www-form-urlencoded")
	f("/api/v1/sql", sql, 415, "Content-Type: multipart/form-data; boundary=x")
	f("/api/v1/sql", sql, 415, "Content-Type: application/jsonx")
	f("/api/v1/sql", sql, 415, "Content-Type: application/json-patch+json")
	f("/api/v1/sql", sql, 415, "Content-Type: application/json, text/plain")
	// YAML needs a preflight too, so the browser check lets it through to
	// the handler, and a JSON endpoint refuses it there.
	f("/api/v1/sql", sql, 415, "Content-Type: application/yaml")
	f("/api/v1/sql", sql, 415)
	// Refused before routing, for a route that takes no body too.
	f("/api/v1/streams/reload", "{}", 415, "Content-Type: text/plain")
	f("/api/v1/sql", sql, 200, "Content-Type: application/json; charset=utf-8")
	f("/api/v1/sql", sql, 200, "Content-Type: Application/JSON")
	// No body, no Content-Type: only the route decides (here, none exists).
	f("/api/v1/links/x/run", "", 404)
}

// Regression: only the first JSON value was read, so a body could carry
// anything after it.
func TestTrailingDataRefused(t *testing.T) {
	ts := newServer(t, nil, nil, nil)
	f := func(body string, want int) {
		t.Helper()
		code, out := request(t, ts, "POST", "/api/v1/sql", body, jsonCT)
		if code != want {
			t.Fatalf("%q: status %d (%v), want %d", body, code, out, want)
		}
		if want == 400 && !strings.Contains(fmt.Sprint(out["error"]), "data after the JSON value") {
			t.Fatalf("%q: error %v", body, out["error"])
		}
	}
	f(`{"sql":"SELECT 1"}{"sql":"SELECT 2"}`, 400)
	f(`{"sql":"SELECT 1"} {"sql":"SELECT 2"}`, 400)
	f(`{"sql":"SELECT 1"}x`, 400)
	f(`{"sql":"SELECT 1"}]`, 400)
	f(`{"sql":"SELECT 1"}null`, 400)
	f("{\"sql\":\"SELECT 1\"}\n\t \r\n", 200)
}

// Regression: a chunked body over max_body_bytes was cut off by the limit
// and then reported as invalid JSON (400); with a Content-Length the same
// body got 413.
func TestChunkedBodyOverLimit(t *testing.T) {
	ts := newServer(t, nil, nil, nil)
	f := func(size int, chunked bool) {
		t.Helper()
		var body io.Reader = strings.NewReader(`{"sql":"` + strings.Repeat("x", size) + `"}`)
		if chunked {
			body = io.MultiReader(body) // no length known: sent chunked
		}
		req, _ := http.NewRequest("POST", ts.URL+"/api/v1/sql", body)
		req.Header.Set("Content-Type", "application/json")
		if chunked {
			req.ContentLength = -1
		}
		code, out := send(t, req)
		if code != 413 || !strings.Contains(fmt.Sprint(out["error"]), "larger than 1048576 bytes") {
			t.Fatalf("%d bytes, chunked %v: %d %v, want 413", size, chunked, code, out)
		}
	}
	f(1<<20+64<<10, true) // the last read crossed the limit and held the whole value
	f(3<<20, true)
	f(1<<20+64<<10, false)
}

// syncBuffer is a log destination tests read while the server writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
