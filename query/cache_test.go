package query

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/logmart/logmart/store"
)

// countingStore is the real engine, counting the statements it runs and
// holding each one until release is closed (when set), so concurrent
// callers surely overlap.
type countingStore struct {
	store.Store
	runs    atomic.Int64
	release chan struct{}
}

func (s *countingStore) Query(ctx context.Context, q store.Query) (*store.Result, error) {
	if !strings.HasPrefix(q.SQL, "EXPLAIN") {
		s.runs.Add(1)
		if s.release != nil {
			<-s.release
		}
	}
	return s.Store.Query(ctx, q)
}

// TestCacheCoalescesAndExpires counts engine executions: 50 concurrent
// identical requests run once; a repeat within the cache's lifetime runs
// nothing; another scope, other values or an expired entry run again.
func TestCacheCoalescesAndExpires(t *testing.T) {
	ctx := context.Background()
	cs := &countingStore{Store: templateStore(t)}
	cfg := DefaultConfig()
	cfg.Dir = shippedDir
	c := NewCatalog(cfg, NewRunner(cs, nil), nil)
	if err := c.Load(ctx); err != nil {
		t.Fatal(err)
	}
	clock := time.Now()
	var clockMu sync.Mutex
	c.cache.now = func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return clock }
	req := TemplateRequest{Template: "errors_by_service", Params: map[string]any{"step": "5m"}, From: demoEnd.Add(-time.Hour), To: demoEnd}

	cs.runs.Store(0)
	cs.release = make(chan struct{})
	var wg sync.WaitGroup
	var cached atomic.Int64
	errs := make(chan error, 50)
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := c.Run(ctx, alice, req, store.Settings{})
			if err != nil {
				errs <- err
				return
			}
			if r.Cached {
				cached.Add(1)
			}
		}()
	}
	// Let the first run finish once every caller is waiting on it or has
	// found it in the cache.
	for cs.runs.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	close(cs.release)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	cs.release = nil
	if n := cs.runs.Load(); n != 1 || cached.Load() != 49 {
		t.Fatalf("50 identical requests: %d engine runs, %d reused results; want 1 and 49", n, cached.Load())
	}

	f := func(what string, req TemplateRequest, s store.Settings, wantRuns int64, wantCached bool) {
		t.Helper()
		before := cs.runs.Load()
		r, err := c.Run(ctx, alice, req, s)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if got := cs.runs.Load() - before; got != wantRuns || r.Cached != wantCached {
			t.Fatalf("%s: %d engine runs (cached %t), want %d (cached %t)", what, got, r.Cached, wantRuns, wantCached)
		}
	}
	f("the same request again", req, store.Settings{}, 0, true)
	scoped := store.Settings{TableFilters: map[string]string{"logs": "stream = 'edge'"}}
	f("another scope", req, scoped, 1, false)
	f("that scope again", req, scoped, 0, true)
	f("other limits", req, store.Settings{MaxResultRows: 1000}, 1, false)
	other := req
	other.Params = map[string]any{"step": "10m"}
	f("other values", other, store.Settings{}, 1, false)
	same := req
	same.Params = map[string]any{"step": "5m", "service": ""}
	f("an empty optional value is no value", same, store.Settings{}, 0, true)
	clockMu.Lock()
	clock = clock.Add(cfg.CacheTTL + time.Millisecond)
	clockMu.Unlock()
	f("after the lifetime", req, store.Settings{}, 1, false)

	// Failures are not kept.
	bad := TemplateRequest{Template: "errors_by_service", From: demoEnd.Add(-time.Hour), To: demoEnd}
	limited := store.Settings{MaxRowsToRead: 1}
	for range 2 {
		before := cs.runs.Load()
		if _, err := c.Run(ctx, alice, bad, limited); err == nil {
			t.Fatal("max_rows_to_read 1 did not stop the query")
		}
		if cs.runs.Load()-before != 1 {
			t.Fatal("a failed run was cached")
		}
	}
}

