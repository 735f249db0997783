package bench

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestDashboardLoadsShareRuns: viewers opening the shipped service-health
// dashboard at once all get every panel, and identical panels reach the
// engine far fewer times than they are asked for. Like the other
// benchmarks' tests it runs in a process of its own, since the embedded
// engine boots once per process on one folder.
func TestDashboardLoadsShareRuns(t *testing.T) {
	if os.Getenv("LOGMART_BENCH_DASHBOARD_CHILD") == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestDashboardLoadsShareRuns$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), "LOGMART_BENCH_DASHBOARD_CHILD=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "PASS") {
			t.Fatalf("the test in its own process failed (%v):\n%s", err, out)
		}
		return
	}
	res, err := Dashboard(context.Background(), DashboardOptions{Rows: 5000, Clients: 6, Rounds: 2, UID: "service-health",
		DashboardsDir: "../../configs/dashboards", TemplatesDir: "../../configs/templates"})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", res)
	if res.Errors != 0 || res.Loads != 12 || res.Panels == 0 {
		t.Fatalf("loads %d, errors %d, panels %d; want 12 loads of every panel", res.Loads, res.Errors, res.Panels)
	}
	if asked := res.Loads * res.Panels; res.EngineRuns == 0 || res.EngineRuns >= asked {
		t.Fatalf("%d engine runs for %d panel requests: identical panels are not shared", res.EngineRuns, asked)
	}
}
