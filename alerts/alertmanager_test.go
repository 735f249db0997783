package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// alertmanager starts the Debian package's Alertmanager on a loopback
// port, routing every alert, grouped by monitor, to hook. It fails the
// test when the binary is missing (make deps-system installs it).
func alertmanager(t *testing.T, hook string) string {
	t.Helper()
	bin, err := exec.LookPath("prometheus-alertmanager")
	if err != nil {
		if bin, err = exec.LookPath("alertmanager"); err != nil {
			t.Fatal("Alertmanager is not installed (Debian package prometheus-alertmanager; make deps-system installs it)")
		}
	}
	dir := t.TempDir()
	cfg := fmt.Sprintf(`route:
  receiver: hook
  group_by: [monitor]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: %s
        send_resolved: true
`, hook)
	if err := os.WriteFile(filepath.Join(dir, "am.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cmd := exec.Command(bin, "--config.file="+filepath.Join(dir, "am.yml"), "--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--cluster.listen-address=", "--log.level=warn")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("alertmanager:\n%s", logs.String())
		}
	})
	url := "http://" + addr
	waitFor(t, "Alertmanager to answer", func() bool {
		resp, err := http.Get(url + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return url
}

type amNotification struct {
	Status string `json:"status"`
	Alerts []struct {
		Status      string            `json:"status"`
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
	} `json:"alerts"`
}

// TestAlertmanagerRoutesGroupsSilencesAndResolves: logmart's alerts reach
// a real Alertmanager with their labels and context; it groups the
// monitor's groups into one notification; a silence made in Alertmanager
// stops its notifications; and an alert resolves there when the monitor
// resolves.
func TestAlertmanagerRoutesGroupsSilencesAndResolves(t *testing.T) {
	hook := newReceiver(t)
	amURL := alertmanager(t, hook.URL)
	am := &alertManager{url: amURL, resend: time.Minute, client: &http.Client{Timeout: 5 * time.Second}}
	e := newEnv(t, map[string]Channel{"am": am}, OutboxConfig{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go e.svc.Run(ctx)

	tick := time.Now().UTC().Truncate(time.Minute)
	insertErrors(t, e.st, "checkout", 500, tick.Add(-time.Minute))
	insertErrors(t, e.st, "billing", 400, tick.Add(-time.Minute))
	m := errorMonitor("am")
	e.svc.Evaluate(ctx, m, tick)

	var first amNotification
	waitFor(t, "Alertmanager's grouped notification", func() bool {
		for _, b := range hook.accepted() {
			var n amNotification
			if json.Unmarshal(b, &n) == nil && len(n.Alerts) == 2 {
				first = n
				return true
			}
		}
		return false
	})
	services := map[string]bool{}
	for _, a := range first.Alerts {
		l := a.Labels
		if l["alertname"] != "errors" || l["monitor"] != "errors" || l["severity"] != "critical" || l["team"] != "payments" || a.Status != "firing" {
			t.Fatalf("labels %v, status %s", l, a.Status)
		}
		if !strings.HasPrefix(a.Annotations["link"], "https://logs.example.com/s/") || a.Annotations["runbook_url"] != m.Playbook || a.Annotations["dashboard"] == "" {
			t.Fatalf("annotations %v", a.Annotations)
		}
		services[l["service"]] = true
	}
	if !services["checkout"] || !services["billing"] {
		t.Fatalf("services %v", services)
	}

	// A silence made in Alertmanager for a third service: its alert
	// arrives in Alertmanager, suppressed, and no notification goes out.
	sil, _ := json.Marshal(map[string]any{"matchers": []map[string]any{{"name": "service", "value": "search", "isRegex": false, "isEqual": true}},
		"startsAt": time.Now().UTC().Format(time.RFC3339), "endsAt": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
		"createdBy": "test", "comment": "maintenance"})
	resp, err := http.Post(amURL+"/api/v2/silences", "application/json", bytes.NewReader(sil))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("silence: %v %v", err, resp)
	}
	resp.Body.Close()
	before := len(hook.accepted())
	m2 := errorMonitor("am")
	m2.ID = "errors2"
	// Another step: not the cached result of the first monitor's query.
	m2.Params = map[string]any{"step": "2m"}
	insertErrors(t, e.st, "search", 500, tick.Add(-2*time.Minute))
	if ev := e.svc.Evaluate(ctx, m2, tick); ev.Err != nil {
		t.Fatal(ev.Err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			ns, err := e.svc.Notifications(context.Background(), NotificationFilter{})
			t.Logf("notifications: %d %v", len(ns), err)
			for _, n := range ns {
				t.Logf("notification %s %s %s %d %s", n.Key, n.Action, n.State, n.Status, n.Error)
			}
			t.Logf("alertmanager alerts: %+v", amAlerts(t, amURL))
		}
	})
	waitFor(t, "the silenced alert in Alertmanager", func() bool {
		for _, a := range amAlerts(t, amURL) {
			if a.Labels["monitor"] == "errors2" && a.Labels["service"] == "search" {
				return a.Status.State == "suppressed"
			}
		}
		return false
	})
	time.Sleep(3 * time.Second) // group_wait and group_interval are 1s
	for _, b := range hook.accepted()[before:] {
		var n amNotification
		_ = json.Unmarshal(b, &n)
		for _, a := range n.Alerts {
			if a.Labels["service"] == "search" {
				t.Fatalf("Alertmanager notified a silenced alert: %s", b)
			}
		}
	}

	// The monitor resolves: so does the alert in Alertmanager.
	e.svc.Evaluate(ctx, m, tick.Add(10*time.Minute))
	waitFor(t, "the resolved notification", func() bool {
		for _, b := range hook.accepted() {
			var n amNotification
			if json.Unmarshal(b, &n) == nil && n.Status == "resolved" && len(n.Alerts) == 2 {
				return true
			}
		}
		return false
	})
}

type amAlert2 struct {
	Labels map[string]string `json:"labels"`
	Status struct {
		State string `json:"state"`
	} `json:"status"`
}

func amAlerts(t *testing.T, url string) []amAlert2 {
	resp, err := http.Get(url + "/api/v2/alerts")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out []amAlert2
	_ = json.Unmarshal(b, &out)
	return out
}
