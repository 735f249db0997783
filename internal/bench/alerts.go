package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/logmart/logmart/alerts"
	"github.com/logmart/logmart/internal/demo"
	"github.com/logmart/logmart/query"
	"github.com/logmart/logmart/server"
	"github.com/logmart/logmart/store"
)

// AlertsOptions configure `logmart bench alerts`.
type AlertsOptions struct {
	// Rows of demo-shaped logs over the last 24 hours (default 10M).
	Rows int
	// Monitors evaluated every Every for Duration.
	Monitors int
	Every    time.Duration
	Duration time.Duration
	// Evaluators run at once (alerts.evaluators).
	Evaluators int
	// Deliveries are sent through the outbox to a local receiver.
	Deliveries   int
	TemplatesDir string
	Data         string
	Log          *slog.Logger
}

// AlertsResult is what `logmart bench alerts` measured.
type AlertsResult struct {
	Rows     int `json:"rows"`
	Monitors int `json:"monitors"`
	// DistinctQueries are the different (template, parameters, window)
	// the monitors run per tick: identical ones share one engine run.
	DistinctQueries int     `json:"distinct_queries"`
	Evaluations     int     `json:"evaluations"`
	Errors          int     `json:"evaluation_errors"`
	LagP50Ms        float64 `json:"lag_p50_ms"`
	LagP95Ms        float64 `json:"lag_p95_ms"`
	LagMaxMs        float64 `json:"lag_max_ms"`
	// CPUShare is the process's CPU time over the run divided by the
	// cores' time (wall × GOMAXPROCS).
	CPUShare   float64 `json:"cpu_share"`
	CPUSeconds float64 `json:"cpu_seconds"`
	// The outbox: deliveries written, delivered to a local receiver, and
	// how many it received twice or never.
	Deliveries        int     `json:"deliveries"`
	DeliveriesPerSec  float64 `json:"deliveries_per_sec"`
	DeliveriesLost    int     `json:"deliveries_lost"`
	DeliveriesDoubled int     `json:"deliveries_duplicated"`
}

// Alerts measures monitor evaluation on the embedded engine over
// generated rows, then the outbox's delivery rate.
func Alerts(ctx context.Context, o AlertsOptions) (AlertsResult, error) {
	var res AlertsResult
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Rows < 1000 || o.Monitors < 1 || o.Every < 10*time.Second || o.Duration < o.Every {
		return res, errors.New("rows must be at least 1000, monitors at least 1, every at least 10s and duration at least every")
	}
	parts := quiet(o.Log)
	st, done, err := generatedStore(ctx, o.Data, "logmart-bench-alerts-", o.Rows, o.Log)
	if err != nil {
		return res, err
	}
	defer done()
	res.Rows, res.Monitors = o.Rows, o.Monitors
	qcfg := query.DefaultConfig()
	qcfg.Dir = o.TemplatesDir
	catalog := query.NewCatalog(qcfg, query.NewRunner(st, nil), parts)
	if err := catalog.Load(ctx); err != nil {
		return res, err
	}
	dir, err := os.MkdirTemp("", "logmart-bench-monitors-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	if res.DistinctQueries, err = writeMonitors(dir, o.Monitors, o.Every); err != nil {
		return res, err
	}
	cfg := alerts.DefaultConfig()
	cfg.Dir, cfg.Evaluators = dir, o.Evaluators
	tpl := benchTemplates{catalog}
	lib := alerts.Library(dir, st, nil, parts)
	if err := lib.Load(ctx); err != nil {
		return res, err
	}
	channels, _ := cfg.BuildChannels(parts)
	out := alerts.NewOutbox(st, channels, cfg.Outbox, nil, parts)
	svc := alerts.New(cfg, st, lib, tpl, nil, out, "bench", parts)
	var mu sync.Mutex
	var lags []time.Duration
	svc.ObserveLag(func(_ string, lag time.Duration) {
		mu.Lock()
		lags = append(lags, lag)
		mu.Unlock()
	})
	o.Log.Info("evaluating monitors", "monitors", o.Monitors, "every", o.Every, "for", o.Duration)
	// Start on a tick, so that every monitor's first evaluation is a
	// scheduled one.
	time.Sleep(time.Until(time.Now().Truncate(o.Every).Add(o.Every)))
	rctx, stop := context.WithTimeout(ctx, o.Duration)
	cpu0, wall0 := cpuTime(), time.Now()
	svc.Run(rctx)
	stop()
	cpu, wall := cpuTime()-cpu0, time.Since(wall0)
	res.CPUSeconds = round1(cpu.Seconds()*10) / 10
	res.CPUShare = round1(cpu.Seconds()/(wall.Seconds()*float64(runtime.GOMAXPROCS(0)))*1000) / 1000
	res.Evaluations = len(lags)
	res.LagP50Ms, res.LagP95Ms, res.LagMaxMs = ms1(pct(lags, 50)), ms1(pct(lags, 95)), ms1(pct(lags, 100))
	if o.Deliveries > 0 {
		if err := benchOutbox(ctx, st, o.Deliveries, &res, parts); err != nil {
			return res, err
		}
	}
	return res, nil
}

