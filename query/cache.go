package query

import (
	"container/list"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/logmart/logmart/store"
)

// maxCachedRows: larger results are not kept, so the cache's memory stays
// bounded by CacheEntries × this many rows.
const maxCachedRows = 10000

var templateCache = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "logmart_template_cache_total",
	Help: "Template runs by how the result came: hit (cached), shared (waited for an identical run in flight) or miss (ran).",
}, []string{"result"})

func init() { prometheus.MustRegister(templateCache) }

// How a result came.
const (
	cacheMiss   = "miss"
	cacheHit    = "hit"
	cacheShared = "shared"
)

// resultCache keeps template results for a short time and coalesces
// identical runs in flight: while one runs, the others with the same key
// wait for its result instead of running it again. Keys include the
// caller's settings (limits and scope), so a result is only ever shared
// between callers who could each have read it.
type resultCache struct {
	ttl time.Duration
	max int
	now func() time.Time
	// counts counts lookups by how the result came (cacheHit, …).
	counts *prometheus.CounterVec

	mu      sync.Mutex
	lru     *list.List // of *cacheEntry, most recent first
	entries map[string]*list.Element
	flights map[string]*flight
}

type cacheEntry struct {
	key     string
	res     *store.Result
	expires time.Time
}

type flight struct {
	done chan struct{}
	res  *store.Result
	err  error
}

func newResultCache(ttl time.Duration, max int) *resultCache {
	return &resultCache{ttl: ttl, max: max, now: time.Now, counts: templateCache, lru: list.New(),
		entries: map[string]*list.Element{}, flights: map[string]*flight{}}
}

// do returns the cached result for key, or waits for the identical run in
// flight, or runs run. how says which. run gets a context that is not
// cancelled when the caller who started it goes away, since others may be
// waiting for it; each caller stops waiting when its own ctx ends. Results
// are shared: callers must not modify them.
func (c *resultCache) do(ctx context.Context, key string, run func(context.Context) (*store.Result, error)) (res *store.Result, how string, err error) {
	c.mu.Lock()
	if el, ok := c.entries[key]; ok {
		e := el.Value.(*cacheEntry)
		if c.now().Before(e.expires) {
			c.lru.MoveToFront(el)
			c.mu.Unlock()
			c.counts.WithLabelValues(cacheHit).Inc()
			return e.res, cacheHit, nil
		}
		c.lru.Remove(el)
		delete(c.entries, key)
	}
	if f, ok := c.flights[key]; ok {
		c.mu.Unlock()
		c.counts.WithLabelValues(cacheShared).Inc()
		select {
		case <-f.done:
			return f.res, cacheShared, f.err
		case <-ctx.Done():
			return nil, cacheShared, ctx.Err()
		}
	}
	f := &flight{done: make(chan struct{})}
	c.flights[key] = f
	c.mu.Unlock()
	c.counts.WithLabelValues(cacheMiss).Inc()

	go func() {
		defer close(f.done)
		f.res, f.err = run(context.WithoutCancel(ctx))
		c.mu.Lock()
		defer c.mu.Unlock()
		delete(c.flights, key)
		if f.err == nil && c.ttl > 0 && c.max > 0 && len(f.res.Rows) <= maxCachedRows {
			c.entries[key] = c.lru.PushFront(&cacheEntry{key: key, res: f.res, expires: c.now().Add(c.ttl)})
			for c.lru.Len() > c.max {
				old := c.lru.Back()
				c.lru.Remove(old)
				delete(c.entries, old.Value.(*cacheEntry).key)
			}
		}
	}()
	select {
	case <-f.done:
		return f.res, cacheMiss, f.err
	case <-ctx.Done():
		return nil, cacheMiss, ctx.Err()
	}
}

// runCached runs q for who through c under key: identical requests share
// one run while it is in flight and its result for c's lifetime. Every
// request is audited: the run itself (by run) with its statistics, and
// each reuse with the caller, no rows read and the time it waited. reused
// says the result was not run for this request.
func (r *Runner) runCached(ctx context.Context, c *resultCache, key string, who Caller, q store.Query, e Entry) (res *store.Result, reused bool, err error) {
	start := time.Now()
	res, how, err := c.do(ctx, key, func(ctx context.Context) (*store.Result, error) {
		return r.run(ctx, who, q, e)
	})
	if how != cacheMiss {
		e.Time, e.Caller, e.Duration, e.Err = start, who, time.Since(start), err
		if e.SQL == "" {
			e.SQL = q.SQL
		}
		if res != nil {
			e.ResultRows = len(res.Rows)
		}
		r.audit.Record(e)
	}
	return res, how != cacheMiss, err
}

// cacheKey is the cache key of q run as name: everything its result
// depends on (statement, bound values, the caller's settings).
func cacheKey(name string, q store.Query) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\x00%s\x00", name, q.SQL)
	for _, n := range slices.Sorted(maps.Keys(q.Params)) {
		fmt.Fprintf(&b, "%s=%d:%s\x00", n, len(q.Params[n]), q.Params[n])
	}
	b.WriteString(settingsKey(q.Settings))
	return b.String()
}

// len is the number of cached results, expired ones included.
func (c *resultCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// settingsKey fingerprints the settings a result was read with.
func settingsKey(s store.Settings) string { return s.Key() }

// enumValuesTTL is how long a values_query enum's values are reused.
const enumValuesTTL = 30 * time.Second

// maxEnumValues caps the values a values_query may give.
const maxEnumValues = 10000

// enumCache keeps values_query results per template version, parameter and
// caller settings.
type enumCache struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[string]enumEntry
}

type enumEntry struct {
	values  []string
	allowed map[string]bool
	expires time.Time
}

func newEnumCache(ttl time.Duration) *enumCache {
	return &enumCache{ttl: ttl, m: map[string]enumEntry{}}
}

func (c *enumCache) get(key string, now time.Time) (enumEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || !now.Before(e.expires) {
		return enumEntry{}, false
	}
	return e, true
}

func (c *enumCache) put(key string, e enumEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= 1000 {
		clear(c.m)
	}
	c.m[key] = e
}
