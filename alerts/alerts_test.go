package alerts

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/logmart/logmart/dashboards"
	"github.com/logmart/logmart/store"
)

func tref(id string, v uint32) dashboards.TemplateRef {
	return dashboards.TemplateRef{ID: id, Version: v}
}

// TestMonitorFiresWithPinnedEvidenceAndResolves: a burst fires the
// monitor for its service alone; the page carries a shared link whose
// frozen rows are what the monitor saw, still after more data arrived,
// the dashboard URL over the window with the group's variable, the
// playbook and escalation; PagerDuty gets trigger then resolve on one
// dedup key.
func TestMonitorFiresWithPinnedEvidenceAndResolves(t *testing.T) {
	pd := newReceiver(t)
	e := newEnv(t, map[string]Channel{"pd": &pagerDuty{url: pd.URL, routingKey: "rk-1", client: pd.Client()}}, OutboxConfig{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go e.svc.Run(ctx)

	tick := time.Now().UTC().Truncate(time.Minute)
	insertErrors(t, e.st, "checkout", 500, tick.Add(-time.Minute))
	insertErrors(t, e.st, "search", 20, tick.Add(-time.Minute))
	m := errorMonitor("pd")
	ev := e.svc.Evaluate(ctx, m, tick)
	if ev.Err != nil {
		t.Fatal(ev.Err)
	}
	alerts, err := e.svc.Alerts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 1 || alerts[0].Group != "service=checkout" || alerts[0].State != StateFiring || alerts[0].Value != 500 {
		t.Fatalf("alerts = %+v", alerts)
	}
	a := alerts[0]
	if !strings.HasPrefix(a.Link, "https://logs.example.com/s/") {
		t.Fatalf("link %q", a.Link)
	}
	wantDash := "https://logs.example.com/d/service-health?from=" + tick.Add(-5*time.Minute).Format("2006-01-02T15") + "%3A"
	if !strings.HasPrefix(a.DashboardURL, wantDash) || !strings.Contains(a.DashboardURL, "var-service=checkout") {
		t.Fatalf("dashboard url %q", a.DashboardURL)
	}
	// More errors arrive later: the pinned link still shows what the
	// monitor saw.
	insertErrors(t, e.st, "checkout", 300, tick.Add(-2*time.Minute))
	link, err := e.links.Get(ctx, a.Link[strings.LastIndex(a.Link, "/")+1:], store.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if link.Snapshot == nil || !link.From.Equal(tick.Add(-5*time.Minute)) || !link.To.Equal(tick) {
		t.Fatalf("link %+v", link)
	}
	total := 0.0
	for _, r := range link.Snapshot.Rows {
		if store.CellString(r[1]) == "checkout" {
			v, _ := cellFloat(r[2])
			total += v
		}
	}
	if total != 500 {
		t.Fatalf("the pinned snapshot holds %v checkout errors, want the 500 the monitor saw", total)
	}
	if err := e.svc.Ack(ctx, "errors", "service=checkout", "oncall", "looking"); err != nil {
		t.Fatal(err)
	}
	if as, _ := e.svc.Alerts(ctx); len(as) != 1 || as[0].AckedBy != "oncall" || as[0].AckedAt == nil {
		t.Fatalf("acknowledged: %+v", as)
	}
	waitFor(t, "the trigger", func() bool { return len(pd.accepted()) == 1 })
	trig := decodeJSON(t, pd.accepted()[0])
	if trig["event_action"] != "trigger" || trig["dedup_key"] != "errors/service=checkout" || trig["routing_key"] != "rk-1" {
		t.Fatalf("trigger %v", trig)
	}
	payload := trig["payload"].(map[string]any)
	details := payload["custom_details"].(map[string]any)
	if payload["severity"] != "critical" || details["link"] != a.Link || details["playbook"] != m.Playbook || details["escalation"] != m.Escalation || details["dashboard"] != a.DashboardURL {
		t.Fatalf("payload %v", payload)
	}
	if links := trig["links"].([]any); len(links) != 3 {
		t.Fatalf("links %v", links)
	}

	// Ten minutes on, the window holds nothing: resolved.
	e.svc.Evaluate(ctx, m, tick.Add(10*time.Minute))
	waitFor(t, "the resolve", func() bool { return len(pd.accepted()) == 2 })
	res := decodeJSON(t, pd.accepted()[1])
	if res["event_action"] != "resolve" || res["dedup_key"] != trig["dedup_key"] {
		t.Fatalf("resolve %v", res)
	}
	ts, err := e.svc.Transitions(ctx, "errors", tick.Add(-time.Hour), 100)
	if err != nil || len(ts) != 2 || ts[0].To != StateFiring || ts[1].To != StateResolved {
		t.Fatalf("transitions %+v %v", ts, err)
	}
}

// TestFailingQueryIsTheErrorState: a query that fails is its own state,
// notified, never a silent ok; and a silent source fires no_data.
func TestFailingQueryIsTheErrorStateAndSilenceIsNoData(t *testing.T) {
	hook := newReceiver(t)
	e := newEnv(t, map[string]Channel{"hook": &webhook{name: "hook", url: hook.URL, secret: "s3cret", client: hook.Client()}}, OutboxConfig{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go e.svc.Run(ctx)
	tick := time.Now().UTC().Truncate(time.Minute)

	broken := errorMonitor("hook")
	broken.ID, broken.Template = "broken", tref("errors_by_service", 99)
	ev := e.svc.Evaluate(ctx, broken, tick)
	if ev.Err == nil {
		t.Fatal("a missing template version evaluated without error")
	}
	quiet := &Monitor{ID: "quiet", Title: "Quiet", Owner: "platform", Severity: "warning", Template: tref("ingest_volume_by_stream", 1),
		Params: map[string]any{"stream": "nothing-here", "step": "1m"}, Every: Duration(time.Minute), Range: Duration(5 * time.Minute),
		Condition: Condition{NoData: true}, Notify: []string{"hook"}}
	e.svc.Evaluate(ctx, quiet, tick)
	as, err := e.svc.Alerts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]string{}
	for _, a := range as {
		states[a.Monitor] = a.State
	}
	if states["broken"] != StateError || states["quiet"] != StateNoData {
		t.Fatalf("states %v", states)
	}
	waitFor(t, "two webhook deliveries", func() bool { return len(hook.accepted()) == 2 })
	for i, b := range hook.accepted() {
		p := decodeJSON(t, b)
		if p["version"] != "4" || p["status"] != "firing" {
			t.Fatalf("payload %d: %v", i, p)
		}
		h := hook.headers[i]
		ts := h.Get(TimestampHeader)
		if got := h.Get(SignatureHeader); got == "" || got != Sign("s3cret", mustInt(ts), b) {
			t.Fatalf("signature %q for timestamp %q", got, ts)
		}
	}
	// The query answers again: error → ok, sent as a resolve.
	broken.Template = tref("errors_by_service", 1)
	e.svc.Evaluate(ctx, broken, tick.Add(time.Minute))
	waitFor(t, "the recovery", func() bool { return len(hook.accepted()) == 3 })
	if p := decodeJSON(t, hook.accepted()[2]); p["status"] != "resolved" {
		t.Fatalf("recovery %v", p)
	}
}

func mustInt(s string) int64 {
	var n int64
	for _, c := range s {
		n = n*10 + int64(c-'0')
	}
	return n
}

// TestDeliveriesSurviveOutagesInOrderOnce: the receiver is down, then
// answers 500, then 429 with Retry-After, then comes back, and the outbox
// is restarted (a new replica over the same tables) meanwhile. Every
// transition reaches it exactly once, in order, and each trigger and
// resolve share a dedup key.
func TestDeliveriesSurviveOutagesInOrderOnce(t *testing.T) {
	pd := newReceiver(t, "down", "down", "500", "500", "429:1")
	sl := newReceiver(t, "500", "429:1", "down")
	chans := func() map[string]Channel {
		return map[string]Channel{
			"pd":    &pagerDuty{url: pd.URL, routingKey: "rk", client: pd.Client()},
			"slack": &slack{url: sl.URL, client: sl.Client()},
		}
	}
	e := newEnv(t, chans(), OutboxConfig{})
	m := errorMonitor("pd", "slack")
	ctx := context.Background()
	tick := time.Now().UTC().Truncate(time.Minute).Add(-30 * time.Minute)
	// Three episodes for two services: trigger, resolve, trigger … queued
	// while nothing is delivering.
	for i := range 3 {
		at := tick.Add(time.Duration(i*10) * time.Minute)
		insertErrors(t, e.st, "checkout", 200, at.Add(-time.Minute))
		insertErrors(t, e.st, "billing", 150, at.Add(-time.Minute))
		e.svc.Evaluate(ctx, m, at)
		e.svc.Evaluate(ctx, m, at.Add(5*time.Minute+time.Second))
	}
	// First replica delivers for a while, then stops (as a kill would:
	// nothing it was doing is finished).
	c1, stop1 := context.WithCancel(ctx)
	go e.svc.out.Run(c1)
	time.Sleep(700 * time.Millisecond)
	stop1()
	// A second replica over the same tables takes over.
	out2 := NewOutbox(e.st, chans(), OutboxConfig{MinBackoff: 50 * time.Millisecond, MaxBackoff: 400 * time.Millisecond, GiveUpAfter: time.Hour}, nil, nil)
	c2, stop2 := context.WithCancel(ctx)
	defer stop2()
	go out2.Run(c2)
	waitFor(t, "12 PagerDuty deliveries", func() bool { return len(pd.accepted()) >= 12 })
	waitFor(t, "12 Slack deliveries", func() bool { return len(sl.accepted()) >= 12 })
	time.Sleep(300 * time.Millisecond)
	got := pd.accepted()
	if len(got) != 12 {
		t.Fatalf("PagerDuty received %d deliveries, want 12 (3 episodes × 2 services × trigger+resolve)", len(got))
	}
	open := map[string]bool{}
	var order []string
	for _, b := range got {
		p := decodeJSON(t, b)
		key, action := p["dedup_key"].(string), p["event_action"].(string)
		order = append(order, action+" "+key)
		switch action {
		case "trigger":
			if open[key] {
				t.Fatalf("a second trigger for %s before its resolve: %v", key, order)
			}
			open[key] = true
		case "resolve":
			if !open[key] {
				t.Fatalf("a resolve for %s with no trigger before it: %v", key, order)
			}
			open[key] = false
		}
	}
	if len(sl.accepted()) != 12 {
		t.Fatalf("Slack received %d deliveries, want 12", len(sl.accepted()))
	}
	ns, err := e.svc.Notifications(ctx, NotificationFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	retried := 0
	for _, n := range ns {
		if n.State != DeliverySent {
			t.Fatalf("delivery %s is %s", n.ID, n.State)
		}
		if n.Attempts > 1 {
			retried++
		}
	}
	if len(ns) != 24 || retried == 0 {
		t.Fatalf("%d notifications, %d retried", len(ns), retried)
	}
}

// TestSilencedTransitionsAreRecordedNotSent.
func TestSilencedTransitionsAreRecordedNotSent(t *testing.T) {
	pd := newReceiver(t)
	e := newEnv(t, map[string]Channel{"pd": &pagerDuty{url: pd.URL, routingKey: "rk", client: pd.Client()}}, OutboxConfig{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go e.svc.Run(ctx)
	sil, err := e.svc.CreateSilence(ctx, SilenceRequest{Monitor: "errors", Matchers: map[string]string{"service": "checkout"}, Duration: "2h", Comment: "deploy"}, "eve")
	if err != nil {
		t.Fatal(err)
	}
	tick := time.Now().UTC().Truncate(time.Minute)
	insertErrors(t, e.st, "checkout", 500, tick.Add(-time.Minute))
	insertErrors(t, e.st, "billing", 500, tick.Add(-time.Minute))
	e.svc.Evaluate(ctx, errorMonitor("pd"), tick)
	waitFor(t, "billing's page", func() bool { return len(pd.accepted()) == 1 })
	time.Sleep(500 * time.Millisecond)
	if got := decodeJSON(t, pd.accepted()[0])["dedup_key"]; got != "errors/service=billing" || len(pd.accepted()) != 1 {
		t.Fatalf("sent %v (%d)", got, len(pd.accepted()))
	}
	ts, _ := e.svc.Transitions(ctx, "errors", tick.Add(-time.Hour), 10)
	silenced := 0
	for _, tr := range ts {
		if tr.Silenced == "silence "+sil.ID {
			silenced++
		}
	}
	if len(ts) != 2 || silenced != 1 {
		t.Fatalf("transitions %+v", ts)
	}
	for _, bad := range []SilenceRequest{{Duration: "1h"}, {Monitor: "errors"}, {Monitor: "errors", Duration: "-1h"}, {Monitor: "x y", Duration: "1h"}} {
		if _, err := e.svc.CreateSilence(ctx, bad, "eve"); err == nil {
			t.Errorf("silence %+v accepted", bad)
		}
	}
}

// TestOneReplicaHoldsTheLease: two replicas over one database; only one
// evaluates, and the other takes over when it releases.
func TestOneReplicaHoldsTheLease(t *testing.T) {
	st := newEnv(t, map[string]Channel{}, OutboxConfig{}).st
	a := NewLease(st, "t", "a", 3*time.Second)
	b := NewLease(st, "t", "b", 3*time.Second)
	ctx := context.Background()
	type res struct {
		ok  bool
		err error
	}
	ra, rb := make(chan res), make(chan res)
	go func() { ok, err := a.Acquire(ctx); ra <- res{ok, err} }()
	go func() { ok, err := b.Acquire(ctx); rb <- res{ok, err} }()
	x, y := <-ra, <-rb
	if x.err != nil || y.err != nil || x.ok == y.ok {
		t.Fatalf("a %+v, b %+v: exactly one must hold the lease", x, y)
	}
	holder, other := a, b
	if y.ok {
		holder, other = b, a
	}
	if ok, _ := holder.Acquire(ctx); !ok || !holder.Held() {
		t.Fatal("the holder cannot renew")
	}
	if ok, _ := other.Acquire(ctx); ok {
		t.Fatal("the other replica took a held lease")
	}
	holder.Release(ctx)
	if ok, err := other.Acquire(ctx); !ok || err != nil {
		t.Fatalf("the other replica cannot take a released lease: %v", err)
	}
}

// TestExpectEmptyAndChange: expect: empty makes one alert per row key;
// change compares with the same window a day earlier.
func TestExpectEmptyAndChange(t *testing.T) {
	e := newEnv(t, map[string]Channel{}, OutboxConfig{})
	ctx := context.Background()
	tick := time.Now().UTC().Truncate(time.Minute)
	insertErrors(t, e.st, "checkout", 3, tick.Add(-time.Minute))
	insertErrors(t, e.st, "billing", 2, tick.Add(-time.Minute))
	empty := &Monitor{ID: "no_errors", Title: "No errors at all", Owner: "sec", Severity: "warning", Template: tref("errors_by_service", 1),
		Params: map[string]any{"step": "1m"}, Every: Duration(time.Minute), Range: Duration(5 * time.Minute),
		Condition: Condition{Expect: "empty"}, GroupBy: []string{"service"}}
	ev := e.svc.Evaluate(ctx, empty, tick)
	if ev.Err != nil || len(ev.Samples) != 2 || !ev.Samples[0].Holds || ev.Samples[0].Group != "service=billing" || ev.Samples[1].Value != 1 {
		t.Fatalf("expect empty: %+v %v", ev.Samples, ev.Err)
	}
	// Yesterday billing logged 2 errors in the same window, today 12:
	// +500%, above 100%; checkout has no yesterday, so no change.
	insertErrors(t, e.st, "billing", 2, tick.Add(-24*time.Hour-time.Minute))
	insertErrors(t, e.st, "billing", 10, tick.Add(-2*time.Minute))
	change := &Monitor{ID: "errors_up", Title: "Errors up on yesterday", Owner: "sre", Severity: "warning", Template: tref("errors_by_service", 1),
		Params: map[string]any{"step": "5m"}, Every: Duration(time.Minute), Range: Duration(5 * time.Minute),
		Condition: Condition{Column: "errors", Reduce: "sum", Change: &Change{Against: Duration(24 * time.Hour), AbovePct: ptr(100)}}, GroupBy: []string{"service"}}
	ev = e.svc.Evaluate(ctx, change, tick)
	got := map[string]bool{}
	for _, s := range ev.Samples {
		got[s.Group] = s.Holds
	}
	if ev.Err != nil || !got["service=billing"] || got["service=checkout"] {
		t.Fatalf("change: %+v %v", ev.Samples, ev.Err)
	}
}

// TestNotificationsOfOneBudgetOrMonitor: the deliveries of a budget and of
// a monitor with the same id are told apart by their source; a filter
// that is not an id is refused, named.
func TestNotificationsOfOneBudgetOrMonitor(t *testing.T) {
	rcv := newReceiver(t)
	e := newEnv(t, map[string]Channel{"pd": &pagerDuty{url: rcv.URL, routingKey: "rk", client: rcv.Client()}}, OutboxConfig{})
	ctx := context.Background()
	now := time.Now().UTC()
	for _, ev := range []Event{
		{ID: "budget-1", Source: "budget", Key: "edge/2026-12-02T00:00:00Z", Action: "trigger", State: "forecast_over", Title: "Budget edge", At: now, StartsAt: now},
		{ID: "budget-2", Source: "budget", Key: "edge_eu/2026-12-02T00:00:00Z", Action: "trigger", State: "exceeded", Title: "Budget edge_eu", At: now, StartsAt: now},
		{ID: "monitor-1", Source: "monitor", Key: "edge/service=api", Action: "trigger", State: StateFiring, Title: "Edge errors", At: now, StartsAt: now},
	} {
		if err := e.svc.out.Notify(ctx, []string{"pd"}, ev); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(f NotificationFilter) []string {
		t.Helper()
		ns, err := e.svc.Notifications(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, n := range ns {
			out = append(out, n.TransitionID)
		}
		return out
	}
	if got := ids(NotificationFilter{Budget: "edge"}); fmt.Sprint(got) != "[budget-1]" {
		t.Fatalf("budget edge: %v", got)
	}
	if got := ids(NotificationFilter{Monitor: "edge"}); fmt.Sprint(got) != "[monitor-1]" {
		t.Fatalf("monitor edge: %v", got)
	}
	for _, f := range []NotificationFilter{{Budget: "edge'; DROP TABLE x"}, {Monitor: strings.Repeat("m", 41)}} {
		if _, err := e.svc.Notifications(ctx, f); err == nil || !strings.Contains(err.Error(), "is not an id") {
			t.Fatalf("%+v: %v", f, err)
		}
	}
}