// writeMonitors writes n monitors, as teams write them: each service's
// error burst, per-level volume, slow endpoints … with thresholds of their
// own. It returns how many distinct queries they run.
func writeMonitors(dir string, n int, every time.Duration) (int, error) {
	services := demo.Services()
	kinds := []struct{ template, params, cond string }{
		{"errors_by_service", "{service: %s, step: 1m}", "{column: errors, above: %d}"},
		{"log_volume_by_level", "{service: %s, step: 1m}", "{column: lines, above: %d}"},
		{"errors_by_service", "{service: %s, step: 5m}", "{column: errors, above: %d}"},
	}
	distinct := map[string]bool{}
	for i := range n {
		k := kinds[i%len(kinds)]
		svc := services[(i/len(kinds))%len(services)]
		params := fmt.Sprintf(k.params, svc)
		distinct[k.template+params] = true
		body := fmt.Sprintf("id: m%04d\ntitle: monitor %d\nowner: team-%d\nseverity: warning\ntemplate: {id: %s, version: 1}\nparams: %s\nevery: %s\nrange: 5m\ncondition: %s\ngroup_by: [service]\nnotify: [log]\n",
			i, i, i%17, k.template, params, alerts.Duration(every), fmt.Sprintf(k.cond, 1000+i))
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("m%04d.yaml", i)), []byte(body), 0o644); err != nil {
			return 0, err
		}
	}
	return len(distinct), nil
}

// benchTemplates runs monitors' templates as the alerts viewer.
type benchTemplates struct{ c *query.Catalog }

func (b benchTemplates) req(q alerts.Query) query.TemplateRequest {
	return query.TemplateRequest{Template: q.Template, Version: q.Version, Params: q.Params, From: q.From, To: q.To}
}

func (b benchTemplates) Run(ctx context.Context, q alerts.Query) (*store.Result, error) {
	s := server.Principal{Name: "alerts", Role: server.RoleViewer}.Settings(server.Default().Limits[server.RoleViewer])
	s.Pool = ""
	r, err := b.c.RunTemplate(ctx, query.Caller{User: "alerts", Source: "alert"}, b.req(q), s)
	if err != nil {
		return nil, err
	}
	return r.Result, nil
}

func (b benchTemplates) Columns(ctx context.Context, q alerts.Query) ([]store.Column, error) {
	return b.c.ResultColumns(ctx, b.req(q))
}

// benchOutbox queues n events for a webhook to a local receiver and times
// their delivery, counting what arrived twice or never.
func benchOutbox(ctx context.Context, st store.Store, n int, res *AlertsResult, log *slog.Logger) error {
	var mu sync.Mutex
	seen := map[string]int{}
	got := make(chan struct{}, n*2)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(alerts.DeliveryHeader)
		mu.Lock()
		seen[id]++
		mu.Unlock()
		got <- struct{}{}
	}))
	defer rcv.Close()
	cfg := alerts.DefaultConfig()
	cfg.Channels = map[string]alerts.ChannelConfig{"hook": {Kind: "webhook", URL: rcv.URL}}
	channels, err := cfg.BuildChannels(log)
	if err != nil {
		return err
	}
	out := alerts.NewOutbox(st, channels, cfg.Outbox, nil, log)
	now := time.Now().UTC()
	const batch = 500
	start := time.Now()
	for i := 0; i < n; i += batch {
		var evs []alerts.Event
		for j := i; j < min(n, i+batch); j++ {
			evs = append(evs, alerts.Event{ID: "bench-" + strconv.Itoa(j), Source: "monitor", Key: "bench/" + strconv.Itoa(j%50),
				Action: "trigger", State: alerts.StateFiring, Severity: "info", Title: "bench", At: now, StartsAt: now,
				Labels: map[string]string{"alertname": "bench"}})
		}
		if err := out.Notify(ctx, []string{"hook"}, evs...); err != nil {
			return err
		}
	}
	rctx, stop := context.WithCancel(ctx)
	go out.Run(rctx)
	timeout := time.After(10 * time.Minute)
	for k := 0; k < n; k++ {
		select {
		case <-got:
		case <-timeout:
			stop()
			return fmt.Errorf("only %d of %d deliveries arrived in 10 minutes", k, n)
		}
	}
	elapsed := time.Since(start)
	time.Sleep(2 * time.Second) // anything sent twice arrives meanwhile
	stop()
	mu.Lock()
	defer mu.Unlock()
	res.Deliveries = n
	res.DeliveriesPerSec = round1(float64(n) / elapsed.Seconds())
	for j := range n {
		switch c := seen["bench-"+strconv.Itoa(j)+":hook"]; {
		case c == 0:
			res.DeliveriesLost++
		case c > 1:
			res.DeliveriesDoubled += c - 1
		}
	}
	return nil
}
