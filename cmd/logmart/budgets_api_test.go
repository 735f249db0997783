package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

const edgeBudget = `id: edge_cap
owner: sre
scope: stream == "edge"
capacity: 20 events
period: daily
reset: "06:00"
timezone: Europe/Berlin
action: stop
notify: [log]
`

// TestBudgetsThroughTheAPI: a budget written through the API is checked
// like a file (the field at fault named, nothing stored), is enforced by
// ingest at once, stops being enforced when deleted, and promotes and
// verifies byte for byte like dashboards (--kind budget).
func TestBudgetsThroughTheAPI(t *testing.T) {
	root := t.TempDir()
	dev := startInstance(t, root, "dev")
	prod := startInstance(t, root, "prod")

	refusedPuts(t, dev, "/api/v1/budgets/edge_cap", []refusal{
		{strings.Replace(edgeBudget, `stream == "edge"`, `stream ==`, 1), "scope: "},
		{strings.Replace(edgeBudget, "20 events", "5 bananas", 1), `capacity: `},
		{strings.Replace(edgeBudget, "Europe/Berlin", "Mars/Olympus_Mons", 1), "timezone: "},
		{strings.Replace(edgeBudget, `"06:00"`, `"25:00"`, 1), "reset: "},
		{strings.Replace(edgeBudget, "[log]", "[pager]", 1), `notify[0]: no channel \"pager\" in alerts.channels`},
		{strings.Replace(edgeBudget, "action: stop", "action: shred", 1), `action: \"shred\" is not keep, stop or archive-only`},
		{edgeBudget + "dashboard: nowhere\n", `dashboard: no dashboard has uid \"nowhere\"`},
		{edgeBudget + "colour: red\n", `unknown key \"colour\"`},
		{"id: [", "line 1: malformed YAML"},
	})

	// Written through the API, enforced at once: 20 of 50 edge records
	// stored, every other stream untouched.
	if code, _, b := dev.call(t, "PUT", "/api/v1/budgets/edge_cap", "application/yaml", edgeBudget); code != http.StatusCreated {
		t.Fatalf("create on dev: %d %s", code, b)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(dev.kafka))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	produce := func(stream string, n int, tag string) {
		t.Helper()
		var recs []*kgo.Record
		for i := range n {
			recs = append(recs, &kgo.Record{Topic: "logs", Headers: []kgo.RecordHeader{{Key: "logmart-stream", Value: []byte(stream)}},
				Value: fmt.Appendf(nil, `{"level":"info","service":"svc","message":"%s %s %d"}`, tag, stream, i)})
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	count := func(q string) float64 { return dev.sql(t, q)[0][0].(float64) }
	produce("edge", 50, "first")
	produce("other", 50, "first")
	waitUntil(t, "the other stream's 50 rows", 60*time.Second, func() bool { return count("SELECT count() FROM logs WHERE stream = 'other'") == 50 })
	waitUntil(t, "the budget's usage of 50", 30*time.Second, func() bool {
		return count("SELECT sum(events) FROM budget_usage WHERE budget = 'edge_cap'") == 50
	})
	if n := count("SELECT count() FROM logs WHERE stream = 'edge'"); n != 20 {
		t.Fatalf("edge rows under a 20-event stop budget written through the API: %g", n)
	}

	// The status lists it with its definition's hash and source.
	_, hdr, _ := dev.call(t, "GET", "/api/v1/budgets/edge_cap", "", "")
	_, _, list := dev.call(t, "GET", "/api/v1/budgets", "", "")
	var st struct {
		Budgets []struct{ ID, Hash, Source, State string } `json:"budgets"`
	}
	if err := json.Unmarshal([]byte(list), &st); err != nil || len(st.Budgets) != 1 {
		t.Fatalf("GET /api/v1/budgets: %v %s", err, list)
	}
	if b := st.Budgets[0]; b.ID != "edge_cap" || `"`+b.Hash+`"` != hdr.Get("ETag") || b.Source != "api" || b.State != "exceeded" {
		t.Fatalf("status %+v, ETag %s", b, hdr.Get("ETag"))
	}

	// The recorded usage replays against the budget, and against a
	// proposed one with room for it.
	backtest := func(args ...string) (string, error) {
		cmd := exec.Command(binPath, append([]string{"budgets", "backtest", "--server", "http://" + dev.http, "--json"}, args...)...)
		cmd.Env = append(os.Environ(), "LOGMART_TOKEN="+dev.token)
		b, err := cmd.CombinedOutput()
		return string(b), err
	}
	var bt struct {
		Summary struct{ Periods, Exceeded int } `json:"summary"`
	}
	out, err := backtest("--budget", "edge_cap", "--from", "now-2h")
	if err != nil {
		t.Fatalf("backtest of the recorded usage: %v\n%s", err, out)
	}
	if err := json.Unmarshal([]byte(out), &bt); err != nil || bt.Summary.Periods < 1 || bt.Summary.Exceeded != 1 {
		t.Fatalf("backtest of the recorded usage: %v %+v\n%s", err, bt, out)
	}
	proposed := filepath.Join(root, "proposed.yaml")
	if err := os.WriteFile(proposed, []byte(strings.Replace(edgeBudget, "20 events", "1000 events", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err = backtest("--file", proposed, "--from", "now-2h"); err != nil {
		t.Fatalf("backtest of a proposed budget: %v\n%s", err, out)
	}
	if err := json.Unmarshal([]byte(out), &bt); err != nil || bt.Summary.Exceeded != 0 {
		t.Fatalf("backtest of a proposed budget: %v %+v\n%s", err, bt, out)
	}
	if out, err := backtest("--budget", "edge_cap", "--from", "now", "--to", "now-1h"); err == nil || !strings.Contains(out, "must be before to") {
		t.Fatalf("a reversed range: %v %s", err, out)
	}
	if out, err := backtest("--budget", "nope", "--from", "now-1h"); err == nil || !strings.Contains(out, "budget nope: ") {
		t.Fatalf("an unknown budget: %v %s", err, out)
	}

	// Promoted to prod unchanged; verify proves it.
	run := promoteCLI(t, root, "budget", dev, prod)
	if out, code := run("verify"); code != 1 || !strings.Contains(out, "drift in 1 of 1 budget(s)") {
		t.Fatalf("verify before promotion: exit %d\n%s", code, out)
	}
	if out, code := run("promote", "--from", "dev", "--to", "prod"); code != 0 || !strings.Contains(out, "edge_cap") {
		t.Fatalf("promote: exit %d\n%s", code, out)
	}
	_, devHdr, devBody := dev.call(t, "GET", "/api/v1/budgets/edge_cap", "", "", "Accept", "application/yaml")
	_, prodHdr, prodBody := prod.call(t, "GET", "/api/v1/budgets/edge_cap", "", "", "Accept", "application/yaml")
	if devBody != prodBody || devHdr.Get("ETag") != prodHdr.Get("ETag") {
		t.Fatalf("prod holds other bytes:\n%s\n---\n%s", devBody, prodBody)
	}
	if out, code := run("verify"); code != 0 {
		t.Fatalf("verify after promotion: exit %d\n%s", code, out)
	}

	// Deleted: no longer enforced, edge records are stored again.
	if code, _, b := dev.call(t, "DELETE", "/api/v1/budgets/edge_cap", "", "", "If-Match", devHdr.Get("ETag")); code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", code, b)
	}
	produce("edge", 10, "after")
	waitUntil(t, "edge rows after the delete", 60*time.Second, func() bool { return count("SELECT count() FROM logs WHERE stream = 'edge'") == 30 })
}

// sql runs q through the instance's API with its token.
func (in *instance) sql(t *testing.T, q string) [][]any {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"sql": q})
	code, _, raw := in.call(t, "POST", "/api/v1/sql", "application/json", string(body))
	if code != http.StatusOK {
		t.Fatalf("%s: %d %s", q, code, raw)
	}
	var out struct{ Rows [][]any }
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		t.Fatal(err)
	}
	return out.Rows
}
