package server

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/logmart/logmart/query"
)

// serve runs a server through Serve, the way logmart serve does, and
// returns its address.
func serve(t *testing.T, mod func(*Config)) string {
	t.Helper()
	cfg := Default()
	cfg.HTTPAddr = "127.0.0.1:0"
	mod(&cfg)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	runner := query.NewRunner(testStore, nil)
	s := New(cfg, Deps{SQL: runner}, nil)
	ln, err := Listen(cfg.HTTPAddr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	return ln.Addr().String()
}

// closedByServer reads conn until the server closes it; it fails the test
// if that takes longer than a generous bound.
func closedByServer(t *testing.T, conn net.Conn, r io.Reader) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, err := io.Copy(io.Discard, r)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("the server kept the connection open")
	}
}

// Regression: the server set only a header timeout, so a client could hold
// a connection and a handler by sending a body slowly, or never.
func TestReadTimeoutEndsSlowBodies(t *testing.T) {
	addr := serve(t, func(c *Config) { c.ReadTimeout = 300 * time.Millisecond })
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprint(conn, "POST /api/v1/sql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
	closedByServer(t, conn, conn)
}

// Regression: kept-alive connections were never closed for idleness.
func TestIdleTimeoutClosesKeptAliveConnections(t *testing.T) {
	addr := serve(t, func(c *Config) { c.IdleTimeout = 300 * time.Millisecond })
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprint(conn, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Close {
		t.Fatalf("/healthz: %d, close %v", resp.StatusCode, resp.Close)
	}
	closedByServer(t, conn, br)
}

// Regression: with no write timeout, a client that sent a query and never
// read the answer held the handler, and the result with it, for as long as
// it kept the connection open (20 such clients pinned 286 MB).
func TestWriteTimeoutFreesStalledClients(t *testing.T) {
	logs := &syncBuffer{}
	ts := newServer(t, func(c *Config) { c.WriteTimeout = 300 * time.Millisecond }, nil, slog.New(slog.NewJSONHandler(logs, nil)))
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// About 40 MB of JSON: more than the socket buffers hold.
	body := `{"sql":"SELECT repeat('x', 1000) AS s FROM numbers(40000)"}`
	fmt.Fprintf(conn, "POST /api/v1/sql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	line := accessLog(t, logs, "/api/v1/sql", 60*time.Second)
	if line["status"] != float64(200) {
		t.Fatalf("access log: %v", line)
	}
	if !strings.Contains(logs.String(), "response cut short") {
		t.Fatalf("the cut-off response was not logged:\n%s", logs)
	}
}

// accessLog waits for the access log line of path and returns it decoded.
func accessLog(t *testing.T, logs *syncBuffer, path string, wait time.Duration) map[string]any {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		for _, l := range strings.Split(logs.String(), "\n") {
			var m map[string]any
			if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == "http request" && m["path"] == path {
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no access log line for %s within %s:\n%s", path, wait, logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Regression: HEAD got 405 on /healthz, /readyz and the UI, which load
// balancers and uptime checkers send.
func TestHeadAnswers(t *testing.T) {
	ui := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<!doctype html>")
	})
	ts := newServer(t, nil, ui, nil)
	for _, path := range []string{"/healthz", "/readyz", "/", "/logs"} {
		resp, err := http.Head(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || len(raw) != 0 {
			t.Fatalf("HEAD %s: %d with %d body bytes", path, resp.StatusCode, len(raw))
		}
	}
}

// Regression: only "Bearer " with that case and one space was accepted;
// the scheme is case-insensitive, and clients send "bearer".
func TestBearerSchemeIsCaseInsensitive(t *testing.T) {
	ts := newTestServer(t, true)
	f := func(auth string, want int) {
		t.Helper()
		code, out := request(t, ts, "GET", "/api/v1/me", "", "Authorization: "+auth)
		if code != want {
			t.Fatalf("Authorization %q: %d %v, want %d", auth, code, out, want)
		}
	}
	f("Bearer "+viewerTok, 200)
	f("bearer "+viewerTok, 200)
	f("BEARER "+viewerTok, 200)
	f("Bearer  "+viewerTok, 200)
	f("Bearer", 401)
	f("Bearer ", 401)
	f("Bearer"+viewerTok, 401)
	f("Basic "+viewerTok, 401)
	f("bearer not-a-real-token-at-all", 401)
}

// Regression: the access log named the client from X-Forwarded-For (or
// X-Real-IP) whoever sent it, so any caller could log as any address, and
// the peer itself was not recorded.
func TestForwardedForOnlyFromTrustedProxies(t *testing.T) {
	f := func(trusted []string, xff, wantClient string) {
		t.Helper()
		logs := &syncBuffer{}
		ts := newServer(t, func(c *Config) { c.TrustedProxies = trusted }, nil, slog.New(slog.NewJSONHandler(logs, nil)))
		if code, out := request(t, ts, "GET", "/api/v1/me", "", "X-Forwarded-For: "+xff, "X-Real-IP: 192.0.2.1"); code != 200 {
			t.Fatalf("%d %v", code, out)
		}
		line := accessLog(t, logs, "/api/v1/me", 5*time.Second)
		if peer := fmt.Sprint(line["peer"]); !strings.HasPrefix(peer, "127.0.0.1:") {
			t.Fatalf("trusted %v: peer %q, want 127.0.0.1:<port>", trusted, peer)
		}
		if line["client"] != wantClient {
			t.Fatalf("trusted %v, X-Forwarded-For %q: client %v, want %s", trusted, xff, line["client"], wantClient)
		}
	}
	f(nil, "203.0.113.9", "127.0.0.1")
	f([]string{"10.0.0.0/8"}, "203.0.113.9", "127.0.0.1")
	f([]string{"127.0.0.1"}, "203.0.113.9", "203.0.113.9")
	f([]string{"127.0.0.0/8"}, "198.51.100.7, 203.0.113.9", "203.0.113.9")
	// A proxy chain: the nearest address that is not a trusted proxy.
	f([]string{"127.0.0.0/8", "10.0.0.0/8"}, "198.51.100.7, 10.1.2.3", "198.51.100.7")
}
