package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestServeDemoFillsContactCenterDashboards: `logmart serve --demo` (what
// make run starts) feeds the pipeline a simulated contact center, so the
// Contact center and Pipeline health dashboards show rows within a minute
// of the server being ready, with every agent configured by name.
func TestServeDemoFillsContactCenterDashboards(t *testing.T) {
	srv := startRepoServer(t, "--demo")
	base := "http://" + srv.http
	want := map[string][]string{
		"contact-center":  {"Interactions started", "Agent occupancy (%) and time per state (minutes)", "Agent time by state and reason (minutes)"},
		"pipeline-health": {"Fact rows loaded by table", "Interactions started"},
	}
	deadline := time.Now().Add(90 * time.Second)
	for uid, titles := range want {
		for _, title := range titles {
			i := panelIndex(t, base, uid, title)
			var rows []any
			for {
				rows = runPanel(t, base, uid, i)
				if len(rows) > 0 || time.Now().After(deadline) {
					break
				}
				time.Sleep(time.Second)
			}
			if len(rows) == 0 {
				b, _ := os.ReadFile(srv.logf.Name())
				t.Fatalf("%s: panel %q has no rows 90s after start\n%.3000s", uid, title, b)
			}
			if title == "Agent occupancy (%) and time per state (minutes)" {
				for _, r := range rows {
					if r := r.([]any); r[0] == r[1] {
						t.Errorf("agent %v has no configured name: %v", r[0], r)
					}
				}
			}
		}
	}
	unknown := runPanel(t, base, "pipeline-health", panelIndex(t, base, "pipeline-health", "Unknown agents and queues"))
	if len(unknown) != 0 {
		t.Errorf("the demo's agents and queues are configured, yet unknown: %v", unknown)
	}
}

// TestDemoCommandFeedsThePipeline: `logmart demo` against a running server
// sends contact-center records beside its log traffic, and the server's
// pipeline consumes them.
func TestDemoCommandFeedsThePipeline(t *testing.T) {
	srv := startRepoServer(t)
	out, err := exec.Command(binPath, "demo", "--kafka-addr", srv.kafka, "--events", "300", "--rate", "100").CombinedOutput()
	if err != nil {
		t.Fatalf("logmart demo: %v\n%s", err, out)
	}
	var n int
	if _, err := fmt.Sscanf(lastLine(string(out)), "sent %d contact-center records", &n); err != nil || n == 0 {
		t.Fatalf("logmart demo did not report contact-center records:\n%s", out)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		resp, err := http.Get("http://" + srv.http + "/api/v1/pipeline/status")
		if err != nil {
			t.Fatal(err)
		}
		var st struct {
			Processor struct{ Records int } `json:"processor"`
		}
		err = json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if st.Processor.Records >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the pipeline consumed %d records, the demo sent %d", st.Processor.Records, n)
		}
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// panelIndex finds a panel of a dashboard by its title.
func panelIndex(t *testing.T, base, uid, title string) int {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/dashboards/" + uid)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d struct {
		Dashboard struct {
			Panels []struct{ Title string } `json:"panels"`
		} `json:"dashboard"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		t.Fatalf("dashboard %s: %v", uid, err)
	}
	for i, p := range d.Dashboard.Panels {
		if p.Title == title {
			return i
		}
	}
	t.Fatalf("dashboard %s has no panel %q (%+v)", uid, title, d.Dashboard.Panels)
	return -1
}

// runPanel runs a panel over the last hour with the variables' defaults.
func runPanel(t *testing.T, base, uid string, i int) []any {
	t.Helper()
	resp, err := http.Post(fmt.Sprintf("%s/api/v1/dashboards/%s/panels/%d/run", base, uid, i), "application/json", bytes.NewReader([]byte(`{}`)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Rows  []any  `json:"rows"`
		Error string `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%s panel %d: %d %v %s", uid, i, resp.StatusCode, err, out.Error)
	}
	return out.Rows
}
