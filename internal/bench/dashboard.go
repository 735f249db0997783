package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"time"

	"github.com/logmart/logmart/dashboards"
	"github.com/logmart/logmart/query"
	"github.com/logmart/logmart/server"
	"github.com/logmart/logmart/store"
)

// DashboardOptions configure `logmart bench dashboard`.
type DashboardOptions struct {
	// Rows of demo-shaped logs over the last 24 hours (default 10M).
	Rows int
	// Clients open the dashboard at once, Rounds times, a round after the
	// other.
	Clients, Rounds int
	// UID is the dashboard opened (default service-health), from
	// DashboardsDir over the templates of TemplatesDir.
	UID                         string
	DashboardsDir, TemplatesDir string
	// Data is the engine folder (default a temporary one).
	Data string
	Log  *slog.Logger
}

// DashboardResult is what `logmart bench dashboard` measured. A load is
// one viewer opening the dashboard: reading it, then running every panel
// in parallel, as the UI does; its time is until the last panel answered.
type DashboardResult struct {
	Rows    int    `json:"rows"`
	UID     string `json:"uid"`
	Panels  int    `json:"panels"`
	Clients int    `json:"clients"`
	Rounds  int    `json:"rounds"`
	Loads   int    `json:"loads"`
	Errors  int    `json:"errors"`
	// Time to all panels, over every load, and over the first round alone
	// (nothing cached yet).
	P50Ms      float64 `json:"load_p50_ms"`
	P95Ms      float64 `json:"load_p95_ms"`
	MaxMs      float64 `json:"load_max_ms"`
	FirstP50Ms float64 `json:"first_round_p50_ms"`
	FirstP95Ms float64 `json:"first_round_p95_ms"`
	// RoundP95Ms is each round's p95, and RoundRuns the engine runs it
	// caused: a round that ran none was served from the result cache, one
	// that ran some waited for them (the first, and each time the relative
	// range rolled into a new cache window).
	RoundP95Ms []float64 `json:"round_p95_ms"`
	RoundRuns  []int     `json:"round_engine_runs"`
	// EngineRuns are the panel runs that reached the engine (result cache
	// misses); per load, identical panels shared by viewers count once.
	EngineRuns        int     `json:"engine_runs"`
	EngineRunsPerLoad float64 `json:"engine_runs_per_load"`
}

// Dashboard measures viewers opening one dashboard at once through the
// HTTP API, on the embedded engine over generated rows.
func Dashboard(ctx context.Context, o DashboardOptions) (DashboardResult, error) {
	var res DashboardResult
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Rows < 1000 || o.Clients < 1 || o.Rounds < 1 {
		return res, errors.New("rows must be at least 1000; clients and rounds at least 1")
	}
	parts := quiet(o.Log)
	st, done, err := generatedStore(ctx, o.Data, "logmart-bench-dashboard-", o.Rows, o.Log)
	if err != nil {
		return res, err
	}
	defer done()
	res.Rows, res.UID, res.Clients, res.Rounds = o.Rows, o.UID, o.Clients, o.Rounds

	scfg := server.Default()
	reads := store.NewGated(st, scfg.QueryBudgets(), scfg.QueryQueueTimeout)
	qcfg := query.DefaultConfig()
	qcfg.Dir = o.TemplatesDir
	catalog := query.NewCatalog(qcfg, query.NewRunner(reads, nil), parts)
	if err := catalog.Load(ctx); err != nil {
		return res, err
	}
	dash := dashboards.New(dashboards.Config{Dir: o.DashboardsDir}, st, nil, parts)
	if err := dash.Load(ctx); err != nil {
		return res, err
	}
	e, err := dash.Get(ctx, o.UID)
	if err != nil {
		return res, err
	}
	res.Panels = len(e.Item.Panels)
	srv := httptest.NewServer(server.New(scfg, server.Deps{Templates: catalog, Dashboards: dash}, nil).Handler())
	defer srv.Close()

	var (
		mu    sync.Mutex
		all   []time.Duration
		first []time.Duration
	)
	runs0 := engineRuns()
	for round := range o.Rounds {
		var (
			wg    sync.WaitGroup
			these []time.Duration
		)
		before := engineRuns()
		for range o.Clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				d, err := openDashboard(srv.URL, o.UID, res.Panels)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					res.Errors++
					o.Log.Warn("a dashboard load failed", "err", err)
					return
				}
				all = append(all, d)
				these = append(these, d)
				if round == 0 {
					first = append(first, d)
				}
			}()
		}
		wg.Wait()
		res.RoundRuns = append(res.RoundRuns, engineRuns()-before)
		if len(these) > 0 {
			res.RoundP95Ms = append(res.RoundP95Ms, ms1(pct(these, 95)))
		}
	}
	if len(all) == 0 {
		return res, fmt.Errorf("every load of %s failed", o.UID)
	}
	res.Loads = len(all) + res.Errors
	res.P50Ms, res.P95Ms, res.MaxMs = ms1(pct(all, 50)), ms1(pct(all, 95)), ms1(slices.Max(all))
	res.FirstP50Ms, res.FirstP95Ms = ms1(pct(first, 50)), ms1(pct(first, 95))
	res.EngineRuns = engineRuns() - runs0
	res.EngineRunsPerLoad = round1(float64(res.EngineRuns)/float64(res.Loads)*100) / 100
	return res, nil
}

// openDashboard does what the UI does to show a dashboard: reads it, then
// runs every panel at once over the last hour; it returns the time until
// the last panel answered.
func openDashboard(base, uid string, panels int) (time.Duration, error) {
	start := time.Now()
	resp, err := http.Get(base + "/api/v1/dashboards/" + uid)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return 0, fmt.Errorf("GET dashboard %s: status %d", uid, resp.StatusCode)
	}
	errs := make(chan error, panels)
	for i := range panels {
		go func() {
			r, err := http.Post(fmt.Sprintf("%s/api/v1/dashboards/%s/panels/%d/run", base, uid, i), "application/json",
				bytes.NewReader([]byte(`{"from":"now-1h","to":"now"}`)))
			if err != nil {
				errs <- err
				return
			}
			body, _ := io.ReadAll(r.Body)
			r.Body.Close()
			if r.StatusCode != 200 {
				err = fmt.Errorf("panel %d: status %d: %s", i, r.StatusCode, body)
			}
			errs <- err
		}()
	}
	var first error
	for range panels {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return time.Since(start), first
}
