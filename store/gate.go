package store

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/logmart/logmart/fault"
)

// Gated is a Store that gives each pool of callers (Settings.Pool: logmart
// uses the caller's role) its own budget of statements running at once, so
// one pool's scans cannot starve another: viewers' dashboards never wait
// behind editors' ad-hoc SQL. Statements with no pool, or a pool with no
// budget, pass straight through. Only statements wait: a cached answer
// never reaches the Store and never queues.
type Gated struct {
	Store
	wait  time.Duration
	pools map[string]*pool
}

type pool struct {
	slots   chan struct{}
	waiting atomic.Int64
}

var (
	slotsInUse = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "logmart_store_slots_in_use",
		Help: "Statements running now, by pool (the caller's role).",
	}, []string{"pool"})
	slotsCapacity = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "logmart_store_slots",
		Help: "Statements a pool may run at once (server.limits.<role>.max_concurrent_queries).",
	}, []string{"pool"})
	slotsWaiting = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "logmart_store_slot_waiters",
		Help: "Statements waiting for a slot now, by pool.",
	}, []string{"pool"})
	slotsTimedOut = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "logmart_store_slot_timeouts_total",
		Help: "Statements refused because their pool's slots stayed busy for the queue timeout.",
	}, []string{"pool"})
)

func init() { prometheus.MustRegister(slotsInUse, slotsCapacity, slotsWaiting, slotsTimedOut) }

// NewGated wraps st. budgets maps a pool to how many of its statements run
// at once (0: unbounded); a statement waits for a slot up to wait, then is
// refused as unavailable.
func NewGated(st Store, budgets map[string]int, wait time.Duration) *Gated {
	g := &Gated{Store: st, wait: wait, pools: map[string]*pool{}}
	for name, n := range budgets {
		if n > 0 {
			g.pools[name] = &pool{slots: make(chan struct{}, n)}
			slotsCapacity.WithLabelValues(name).Set(float64(n))
		}
	}
	return g
}

// Query implements Store.
func (g *Gated) Query(ctx context.Context, q Query) (*Result, error) {
	release, err := g.acquire(ctx, q.Settings.Pool)
	if err != nil {
		return nil, err
	}
	defer release()
	return g.Store.Query(ctx, q)
}

// Exec implements Store.
func (g *Gated) Exec(ctx context.Context, q Query) error {
	release, err := g.acquire(ctx, q.Settings.Pool)
	if err != nil {
		return err
	}
	defer release()
	return g.Store.Exec(ctx, q)
}

func (g *Gated) acquire(ctx context.Context, name string) (func(), error) {
	p := g.pools[name]
	if p == nil {
		return func() {}, nil
	}
	release := func() {
		<-p.slots
		slotsInUse.WithLabelValues(name).Dec()
	}
	select {
	case p.slots <- struct{}{}:
		slotsInUse.WithLabelValues(name).Inc()
		return release, nil
	default:
	}
	p.waiting.Add(1)
	slotsWaiting.WithLabelValues(name).Inc()
	defer func() {
		p.waiting.Add(-1)
		slotsWaiting.WithLabelValues(name).Dec()
	}()
	t := time.NewTimer(g.wait)
	defer t.Stop()
	select {
	case p.slots <- struct{}{}:
		slotsInUse.WithLabelValues(name).Inc()
		return release, nil
	case <-ctx.Done():
		return nil, fault.Wrap(fault.Unavailable, fmt.Errorf("abandoned while waiting for a %s query slot: %w", name, ctx.Err()))
	case <-t.C:
		slotsTimedOut.WithLabelValues(name).Inc()
		return nil, fault.New(fault.Unavailable, "all %d query slots of %s stayed busy for %s; retry shortly", cap(p.slots), name, g.wait)
	}
}

// Saturation is a readiness probe: it fails while some pool has statements
// queued behind busy slots, so a load balancer sends new work elsewhere.
func (g *Gated) Saturation(context.Context) error {
	names := make([]string, 0, len(g.pools))
	for n := range g.pools {
		names = append(names, n)
	}
	sort.Strings(names)
	var busy []string
	for _, n := range names {
		p := g.pools[n]
		if w := p.waiting.Load(); w > 0 {
			busy = append(busy, fmt.Sprintf("%s: %d of %d busy, %d waiting", n, len(p.slots), cap(p.slots), w))
		}
	}
	if len(busy) > 0 {
		return fmt.Errorf("query slots saturated (%s)", strings.Join(busy, "; "))
	}
	return nil
}
