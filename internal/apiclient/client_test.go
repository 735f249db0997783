package apiclient

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// seen is one request as a server received it.
type seen struct {
	method, uri, auth, contentType, source, body string
}

// answering serves every request with status, content type and body, and
// records what it received.
func answering(t *testing.T, status int, contentType, body string) (*httptest.Server, *seen) {
	t.Helper()
	got := &seen{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		*got = seen{r.Method, r.RequestURI, r.Header.Get("Authorization"), r.Header.Get("Content-Type"), r.Header.Get("X-Logmart-Source"), string(b)}
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(ts.Close)
	return ts, got
}

func newClient(t *testing.T, server, token string, timeout time.Duration) *Client {
	t.Helper()
	c, err := New(Config{Server: server, Token: token, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRequests: the token, the source and, on bodies only, the JSON
// Content-Type; path parameters escaped; a base URL's path kept.
func TestRequests(t *testing.T) {
	ts, got := answering(t, 200, "application/json", `{"id":"abc","params":{"limit":5},"from":"2026-11-21T09:00:00Z","to":"2026-11-21T10:00:00Z","created_at":"2026-11-21T10:00:00Z"}`)
	ctx := context.Background()

	c := newClient(t, ts.URL+"/", "tok-123", time.Minute)
	l, err := c.CreateLink(ctx, LinkRequest{Template: "log_search", Params: map[string]string{"limit": "5", "services": "a,b"}, From: "last 1h"})
	if err != nil {
		t.Fatal(err)
	}
	want := seen{"POST", "/api/v1/links", "Bearer tok-123", "application/json", "cli",
		`{"template":"log_search","params":{"limit":"5","services":"a,b"},"from":"last 1h","snapshot":false}`}
	if *got != want {
		t.Fatalf("sent %+v\nwant %+v", *got, want)
	}
	if l.ID != "abc" || string(l.Params) != `{"limit":5}` || !strings.HasPrefix(string(l.Raw), `{"id":"abc"`) {
		t.Fatalf("decoded %+v", l)
	}

	c = newClient(t, ts.URL+"/prefix", "", time.Minute)
	if _, err := c.Link(ctx, "a/b c?"); err != nil {
		t.Fatal(err)
	}
	want = seen{"GET", "/prefix/api/v1/links/a%2Fb%20c%3F", "", "", "cli", ""}
	if *got != want {
		t.Fatalf("sent %+v\nwant %+v", *got, want)
	}
}

// TestErrorAnswers: every error answer is one line: the server's message,
// or the status when there is none.
func TestErrorAnswers(t *testing.T) {
	f := func(status int, contentType, body, want string) {
		t.Helper()
		ts, _ := answering(t, status, contentType, body)
		_, err := newClient(t, ts.URL, "", time.Minute).SQL(context.Background(), SQLRequest{SQL: "SELECT 1"})
		var e *Error
		if !errors.As(err, &e) || e.Status != status || err.Error() != want {
			t.Fatalf("%d %q: error %v, want %d %q", status, body, err, status, want)
		}
	}
	f(400, "application/json", `{"error":"param \"limit\": \"x\" is not an int"}`, `param "limit": "x" is not an int`)
	f(400, "application/json", `{"error":"templates/a.yaml:3: bad\n  templates/b.yaml:9: worse\n"}`, "templates/a.yaml:3: bad; templates/b.yaml:9: worse")
	f(401, "application/json", `{"error":"authentication required"}`, "authentication required (set LOGMART_TOKEN)")
	f(429, "application/json", `{"error":"links: alice may create at most 10 links a minute"}`, "links: alice may create at most 10 links a minute")
	f(502, "text/plain; charset=utf-8", "upstream is down\nmore detail\n", "server answered 502 Bad Gateway: upstream is down")
	f(502, "text/html", "<html><body>Bad Gateway</body></html>", "server answered 502 Bad Gateway")
	f(500, "application/json", `{"error":"`+strings.Repeat("é", 3000)+`"}`, strings.Repeat("é", maxErrorText/2)+"…")

	ts, _ := answering(t, 200, "application/json", `not json`)
	_, err := newClient(t, ts.URL, "", time.Minute).SQL(context.Background(), SQLRequest{SQL: "SELECT 1"})
	if err == nil || !strings.HasPrefix(err.Error(), "cannot decode the server's answer to POST /api/v1/sql: ") {
		t.Fatalf("a 200 that is not JSON: %v", err)
	}
}

// TestNoAnswer: a server that is not there, or does not answer in time,
// is one line naming it.
func TestNoAnswer(t *testing.T) {
	ts, _ := answering(t, 200, "application/json", `{}`)
	ts.Close()
	_, err := newClient(t, ts.URL, "", time.Minute).SQL(context.Background(), SQLRequest{SQL: "SELECT 1"})
	if err == nil || !strings.HasPrefix(err.Error(), "cannot reach the server at "+ts.URL+" (is `logmart serve` running?): ") {
		t.Fatalf("stopped server: %v", err)
	}

	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) })
	_, err = newClient(t, slow.URL, "", 50*time.Millisecond).SQL(context.Background(), SQLRequest{SQL: "SELECT 1"})
	if want := fmt.Sprintf("the server at %s did not answer within 50ms (--timeout)", slow.URL); err == nil || err.Error() != want {
		t.Fatalf("slow server: %v, want %q", err, want)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = newClient(t, slow.URL, "", time.Minute).SQL(ctx, SQLRequest{SQL: "SELECT 1"})
	if want := "stopped before the server at " + slow.URL + " answered"; err == nil || err.Error() != want {
		t.Fatalf("cancelled: %v, want %q", err, want)
	}
}

func TestConfigValidate(t *testing.T) {
	f := func(server string, timeout time.Duration, want string) {
		t.Helper()
		err := Config{Server: server, Timeout: timeout}.Validate()
		if want == "" && err != nil || want != "" && (err == nil || err.Error() != want) {
			t.Fatalf("%q %s: %v, want %q", server, timeout, err, want)
		}
	}
	f("http://127.0.0.1:8080", time.Minute, "")
	f("https://logmart.example.com/prefix/", time.Second, "")
	f(DefaultConfig().Server, DefaultConfig().Timeout, "")
	for _, bad := range []string{"", "127.0.0.1:8080", "localhost", "ftp://h", "http://", "http://h?x=1", "http://h#top", "http://u:p@h", "http://h\x00"} {
		f(bad, time.Minute, fmt.Sprintf("--server %q is not a server URL such as http://127.0.0.1:8080", bad))
	}
	f("http://h", 0, "--timeout must be positive, got 0s")
}

// Issue 13: every client command took its server from --server only, so a
// user working against one remote server had to repeat it on each call.
// LOGMART_SERVER now sets the default, --server still wins, and a bad value
// from the environment is named as such.
func TestServerEnv(t *testing.T) {
	t.Setenv(ServerEnv, "")
	if got := DefaultConfig().Server; got != LocalServer {
		t.Fatalf("without $%s: %q, want %q", ServerEnv, got, LocalServer)
	}
	t.Setenv(ServerEnv, "https://logs.example.com")
	cfg := DefaultConfig()
	if cfg.Server != "https://logs.example.com" {
		t.Fatalf("with $%s: %q", ServerEnv, cfg.Server)
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	if err := fs.Parse([]string{"--server", "http://127.0.0.1:9999"}); err != nil {
		t.Fatal(err)
	}
	if cfg.Server != "http://127.0.0.1:9999" {
		t.Fatalf("--server did not override $%s: %q", ServerEnv, cfg.Server)
	}
	t.Setenv(ServerEnv, "logs.example.com")
	want := `$LOGMART_SERVER "logs.example.com" is not a server URL such as http://127.0.0.1:8080`
	if err := DefaultConfig().Validate(); err == nil || err.Error() != want {
		t.Fatalf("bad $%s: %v, want %q", ServerEnv, err, want)
	}
}
