package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/logmart/logmart/internal/demo"
	"github.com/logmart/logmart/query"
	"github.com/logmart/logmart/server"
	"github.com/logmart/logmart/store"
	"github.com/logmart/logmart/store/chdb"
)

// QueryOptions configure `logmart bench query`.
type QueryOptions struct {
	// Rows is how many log rows to generate (demo-shaped, over the last 24 h).
	Rows int
	// Runs is how many times each template runs, through the API and on the
	// engine alone.
	Runs int
	// Clients and Panels shape the concurrency test: Clients each open the
	// same dashboard of Panels templates at once.
	Clients, Panels int
	// TemplatesDir holds the shipped templates.
	TemplatesDir string
	// Data is the engine's folder; empty: a temporary one, removed after.
	Data string
	Log  *slog.Logger
}

// TemplateTiming compares one template's API latency with the engine alone.
type TemplateTiming struct {
	Template    string  `json:"template"`
	Rows        int     `json:"rows"`
	EngineP50Ms float64 `json:"engine_p50_ms"`
	APIP50Ms    float64 `json:"api_p50_ms"`
	OverheadPct float64 `json:"overhead_p50_pct"`
}

// QueryResult is what `logmart bench query --json` prints.
type QueryResult struct {
	Rows                int              `json:"rows"`
	Templates           []TemplateTiming `json:"templates"`
	MedianOverheadPct   float64          `json:"median_overhead_pct"`
	Clients             int              `json:"clients"`
	Panels              int              `json:"panels"`
	ConcurrentRequests  int              `json:"concurrent_requests"`
	ConcurrentErrors    int              `json:"concurrent_errors"`
	ConcurrentP50Ms     float64          `json:"concurrent_p50_ms"`
	ConcurrentP95Ms     float64          `json:"concurrent_p95_ms"`
	ConcurrentMaxMs     float64          `json:"concurrent_max_ms"`
	ConcurrentEngineRun int              `json:"concurrent_engine_runs"`
}

// sampleParams gives the required parameters that have no default.
var sampleParams = map[string]map[string]any{
	"metric_over_time": {"metric": "http_requests_total"},
}

// Query generates data, then times every template through the HTTP API
// against the same statement on the engine alone, and opens one dashboard
// from many clients at once.
func Query(ctx context.Context, o QueryOptions) (QueryResult, error) {
	var res QueryResult
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Rows < 1000 || o.Runs < 1 || o.Clients < 1 || o.Panels < 1 {
		return res, errors.New("rows must be at least 1000; runs, clients and panels at least 1")
	}
	parts := quiet(o.Log)
	st, done, err := generatedStore(ctx, o.Data, "logmart-bench-query-", o.Rows, o.Log)
	if err != nil {
		return res, err
	}
	defer done()
	res.Rows = o.Rows

	runner := query.NewRunner(st, nil)
	cold := query.DefaultConfig()
	cold.Dir, cold.CacheTTL = o.TemplatesDir, 0
	catalog := query.NewCatalog(cold, runner, parts)
	if err := catalog.Load(ctx); err != nil {
		return res, err
	}
	scfg := server.Default()
	srv := httptest.NewServer(server.New(scfg, server.Deps{Templates: catalog}, nil).Handler())
	defer srv.Close()
	settings := server.Principal{Role: server.RoleAdmin}.Settings(scfg.Limits[server.RoleAdmin])

	now := time.Now().UTC()
	from, to := now.Add(-24*time.Hour), now
	infos := catalog.List(ctx, settings)
	for _, info := range infos {
		params := sampleParams[info.ID]
		if params == nil {
			params = map[string]any{}
		}
		req := query.TemplateRequest{Template: info.ID, Params: params, From: from, To: to}
		sql, bound, err := catalog.Statement(ctx, req, settings)
		if err != nil {
			return res, fmt.Errorf("template %s: %w", info.ID, err)
		}
		var engine, api []time.Duration
		rows := 0
		for range o.Runs {
			start := time.Now()
			r, err := st.Query(ctx, store.Query{SQL: sql, Params: bound, Settings: settings})
			if err != nil {
				return res, fmt.Errorf("template %s on the engine: %w", info.ID, err)
			}
			engine = append(engine, time.Since(start))
			rows = len(r.Rows)
			start = time.Now()
			if err := apiQuery(srv.URL, info.ID, params, from, to); err != nil {
				return res, fmt.Errorf("template %s through the API: %w", info.ID, err)
			}
			api = append(api, time.Since(start))
		}
		e, a := pct(engine, 50), pct(api, 50)
		res.Templates = append(res.Templates, TemplateTiming{
			Template: info.ID, Rows: rows, EngineP50Ms: ms1(e), APIP50Ms: ms1(a),
			OverheadPct: round1(100 * (float64(a) - float64(e)) / float64(e)),
		})
	}
	over := make([]float64, len(res.Templates))
	for i, t := range res.Templates {
		over[i] = t.OverheadPct
	}
	sort.Float64s(over)
	if len(over) > 0 {
		res.MedianOverheadPct = over[len(over)/2]
	}

	// Many people open one dashboard: the same panels, the same relative
	// range, within seconds. The cache and the coalescing of identical
	// requests make each panel run once.
	warm := query.DefaultConfig()
	warm.Dir = o.TemplatesDir
	wcat := query.NewCatalog(warm, runner, parts)
	if err := wcat.Load(ctx); err != nil {
		return res, err
	}
	wsrv := httptest.NewServer(server.New(scfg, server.Deps{Templates: wcat}, nil).Handler())
	defer wsrv.Close()
	panels := infos
	if len(panels) > o.Panels {
		panels = panels[:o.Panels]
	}
	var (
		mu   sync.Mutex
		lat  []time.Duration
		errs int
		wg   sync.WaitGroup
	)
	runs0 := engineRuns()
	for range o.Clients {
		for _, p := range panels {
			wg.Add(1)
			go func() {
				defer wg.Done()
				start := time.Now()
				err := apiQueryRel(wsrv.URL, p.ID, sampleParams[p.ID], "now-1h", "now")
				d := time.Since(start)
				mu.Lock()
				defer mu.Unlock()
				lat = append(lat, d)
				if err != nil {
					errs++
					o.Log.Warn("concurrent request failed", "template", p.ID, "err", err)
				}
			}()
		}
	}
	wg.Wait()
	res.Clients, res.Panels = o.Clients, len(panels)
	res.ConcurrentRequests, res.ConcurrentErrors = len(lat), errs
	res.ConcurrentP50Ms, res.ConcurrentP95Ms = ms1(pct(lat, 50)), ms1(pct(lat, 95))
	res.ConcurrentMaxMs = ms1(slices.Max(lat))
	res.ConcurrentEngineRun = engineRuns() - runs0
	return res, nil
}

