package alerts

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/logmart/logmart/query"
	"github.com/logmart/logmart/store"
	"github.com/logmart/logmart/store/chdb"
	"github.com/logmart/logmart/store/storetest"
)

func TestMain(m *testing.M) {
	storetest.Main(m, "alerts_test", func(*chdb.Engine) {})
}

// catalogTemplates runs monitors' templates on the query catalog, as cmd
// wires it.
type catalogTemplates struct{ c *query.Catalog }

func (a catalogTemplates) req(q Query) query.TemplateRequest {
	return query.TemplateRequest{Template: q.Template, Version: q.Version, Params: q.Params, From: q.From, To: q.To}
}

func (a catalogTemplates) Run(ctx context.Context, q Query) (*store.Result, error) {
	res, err := a.c.RunTemplate(ctx, query.Caller{User: "alerts", Source: "alert"}, a.req(q), store.Settings{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	return res.Result, nil
}

func (a catalogTemplates) Columns(ctx context.Context, q Query) ([]store.Column, error) {
	return a.c.ResultColumns(ctx, a.req(q))
}

// linkPins pins evaluations as shared links, as cmd wires it.
type linkPins struct{ l *query.Links }

func (p linkPins) Pin(ctx context.Context, q Query, title string) (string, error) {
	link, err := p.l.Create(ctx, query.Caller{User: "monitor:" + q.Monitor}, query.LinkRequest{Template: q.Template, Version: q.Version, Params: q.Params,
		From: q.From.Format(time.RFC3339Nano), To: q.To.Format(time.RFC3339Nano), Title: title, Snapshot: true}, store.Settings{ReadOnly: true})
	if err != nil {
		return "", err
	}
	return link.ID, nil
}

// env is a monitor service on its own database, with the shipped
// templates.
type env struct {
	st    store.Store
	cat   *query.Catalog
	links *query.Links
	svc   *Service
}

func newEnv(t *testing.T, channels map[string]Channel, ob OutboxConfig) *env {
	t.Helper()
	st := storetest.Database(t)
	cfg := query.DefaultConfig()
	cfg.Dir = "../configs/templates"
	cat := query.NewCatalog(cfg, query.NewRunner(st, nil), nil)
	if err := cat.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	links := query.NewLinks(st, cat, query.LinkOptions{})
	return &env{st: st, cat: cat, links: links, svc: newService(t, st, cat, links, channels, ob, "replica-a")}
}

func newService(t *testing.T, st store.Store, cat *query.Catalog, links *query.Links, channels map[string]Channel, ob OutboxConfig, holder string) *Service {
	t.Helper()
	if ob.MinBackoff == 0 {
		ob = OutboxConfig{MinBackoff: 50 * time.Millisecond, MaxBackoff: 400 * time.Millisecond, GiveUpAfter: time.Hour}
	}
	cfg := DefaultConfig()
	cfg.Dir = t.TempDir()
	cfg.BaseURL = "https://logs.example.com"
	cfg.Lease = 3 * time.Second
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	lib := Library(cfg.Dir, st, nil, log)
	out := NewOutbox(st, channels, ob, nil, log)
	s := New(cfg, st, lib, catalogTemplates{cat}, linkPins{links}, out, holder, log)
	if ok, err := s.lease.Acquire(context.Background()); err != nil || !ok {
		t.Fatalf("lease: %v %v", ok, err)
	}
	if err := s.ensureLoaded(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// insertErrors writes n error lines of service, spread over the second
// before at.
func insertErrors(t *testing.T, st store.Store, service string, n int, at time.Time) {
	t.Helper()
	err := st.Exec(context.Background(), store.Query{SQL: `INSERT INTO logs (timestamp, stream, service, host, level, body, ingest_time)
SELECT fromUnixTimestamp64Milli({at:Int64} - 1000 + number % 1000), 'edge', {svc:String}, 'h1', 'error', 'boom ' || toString(number), now64(3)
FROM numbers({n:UInt64})`, Params: map[string]string{"at": strconv.FormatInt(at.UnixMilli(), 10), "svc": service, "n": strconv.Itoa(n)}})
	if err != nil {
		t.Fatal(err)
	}
}

func ptr(f float64) *float64 { return &f }

// errorMonitor fires when a service logs more than 100 errors in a
// minute bucket of the last 5 minutes.
func errorMonitor(notify ...string) *Monitor {
	return &Monitor{ID: "errors", Title: "Error burst", Owner: "sre", Severity: "critical",
		Template: tref("errors_by_service", 1), Params: map[string]any{"step": "1m"},
		Every: Duration(time.Minute), Range: Duration(5 * time.Minute),
		Condition: Condition{Column: "errors", Reduce: "max", Above: ptr(100)}, GroupBy: []string{"service"},
		Labels: map[string]string{"team": "payments"}, Playbook: "https://runbooks.example.com/errors",
		Escalation: "page the payments secondary", Dashboard: &DashboardRef{UID: "service-health", Vars: map[string]string{"service": "$service"}},
		Notify: notify}
}

// receiver is an httptest receiver whose answers a test scripts: "down"
// (the connection is cut), a status, or "429:<seconds>".
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	script  []string
	bodies  [][]byte // every request accepted with 2xx
	tries   int
	headers []http.Header
}

func newReceiver(t *testing.T, script ...string) *receiver {
	r := &receiver{script: script}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.tries++
		step := "200"
		if len(r.script) > 0 {
			step, r.script = r.script[0], r.script[1:]
		}
		if step == "200" {
			r.bodies = append(r.bodies, body)
			r.headers = append(r.headers, req.Header.Clone())
		}
		r.mu.Unlock()
		switch {
		case step == "down":
			hj, _ := w.(http.Hijacker)
			c, _, _ := hj.Hijack()
			c.Close()
		case len(step) > 4 && step[:4] == "429:":
			w.Header().Set("Retry-After", step[4:])
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			code, _ := strconv.Atoi(step)
			w.WriteHeader(code)
			fmt.Fprint(w, `{"status":"success"}`)
		}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) accepted() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.bodies...)
}

// waitFor polls cond until it holds or 30 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func decodeJSON(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return m
}

// freePort returns a loopback port nobody listens on.
func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
