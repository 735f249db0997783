package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
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

// TestMetricsPassPromtool: a running server's /metrics, after ingest and
// the pipeline have consumed, passes promtool check metrics (names, units,
// help, types), and exports every pipeline metric the shipped rules alert
// on, so a renamed metric cannot leave an alert that never fires.
func TestMetricsPassPromtool(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	s := startServer(t, data, freePort(t), freePort(t))
	defer s.stop()
	produceIDs(t, s.kafka, 0, 50)
	producePipelineLogin(t, s.kafka)
	ready := func(body []byte) bool {
		return bytes.Contains(body, []byte("logmart_ingest_rows_written_total{")) &&
			bytes.Contains(body, []byte("logmart_pipeline_consumer_lag_records{"))
	}
	deadline := time.Now().Add(60 * time.Second)
	var body []byte
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + s.http + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if ready(body) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if !ready(body) {
		t.Fatalf("no ingest or pipeline metrics after a minute:\n%.2000s", body)
	}
	promtool(t, body, "check", "metrics")

	rules, err := os.ReadFile(filepath.Join("..", "..", "configs", "prometheus", "logmart-rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	names := regexp.MustCompile(`logmart_pipeline_[a-z_]+`).FindAllString(string(rules), -1)
	if len(names) < 3 {
		t.Fatalf("the rules name %d pipeline metrics, want the three pipeline alerts' at least", len(names))
	}
	for _, name := range names {
		if !regexp.MustCompile(`(?m)^` + name + `[{ ]`).Match(body) {
			t.Errorf("the rules alert on %s, which a running pipeline does not export", name)
		}
	}
}

// producePipelineLogin sends one agent login to the pipeline's input.
func producePipelineLogin(t *testing.T, addr string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	v := fmt.Sprintf(`{"version":1,"id":"m-1","event":"login","time":%q,"tenant":"t","agent":"a1","dn":"5001"}`,
		time.Now().UTC().Format(time.RFC3339Nano))
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "voice-agentstate", Key: []byte("a1"), Value: []byte(v)}).FirstErr(); err != nil {
		t.Fatal(err)
	}
}
