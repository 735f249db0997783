package alerts

import (
	"context"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/logmart/logmart/dashboards"
	"github.com/logmart/logmart/store"
)

var (
	evaluationsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "logmart_monitor_evaluations_total",
		Help: "Monitor evaluations, by result: ok (the query answered) or error.",
	}, []string{"result"})
	evaluationLag = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "logmart_monitor_evaluation_lag_seconds",
		Help:    "From a monitor's scheduled moment (its tick plus its jitter) to its evaluation done.",
		Buckets: prometheus.ExponentialBuckets(0.05, 2, 12),
	})
	evaluationsSkipped = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "logmart_monitor_evaluations_skipped_total",
		Help: "Ticks skipped because the monitor's previous evaluation was still running.",
	})
	alertsActive = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "logmart_alerts",
		Help: "Monitor groups by state (pending, firing, no_data, error), on the replica that evaluates.",
	}, []string{"state"})
	leaseHeld = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "logmart_alerts_lease_held",
		Help: "1 on the replica that evaluates monitors and delivers notifications, 0 elsewhere.",
	})
)

func init() {
	prometheus.MustRegister(evaluationsTotal, evaluationLag, evaluationsSkipped, alertsActive, leaseHeld)
}

// Pinner pins what an evaluation saw: a shared link to the monitor's
// query over the evaluation's absolute window, with the result frozen.
type Pinner interface {
	Pin(ctx context.Context, q Query, title string) (id string, err error)
}

// Service evaluates the monitors of a Library on their ticks, keeps their
// states and transitions in ClickHouse, and hands transitions to the
// Outbox with their context. Only the replica that holds the Lease
// evaluates and delivers; the others serve the API from the tables.
type Service struct {
	cfg   Config
	st    store.Store
	lib   *dashboards.Library[*Monitor]
	tpl   Templates
	pin   Pinner
	out   *Outbox
	lease *Lease
	log   *slog.Logger
	now   func() time.Time

	mu       sync.Mutex
	states   map[string]map[string]*GroupState // monitor → group → state
	loaded   bool
	lastTick map[string]time.Time
	running  map[string]bool
	sil      silences
	onLag    func(monitor string, lag time.Duration)
}

// ObserveLag has f called after every evaluation with its lag (scheduled
// tick to done): what `logmart bench alerts` measures. Call before Run.
func (s *Service) ObserveLag(f func(monitor string, lag time.Duration)) { s.onLag = f }

// New returns the alerts service. holder names this replica in the lease.
func New(cfg Config, st store.Store, lib *dashboards.Library[*Monitor], tpl Templates, pin Pinner, out *Outbox, holder string, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// Identical queries of one tick share one run, for as long as the
	// jitter spreads a tick (a quarter of an interval, at most 15s).
	s := &Service{cfg: cfg, st: st, lib: lib, tpl: newCoalesced(tpl, 20*time.Second), pin: pin, out: out, log: log, now: time.Now,
		lease: NewLease(st, "alerts", holder, cfg.Lease), states: map[string]map[string]*GroupState{},
		lastTick: map[string]time.Time{}, running: map[string]bool{}}
	out.active = s.lease.Held
	return s
}

// Monitors is the library of monitors the service evaluates.
func (s *Service) Monitors() *dashboards.Library[*Monitor] { return s.lib }

// Outbox is the notifier.
func (s *Service) Outbox() *Outbox { return s.out }

// Active reports whether this replica evaluates (holds the lease).
func (s *Service) Active() bool { return s.lease.Held() }

// jitter spreads monitors over their interval: a fixed offset per
// monitor, from its id, of up to a quarter of the interval (at most 15s).
func jitter(id string, every time.Duration) time.Duration {
	span := min(every/4, 15*time.Second)
	if span <= 0 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(id))
	return time.Duration(h.Sum64() % uint64(span))
}

