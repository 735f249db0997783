package main

import (
	"bytes"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// promtool runs promtool (Debian package prometheus, which make test
// installs) with args and stdin; a machine without it fails the test.
func promtool(t *testing.T, stdin []byte, args ...string) string {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatal("promtool is not installed (Debian package prometheus; make deps-system installs it)")
	}
	cmd := exec.Command(path, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestShippedPrometheusRules: the rules on logmart's own metrics load, and
// their unit tests pass (promtool test rules).
func TestShippedPrometheusRules(t *testing.T) {
	dir := filepath.Join("..", "..", "configs", "prometheus")
	promtool(t, nil, "check", "rules", filepath.Join(dir, "logmart-rules.yaml"))
	promtool(t, nil, "test", "rules", filepath.Join(dir, "logmart-rules.test.yaml"))
}

// TestMetricsPassPromtool: a running server's /metrics, after ingest has
// written, passes promtool check metrics (names, units, help, types).
func TestMetricsPassPromtool(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	s := startServer(t, data, freePort(t), freePort(t))
	defer s.stop()
	produceIDs(t, s.kafka, 0, 50)
	deadline := time.Now().Add(60 * time.Second)
	var body []byte
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + s.http + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if bytes.Contains(body, []byte("logmart_ingest_rows_written_total{")) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if !bytes.Contains(body, []byte("logmart_ingest_rows_written_total{")) {
		t.Fatalf("no ingest metrics after a minute:\n%.2000s", body)
	}
	promtool(t, body, "check", "metrics")
}
