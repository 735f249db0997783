package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// flakyReceiver answers as its mode says: "down" cuts the connection,
// "500" fails, "429" asks to retry after a second, "ok" accepts and keeps
// the body.
type flakyReceiver struct {
	*httptest.Server
	mu       sync.Mutex
	mode     string
	accepted [][]byte
	refused  int
}

func newFlakyReceiver(t *testing.T) *flakyReceiver {
	r := &flakyReceiver{mode: "down"}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		mode := r.mode
		if mode == "ok" {
			r.accepted = append(r.accepted, body)
		} else {
			r.refused++
		}
		r.mu.Unlock()
		switch mode {
		case "down":
			c, _, _ := w.(http.Hijacker).Hijack()
			c.Close()
		case "500":
			w.WriteHeader(500)
		case "429":
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(429)
		default:
			w.WriteHeader(202)
			fmt.Fprint(w, `{"status":"success","message":"Event processed"}`)
		}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *flakyReceiver) set(mode string) {
	r.mu.Lock()
	r.mode = mode
	r.mu.Unlock()
}

func (r *flakyReceiver) bodies() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.accepted...)
}

// produceErrors sends n error lines of service to the logs topic.
func produceErrors(t *testing.T, addr, service string, n int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var recs []*kgo.Record
	for i := range n {
		v := fmt.Sprintf(`{"ts":%d,"level":"error","service":%q,"message":"payment failed %d"}`, time.Now().UnixMilli(), service, i)
		recs = append(recs, &kgo.Record{Topic: "logs", Value: []byte(v)})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

type e2eTransition struct {
	Group string `json:"group"`
	From  string `json:"from"`
	To    string `json:"to"`
}

func transitions(t *testing.T, httpAddr string) []e2eTransition {
	t.Helper()
	resp, err := http.Get("http://" + httpAddr + "/api/v1/alerts/transitions?monitor=payments_errors&since=1h")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var out struct{ Transitions []e2eTransition }
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return out.Transitions
}

func waitUntil(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestNotificationsSurviveKillNineAndOutages: PagerDuty and Slack
// receivers are down, then answer 500, then 429 with Retry-After, then
// come back, while logmart is killed with SIGKILL between the phases.
// Every transition arrives exactly once per channel, in order, and each
// trigger and its resolve share PagerDuty's dedup key.
func TestNotificationsSurviveKillNineAndOutages(t *testing.T) {
	pd, sl := newFlakyReceiver(t), newFlakyReceiver(t)
	dir := t.TempDir()
	root, _ := filepath.Abs("../..")
	mons := filepath.Join(dir, "monitors")
	if err := os.MkdirAll(mons, 0o755); err != nil {
		t.Fatal(err)
	}
	monitor := `id: payments_errors
title: Payment errors
owner: payments
severity: critical
template: {id: errors_by_service, version: 1}
params: {step: 10s}
every: 10s
range: 30s
condition: {column: errors, above: 5}
group_by: [service]
playbook: https://runbooks.example.com/payments
notify: [pagerduty, slack]
`
	if err := os.WriteFile(filepath.Join(mons, "payments_errors.yaml"), []byte(monitor), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`templates: {dir: %s/configs/templates}
dashboards: {dir: %s/configs/dashboards}
pipeline: {enabled: false}
alerts:
  dir: %s
  lease: 3s
  channels:
    pagerduty: {kind: pagerduty, url: %s, routing_key_env: E2E_PD_KEY}
    slack: {kind: slack, url: %s}
  outbox: {min_backoff: 200ms, max_backoff: 1s}
`, root, root, mons, pd.URL, sl.URL)
	cfgPath := filepath.Join(dir, "logmart.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("E2E_PD_KEY", "routing-key-1")
	data := filepath.Join(dir, "data")
	httpAddr, kafkaAddr := freePort(t), freePort(t)
	start := func() *proc { return startServer(t, data, httpAddr, kafkaAddr, "--config", cfgPath) }
	count := func(to string) int {
		n := 0
		for _, tr := range transitions(t, httpAddr) {
			if tr.To == to {
				n++
			}
		}
		return n
	}

	// Down: two services burst, the monitor fires, nothing is delivered.
	s := start()
	produceErrors(t, kafkaAddr, "checkout", 40)
	produceErrors(t, kafkaAddr, "billing", 40)
	waitUntil(t, "two alerts firing", 90*time.Second, func() bool { return count("firing") >= 2 })
	s.kill()

	// 500s: the bursts end, the alerts resolve; killed again.
	pd.set("500")
	sl.set("500")
	s = start()
	waitUntil(t, "two resolves", 120*time.Second, func() bool { return count("resolved") >= 2 })
	s.kill()

	// 429 with Retry-After: a second burst for one service.
	pd.set("429")
	sl.set("429")
	s = start()
	produceErrors(t, kafkaAddr, "checkout", 40)
	waitUntil(t, "the third alert", 90*time.Second, func() bool { return count("firing") >= 3 })
	time.Sleep(2 * time.Second)
	s.kill()

	// Back: everything queued is delivered, once, in order.
	pd.set("ok")
	sl.set("ok")
	s = start()
	defer s.stop()
	var want []e2eTransition
	for _, tr := range transitions(t, httpAddr) {
		if tr.To == "firing" || tr.From == "firing" {
			want = append(want, tr)
		}
	}
	waitUntil(t, "every delivery", 120*time.Second, func() bool {
		return len(pd.bodies()) >= len(want) && len(sl.bodies()) >= len(want)
	})
	time.Sleep(3 * time.Second)
	if len(pd.bodies()) != len(want) || len(sl.bodies()) != len(want) {
		t.Fatalf("PagerDuty got %d, Slack %d deliveries; %d transitions notify", len(pd.bodies()), len(sl.bodies()), len(want))
	}
	// Per group, PagerDuty's events follow the group's transitions.
	perGroup := map[string][]string{}
	for _, b := range pd.bodies() {
		var ev struct {
			Action   string `json:"event_action"`
			DedupKey string `json:"dedup_key"`
			Routing  string `json:"routing_key"`
		}
		if err := json.Unmarshal(b, &ev); err != nil || ev.Routing != "routing-key-1" {
			t.Fatalf("%v: %s", err, b)
		}
		perGroup[ev.DedupKey] = append(perGroup[ev.DedupKey], ev.Action)
	}
	wantGroup := map[string][]string{}
	for _, tr := range want {
		a := "resolve"
		if tr.To == "firing" {
			a = "trigger"
		}
		wantGroup["payments_errors/"+tr.Group] = append(wantGroup["payments_errors/"+tr.Group], a)
	}
	if fmt.Sprint(perGroup) != fmt.Sprint(wantGroup) {
		t.Fatalf("PagerDuty events per dedup key:\n got %v\nwant %v", perGroup, wantGroup)
	}
	for _, b := range sl.bodies() {
		if !strings.Contains(string(b), `"blocks"`) || !strings.Contains(string(b), "Payment errors") {
			t.Fatalf("slack body %s", b)
		}
	}
	// notify test sends a test event (and its resolve) straight to the
	// channel and prints the receiver's answer.
	out, err := exec.Command(binPath, "notify", "test", "--server", "http://"+httpAddr, "slack").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "channel slack: HTTP 202") {
		t.Fatalf("notify test: %v %s", err, out)
	}
	if b := sl.bodies(); len(b) != len(want)+2 || !strings.Contains(string(b[len(want)]), "logmart test notification") {
		t.Fatalf("the test event did not reach Slack: %d bodies", len(b))
	}
	if out, err := exec.Command(binPath, "notify", "test", "--server", "http://"+httpAddr, "nowhere").CombinedOutput(); err == nil || !strings.Contains(string(out), `no channel "nowhere"`) {
		t.Fatalf("notify test of an unknown channel: %v %s", err, out)
	}
	pd.mu.Lock()
	refused := pd.refused
	pd.mu.Unlock()
	t.Logf("%d transitions delivered once to each channel after %d refused attempts on PagerDuty and 3 kill -9", len(want), refused)
}