// TestCacheEvictsLeastRecentlyUsed: the cache holds at most CacheEntries.
func TestCacheEvictsLeastRecentlyUsed(t *testing.T) {
	c := newResultCache(time.Minute, 2)
	runs := 0
	get := func(key string) string {
		_, how, err := c.do(context.Background(), key, func(context.Context) (*store.Result, error) {
			runs++
			return &store.Result{}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return how
	}
	for _, step := range []struct{ key, want string }{
		{"a", cacheMiss}, {"b", cacheMiss}, {"a", cacheHit}, {"c", cacheMiss}, // b is evicted
		{"a", cacheHit}, {"b", cacheMiss}, {"c", cacheMiss},
	} {
		if got := get(step.key); got != step.want {
			t.Fatalf("%s: %s, want %s", step.key, got, step.want)
		}
	}
	if c.len() != 2 {
		t.Fatalf("%d entries", c.len())
	}
}

// TestRelativeRangesShareAnEntry: "now-1h" resolves against now rounded
// down to the cache lifetime, so requests within it get the same range.
func TestRelativeRangesShareAnEntry(t *testing.T) {
	c := NewCatalog(DefaultConfig(), NewRunner(templateStore(t), nil), nil)
	base := time.Date(2026, 11, 21, 10, 0, 3, 0, time.UTC)
	c.now = func() time.Time { return base }
	f1, t1, err := c.ResolveRange("now-1h", "now")
	if err != nil {
		t.Fatal(err)
	}
	c.now = func() time.Time { return base.Add(6 * time.Second) }
	f2, t2, _ := c.ResolveRange("now-1h", "")
	if !f1.Equal(f2) || !t1.Equal(t2) || !t1.Equal(time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)) {
		t.Fatalf("%s–%s vs %s–%s", f1, t1, f2, t2)
	}
}

// TestRunsAreAudited: every request lands in query_log with the template,
// version, bound values and statement; a reused result is recorded for its
// caller too, with nothing read.
func TestRunsAreAudited(t *testing.T) {
	ctx := context.Background()
	st := templateStore(t)
	audit := NewAudit(st, nil)
	c := NewCatalog(DefaultConfig(), NewRunner(st, audit), nil)
	c.cfg.Dir = shippedDir
	if err := c.Load(ctx); err != nil {
		t.Fatal(err)
	}
	who := Caller{User: "audit-test", Role: "viewer", Source: "ui"}
	req := TemplateRequest{Template: "top_hosts_by_error_rate", Params: map[string]any{"service": "auth"}, From: demoEnd.Add(-time.Hour), To: demoEnd}
	first, err := c.Run(ctx, who, req, store.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Run(ctx, who, req, store.Settings{}); err != nil {
		t.Fatal(err)
	}
	bad := req
	bad.Params = map[string]any{"limit": "ten"}
	if _, err := c.Run(ctx, who, bad, store.Settings{}); err == nil {
		t.Fatal("limit ten ran")
	}
	audit.Close()
	res, err := st.Query(ctx, store.Query{SQL: `SELECT template, template_version, params, sql, status, rows_read > 0, source
FROM query_log WHERE user = 'audit-test' ORDER BY time, rows_read DESC`})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 3 {
		t.Fatalf("%d audit rows, want 3 (a run, a reuse and a refused request): %v", len(res.Rows), res.Rows)
	}
	if r := res.Rows[2]; r[0] != "top_hosts_by_error_rate" || r[4] != "error" || !strings.Contains(r[2].(string), `"limit":"\"ten\""`) {
		t.Fatalf("refused request: %v", r)
	}
	for i, r := range res.Rows[:2] {
		if r[0] != "top_hosts_by_error_rate" || store.CellString(r[1]) != "1" || r[3] != first.SQL || r[4] != "ok" || r[6] != "ui" ||
			!strings.Contains(r[2].(string), `"service":"auth"`) || !strings.Contains(r[2].(string), `"from":"`) {
			t.Fatalf("audit row %d: %v", i, r)
		}
	}
	if r := res.Rows; r[0][5] != true && store.CellString(r[0][5]) != "1" || r[1][5] != false && store.CellString(r[1][5]) != "0" {
		t.Fatalf("rows_read > 0: run %v, reuse %v", r[0][5], r[1][5])
	}
}