// Run evaluates and delivers while this replica holds the lease, until
// ctx ends.
func (s *Service) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.out.Run(ctx)
	}()
	// Evaluations due wait for one of the evaluators' slots.
	slots := make(chan struct{}, s.cfg.Evaluators)
	var evals sync.WaitGroup
	renewEvery := s.cfg.Lease / 3
	var lastRenew, lastList, lastResend time.Time
	var monitors []*dashboards.Stored[*Monitor]
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for ctx.Err() == nil {
		now := s.now()
		if now.Sub(lastRenew) >= renewEvery || !s.lease.Held() {
			lastRenew = now
			was := s.lease.Held()
			held, err := s.lease.Acquire(ctx)
			if err != nil {
				s.log.Warn("alerts: cannot take or renew the lease", "err", err)
			}
			leaseHeld.Set(b2f(held))
			if held && !was {
				s.log.Info("alerts: this replica evaluates monitors and delivers notifications")
				s.mu.Lock()
				s.loaded = false
				s.mu.Unlock()
			}
		}
		if s.lease.Held() {
			if err := s.ensureLoaded(ctx); err != nil {
				s.log.Warn("alerts: cannot load the alert state", "err", err)
			} else {
				if now.Sub(lastList) >= 5*time.Second {
					lastList = now
					if ms, err := s.lib.List(ctx); err == nil {
						monitors = ms
					}
					if err := s.sil.refresh(ctx, s.st, now); err != nil {
						s.log.Warn("alerts: cannot read the silences", "err", err)
					}
					s.updateGauges()
				}
				s.dispatch(ctx, monitors, now, slots, &evals)
				if now.Sub(lastResend) >= s.resendEvery() {
					lastResend = now
					s.resend(ctx)
				}
			}
		}
		select {
		case <-ctx.Done():
		case <-t.C:
		}
	}
	evals.Wait()
	s.lease.Release(context.Background())
	wg.Wait()
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// dispatch starts the evaluations that are due.
func (s *Service) dispatch(ctx context.Context, monitors []*dashboards.Stored[*Monitor], now time.Time, slots chan struct{}, evals *sync.WaitGroup) {
	for _, e := range monitors {
		m := e.Item
		every := m.Every.D()
		tick := now.Truncate(every)
		due := tick.Add(jitter(m.ID, every))
		if now.Before(due) {
			continue
		}
		s.mu.Lock()
		if !s.lastTick[m.ID].Before(tick) {
			s.mu.Unlock()
			continue
		}
		if s.running[m.ID] {
			s.mu.Unlock()
			evaluationsSkipped.Inc()
			continue
		}
		s.lastTick[m.ID], s.running[m.ID] = tick, true
		s.mu.Unlock()
		evals.Add(1)
		go func() {
			defer evals.Done()
			defer func() {
				s.mu.Lock()
				delete(s.running, m.ID)
				s.mu.Unlock()
			}()
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-slots }()
			s.Evaluate(ctx, m, tick)
		}()
	}
}

// Evaluate evaluates m at tick and applies the result: the evaluation
// the scheduler runs, exported for `logmart bench` and tests.
func (s *Service) Evaluate(ctx context.Context, m *Monitor, tick time.Time) Evaluation {
	ectx, cancel := context.WithTimeout(ctx, max(m.Every.D(), 10*time.Second))
	ev := evaluate(ectx, s.tpl, m, tick)
	cancel()
	if ctx.Err() != nil {
		return ev
	}
	if ev.Err != nil {
		evaluationsTotal.WithLabelValues("error").Inc()
	} else {
		evaluationsTotal.WithLabelValues("ok").Inc()
	}
	if err := s.apply(ctx, m, ev); err != nil {
		s.log.Warn("alerts: cannot record an evaluation", "monitor", m.ID, "err", err)
	}
	// Lag counts from the monitor's scheduled moment: its tick plus its
	// jitter.
	lag := s.now().Sub(tick.Add(jitter(m.ID, m.Every.D())))
	evaluationLag.Observe(lag.Seconds())
	if s.onLag != nil {
		s.onLag(m.ID, lag)
	}
	return ev
}

func (s *Service) updateGauges() {
	counts := map[string]int{StatePending: 0, StateFiring: 0, StateNoData: 0, StateError: 0}
	s.mu.Lock()
	for _, gs := range s.states {
		for _, g := range gs {
			if _, ok := counts[g.State]; ok {
				counts[g.State]++
			}
		}
	}
	s.mu.Unlock()
	for k, v := range counts {
		alertsActive.WithLabelValues(k).Set(float64(v))
	}
}
