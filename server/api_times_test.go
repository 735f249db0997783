package server

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/logmart/logmart/query"
)

// newTimesServer serves the log search, the shipped templates and links,
// every path that takes a time, with no tokens.
func newTimesServer(t *testing.T) *httptest.Server {
	t.Helper()
	qcfg := query.DefaultConfig()
	qcfg.Dir = shippedTemplates
	runner := query.NewRunner(testStore, nil)
	cat := query.NewCatalog(qcfg, runner, nil)
	if err := cat.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	cfg := Default()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	s := New(cfg, Deps{Logs: runner, Templates: cat, Links: query.NewLinks(testStore, cat, query.LinkOptions{})}, nil)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts
}

// TestLogSearchReadsRelativeTimes: before the log search read times with
// query's grammar, it took only RFC 3339 and unix times, and
// from=now-1h answered 400 "from "now-1h" is not a time".
func TestLogSearchReadsRelativeTimes(t *testing.T) {
	ts := newTimesServer(t)
	for _, q := range []string{
		"from=now-1h&to=now",
		"from=15m",
		"from=last+1h",
		"from=" + url.QueryEscape("now-1d/d Europe/Paris") + "&to=" + url.QueryEscape("now/d+1d"),
		"from=2026-11-21+10:00&to=" + url.QueryEscape("2026-11-21T12:00:00+01:00"),
		"from=0&to=1795248000000",
	} {
		if code, out := call(t, ts, "GET", "/api/v1/logs?"+q, "", ""); code != 200 {
			t.Fatalf("GET /api/v1/logs?%s: %d %v", q, code, out)
		}
	}
}

// TestTimesReadAlikeOnEveryPath: the log search, template runs and links
// refuse a bad time with the same words, naming the end at fault.
func TestTimesReadAlikeOnEveryPath(t *testing.T) {
	ts := newTimesServer(t)
	for _, bad := range []string{
		"yesterday",
		"now-307445735m", // used to wrap around to 26 s ago
		"now/d Europe/Pari",
		"now/q",
		"2026-13-01",
		"9999-01-01T00:00:00Z",
		"1h; DROP TABLE logs",
		"\u202enow\x00",
		strings.Repeat("A", 5000),
	} {
		_, err := query.ParseTime(bad, time.Now())
		if err == nil {
			t.Fatalf("%q is a time", bad)
		}
		want := "from: " + err.Error()
		f := func(method, path, body string) {
			t.Helper()
			code, out := call(t, ts, method, path, "", body)
			if code != 400 || fmt.Sprint(out["error"]) != want {
				t.Fatalf("%s %s %.100s: %d %.300v, want 400 %.300q", method, path, body, code, out["error"], want)
			}
		}
		f("GET", "/api/v1/logs?from="+url.QueryEscape(bad), "")
		f("POST", "/api/v1/query", mustJSON(map[string]any{"template": "log_search", "from": bad}))
		f("POST", "/api/v1/links", mustJSON(map[string]any{"template": "log_search", "from": bad}))
	}
}