// generatedStore opens the embedded engine on data (a temporary folder
// named after prefix when empty, removed by done), migrates it and fills
// it with rows of demo-shaped data (generate). done closes it all.
func generatedStore(ctx context.Context, data, prefix string, rows int, log *slog.Logger) (st *chdb.Engine, done func(), err error) {
	cleanup := func() {}
	if data == "" {
		d, err := os.MkdirTemp("", prefix)
		if err != nil {
			return nil, nil, err
		}
		cleanup = func() { os.RemoveAll(d) }
		data = d
	}
	ccfg := chdb.Default()
	ccfg.Path = data
	parts := quiet(log)
	if st, err = chdb.Open(ccfg, "bench", parts); err != nil {
		cleanup()
		return nil, nil, err
	}
	done = func() {
		st.Close()
		cleanup()
	}
	if err := store.Migrate(ctx, st, parts); err != nil {
		done()
		return nil, nil, err
	}
	log.Info("generating rows", "rows", rows)
	if err := generate(ctx, st, rows); err != nil {
		done()
		return nil, nil, err
	}
	return st, done, nil
}

// engineRuns counts the template runs that reached the engine so far (cache
// misses).
func engineRuns() int {
	mfs, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		return 0
	}
	n := 0.0
	for _, mf := range mfs {
		if mf.GetName() != "logmart_template_cache_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "result" && l.GetValue() == "miss" {
					n += m.GetCounter().GetValue()
				}
			}
		}
	}
	return int(n)
}

