package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBudgetsBacktestSeries runs the documented interface on a CSV: a
// week of flat usage, then a day that doubles from noon and crosses the
// cap; the forecast catches it in advance, and the JSON has the
// documented fields.
func TestBudgetsBacktestSeries(t *testing.T) {
	var b strings.Builder
	b.WriteString("timestamp,value\n")
	start := time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)
	for i := 1; i <= 8*24*12; i++ {
		at := start.Add(time.Duration(i) * 5 * time.Minute)
		v := 100.0
		if i > 7*24*12 && at.Hour() >= 12 {
			v = 300
		}
		fmt.Fprintf(&b, "%s,%g\n", at.Format(time.RFC3339), v)
	}
	csv := filepath.Join(t.TempDir(), "usage.csv")
	if err := os.WriteFile(csv, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	// A flat day is 28800; the last one is 14400 + 43200 = 57600.
	out, err := exec.Command(binPath, "budgets", "backtest", "--series", csv, "--capacity", "40000", "--period", "daily", "--json").CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var res struct {
		Alerts []struct {
			State    string  `json:"state"`
			Lead     float64 `json:"lead_time_seconds"`
			Forecast float64 `json:"forecast"`
		} `json:"alerts"`
		Summary map[string]float64 `json:"summary"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for _, k := range []string{"periods", "exceeded", "caught_in_advance", "missed", "false_alarms", "median_lead_time_seconds"} {
		if _, ok := res.Summary[k]; !ok {
			t.Errorf("summary lacks %s: %s", k, out)
		}
	}
	if res.Summary["exceeded"] != 1 || res.Summary["caught_in_advance"] != 1 || res.Summary["false_alarms"] != 0 || res.Summary["median_lead_time_seconds"] < 3600 {
		t.Fatalf("summary %v", res.Summary)
	}
	for _, bad := range [][]string{{"--series", csv}, {"--series", csv, "--capacity", "5 bananas"}, {"--series", csv, "--capacity", "9", "--timezone", "Mars/Olympus"}} {
		out, err := exec.Command(binPath, append([]string{"budgets", "backtest"}, bad...)...).CombinedOutput()
		if err == nil || strings.Count(strings.TrimSpace(string(out)), "\n") > 0 {
			t.Errorf("%v: want one line and a failure, got %v %s", bad, err, out)
		}
	}
}
