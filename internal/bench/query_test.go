package bench

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Issue 13: `logmart bench query` printed 30 INFO lines (engine start, a
// line per schema step and per template version recorded) before its
// table. The parts it starts now log warnings only; the benchmark's own
// progress line stays.
//
// The embedded engine boots once per process on one folder and the ingest
// benchmark's tests have booted it already, so the test runs itself again
// in a process of its own.
func TestQueryLogsItsOwnProgressOnly(t *testing.T) {
	if os.Getenv("LOGMART_BENCH_QUERY_CHILD") == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestQueryLogsItsOwnProgressOnly$", "-test.count=1")
		cmd.Env = append(os.Environ(), "LOGMART_BENCH_QUERY_CHILD=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "PASS") {
			t.Fatalf("the test in its own process failed (%v):\n%s", err, out)
		}
		return
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	dir := t.TempDir()
	tmpl := "id: bench_probe\nversion: 1\ntitle: Probe\nvisualization: table\nsql: SELECT count() AS n FROM logs WHERE timestamp >= {from:DateTime64(3)} AND timestamp < {to:DateTime64(3)}\n"
	if err := os.WriteFile(dir+"/bench_probe.yaml", []byte(tmpl), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Query(context.Background(), QueryOptions{Rows: 1000, Runs: 1, Clients: 1, Panels: 1, TemplatesDir: dir, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Templates) != 1 {
		t.Fatalf("%d templates timed, want 1", len(res.Templates))
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "generating rows") {
		t.Fatalf("bench query logged %d lines, want its progress line alone:\n%s", len(lines), buf.String())
	}
}