// generate fills logs, events and metrics with demo-shaped rows over the
// last 24 hours, inside the engine (INSERT … SELECT), so the data costs
// seconds, not minutes. Services, their streams, regions, hosts and tenants
// are the demo's (package internal/demo); they reach the statements as JSON
// text in bound parameters, read with JSONExtract.
func generate(ctx context.Context, st store.Store, rows int) error {
	services, regions := demo.Services(), demo.Regions()
	streams := make([]string, len(services))
	// The hosts of service si in region ri are pods[k] names from
	// hosts[first[k]], k = si*len(regions) + ri: one flat list, as a nested
	// one indexed row by row is copied row by row (a hundred times slower).
	var (
		hosts       []string
		first, pods []int
	)
	for si, s := range services {
		streams[si] = demo.Stream(s)
		for _, r := range regions {
			h := demo.Hosts(s, r)
			first, pods = append(first, len(hosts)), append(pods, len(h))
			hosts = append(hosts, h...)
		}
	}
	p := map[string]string{
		"rows":          fmt.Sprint(rows),
		"small":         fmt.Sprint(max(rows/100, 1000)),
		"metric_rows":   fmt.Sprint(len(services) * int(24*time.Hour/demo.ScrapeInterval)),
		"scrape_s":      fmt.Sprint(int(demo.ScrapeInterval / time.Second)),
		"audit_service": demo.AuditService,
		"audit_stream":  demo.Stream(demo.AuditService),
	}
	for k, v := range map[string]any{"services": services, "streams": streams, "regions": regions,
		"hosts": hosts, "first": first, "pods": pods, "tenants": demo.Tenants()} {
		b, _ := json.Marshal(v) // strings always encode
		p[k] = string(b)
	}
	sql := `INSERT INTO logs (timestamp, stream, source, service, host, level, body, attributes, trace_id, ingest_time, kafka_topic, kafka_partition, kafka_offset)
WITH JSONExtract({services:String}, 'Array(String)') AS services,
    JSONExtract({streams:String}, 'Array(String)') AS streams,
    JSONExtract({regions:String}, 'Array(String)') AS regions,
    JSONExtract({hosts:String}, 'Array(String)') AS hosts,
    JSONExtract({first:String}, 'Array(UInt32)') AS first,
    JSONExtract({pods:String}, 'Array(UInt32)') AS pods,
    cityHash64(number) % length(services) AS si,
    cityHash64(number, 7) % length(regions) AS ri,
    si * length(regions) + ri + 1 AS k
SELECT
    now64(3) - toIntervalMillisecond(intDiv(number * 86400000, {rows:UInt64})) AS ts,
    streams[si + 1],
    'logs',
    services[si + 1],
    hosts[first[k] + cityHash64(number, 1) % pods[k] + 1],
    multiIf(cityHash64(number, 2) % 100 < 2, 'error', cityHash64(number, 2) % 100 < 7, 'warn', cityHash64(number, 2) % 100 < 20, 'debug', 'info') AS lvl,
    concat(['GET', 'POST', 'PUT'][number % 3 + 1], ' /api/v1/', ['calls', 'agents', 'queues', 'tenants', 'recordings'][cityHash64(number, 3) % 5 + 1], ' ',
           toString(st), ' ', toString(lat), 'ms'),
    map('http.method', ['GET', 'POST', 'PUT'][number % 3 + 1],
        'http.path', concat('/api/v1/', ['calls', 'agents', 'queues', 'tenants', 'recordings'][cityHash64(number, 3) % 5 + 1]),
        'http.status', toString(multiIf(lvl = 'error', 500 + cityHash64(number, 4) % 4, cityHash64(number, 4) % 100 < 5, 404, 200) AS st),
        'http.latency_ms', toString(toUInt32(exp(3 + (cityHash64(number, 5) % 1000) / 250)) AS lat),
        'region', regions[ri + 1]),
    lower(hex(cityHash64(number, 6))),
    ts, 'logs', toInt32(number % 4), toInt64(intDiv(number, 4))
FROM numbers({rows:UInt64})`
	if err := st.Exec(ctx, store.Query{SQL: sql, Params: p}); err != nil {
		return fmt.Errorf("cannot generate logs: %w", err)
	}
	events := `INSERT INTO events (timestamp, type, stream, source, service, tenant, attributes, body, ingest_time, kafka_topic, kafka_partition, kafka_offset)
WITH JSONExtract({tenants:String}, 'Array(String)') AS tenants
SELECT now64(3) - toIntervalMillisecond(intDiv(number * 86400000, {small:UInt64})) AS ts, 'audit', {audit_stream:String}, 'events', {audit_service:String},
    tenants[number % length(tenants) + 1],
    map('action', ['login', 'login', 'login_failed', 'role_change', 'export'][cityHash64(number) % 5 + 1],
        'actor', ['alice', 'bob', 'root', 'admin', 'carol', 'dave'][cityHash64(number, 1) % 6 + 1],
        'result', if(cityHash64(number, 2) % 10 < 2, 'failure', 'success'),
        'source_ip', concat('192.0.2.', toString(cityHash64(number, 3) % 40))),
    '', ts, 'events', 0, toInt64(number)
FROM numbers({small:UInt64})`
	if err := st.Exec(ctx, store.Query{SQL: events, Params: p}); err != nil {
		return fmt.Errorf("cannot generate events: %w", err)
	}
	metrics := `INSERT INTO metrics (name, labels, fingerprint, timestamp, value, stream, ingest_time, kafka_topic, kafka_partition, kafka_offset)
SELECT 'http_requests_total', map('service', svc), cityHash64(svc), ts, toFloat64(number), 'metrics', ts, 'metrics', 0, toInt64(number)
FROM (
    WITH JSONExtract({services:String}, 'Array(String)') AS services
    SELECT number, now64(3) - toIntervalSecond(intDiv(number, length(services)) * {scrape_s:UInt32}) AS ts,
        services[number % length(services) + 1] AS svc
    FROM numbers({metric_rows:UInt64}))`
	if err := st.Exec(ctx, store.Query{SQL: metrics, Params: p}); err != nil {
		return fmt.Errorf("cannot generate metrics: %w", err)
	}
	return nil
}

func apiQuery(base, id string, params map[string]any, from, to time.Time) error {
	return apiQueryRel(base, id, params, from.Format(time.RFC3339Nano), to.Format(time.RFC3339Nano))
}

func apiQueryRel(base, id string, params map[string]any, from, to string) error {
	if params == nil {
		params = map[string]any{}
	}
	body, _ := json.Marshal(map[string]any{"template": id, "params": params, "from": from, "to": to})
	resp, err := http.Post(base+"/api/v1/query", "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Errorf("status %d: %s", resp.StatusCode, raw)
	}
	return nil
}

func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := (len(s) - 1) * p / 100
	return s[i]
}

func ms1(d time.Duration) float64 { return round1(ms(d)) }

func round1(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }
