package budgets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"reflect"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/logmart/logmart/store"
)

var (
	usageGauge = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "logmart_budget_usage_bytes",
		Help: "A budget's usage of its current period (events for a budget counted in events, as unit says).",
	}, []string{"budget", "unit"})
	forecastGauge = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "logmart_budget_forecast_bytes",
		Help: "The forecast of a budget's usage at the end of its period: bound point, lower or upper (the interval at the budget's confidence).",
	}, []string{"budget", "unit", "bound"})
	capacityGauge = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "logmart_budget_capacity_bytes",
		Help: "A budget's capacity per period.",
	}, []string{"budget", "unit"})
	droppedGauge = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "logmart_budget_dropped_bytes_total",
		Help: "What an exceeded budget kept out of ClickHouse in its current period, by outcome (dropped, archive-only).",
	}, []string{"budget", "unit", "outcome"})
)

func init() { prometheus.MustRegister(usageGauge, forecastGauge, capacityGauge, droppedGauge) }

// Notice is a budget alert as the notifier sends it; cmd turns it into
// the alerts package's event.
type Notice struct {
	ID, Budget, State string
	// Key pairs a trigger with its resolve: budget and period.
	Key                      string
	Period                   time.Time
	Usage, Capacity          float64
	Forecast, Lower, Upper   float64
	Unit, Method             string
	Threshold                float64
	At                       time.Time
	BreachAt                 time.Time // zero when no breach is expected
	Dashboard, Playbook      string
	Owner, Description, Note string
}

// Notifier sends budget notices to channels (the alerts outbox, wired by
// cmd).
type Notifier interface {
	NotifyBudget(ctx context.Context, channels []string, n Notice) error
}

// Evaluator judges every budget each Every: it updates the metrics and
// raises each period's alerts once, with hysteresis, recording them in
// budget_transitions and sending them through the notifier. Only the
// replica that active says evaluates (the alerts lease).
type Evaluator struct {
	st     store.Store
	out    Notifier
	active func() bool
	every  time.Duration
	log    *slog.Logger

	mu      sync.Mutex
	bs      []*Budget
	alerter map[string]*Alerter
}

// NewEvaluator returns the evaluator of bs (Set changes them).
func NewEvaluator(st store.Store, bs []*Budget, out Notifier, active func() bool, every time.Duration, log *slog.Logger) *Evaluator {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := &Evaluator{st: st, out: out, active: active, every: every, log: log, alerter: map[string]*Alerter{}}
	e.Set(bs)
	return e
}

// Set has the evaluator judge bs from now on. A budget whose limits did
// not change keeps its alert states.
func (e *Evaluator) Set(bs []*Budget) {
	e.mu.Lock()
	defer e.mu.Unlock()
	next := make(map[string]*Alerter, len(bs))
	for _, b := range bs {
		capa, _ := ParseAmount(b.Capacity)
		lim := Limits{Capacity: capa.Value, Thresholds: b.Thresholds, Hold: 2}
		if b.LowerBound != "" {
			lb, _ := ParseAmount(b.LowerBound)
			lim.LowerBound = lb.Value
		}
		if a := e.alerter[b.ID]; a != nil && reflect.DeepEqual(a.lim, lim) {
			next[b.ID] = a
			continue
		}
		next[b.ID] = NewAlerter(lim)
	}
	for id := range e.alerter {
		if next[id] == nil {
			for _, g := range []*prometheus.GaugeVec{usageGauge, forecastGauge, capacityGauge, droppedGauge} {
				g.DeletePartialMatch(prometheus.Labels{"budget": id})
			}
		}
	}
	e.bs, e.alerter = bs, next
}

// Run evaluates until ctx ends.
func (e *Evaluator) Run(ctx context.Context) {
	t := time.NewTicker(e.every)
	defer t.Stop()
	for {
		if err := e.Evaluate(ctx, time.Now()); err != nil && ctx.Err() == nil {
			e.log.Warn("budgets: cannot evaluate", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Evaluate judges every budget at now.
func (e *Evaluator) Evaluate(ctx context.Context, now time.Time) error {
	e.mu.Lock()
	bs, alerter := e.bs, e.alerter
	e.mu.Unlock()
	sts, err := StatusAt(ctx, e.st, bs, now)
	if err != nil {
		return err
	}
	for i, s := range sts {
		b := bs[i]
		usageGauge.WithLabelValues(s.ID, s.Unit).Set(s.Usage)
		capacityGauge.WithLabelValues(s.ID, s.Unit).Set(s.Capacity)
		forecastGauge.WithLabelValues(s.ID, s.Unit, "point").Set(s.Forecast.Point)
		forecastGauge.WithLabelValues(s.ID, s.Unit, "lower").Set(s.Forecast.Lower)
		forecastGauge.WithLabelValues(s.ID, s.Unit, "upper").Set(s.Forecast.Upper)
		droppedGauge.WithLabelValues(s.ID, s.Unit, OutcomeDropped).Set(s.Dropped)
		droppedGauge.WithLabelValues(s.ID, s.Unit, OutcomeArchiveOnly).Set(s.ArchiveOnly)
		if e.active != nil && !e.active() {
			continue
		}
		al := alerter[s.ID]
		if last := al.period; !last.IsZero() && s.PeriodStart.After(last) {
			// The period observed last ended since: judge it as it ended,
			// so that a cap crossed in its last moments is recorded (every
			// evaluation of a minute budget ends one).
			ended, err := StatusAt(ctx, e.st, []*Budget{b}, s.PeriodStart.Add(-time.Second))
			if err != nil {
				return err
			}
			if f := ended[0]; f.PeriodStart.Equal(last) {
				for _, a := range al.Observe(s.PeriodStart, last, f.Forecast) {
					if err := e.raise(ctx, b, f, a); err != nil {
						return err
					}
				}
			}
		}
		for _, a := range al.Observe(now, s.PeriodStart, s.Forecast) {
			if err := e.raise(ctx, b, s, a); err != nil {
				return err
			}
		}
	}
	return nil
}

// raise records one alert, then notifies it.
func (e *Evaluator) raise(ctx context.Context, b *Budget, s Status, a Alert) error {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d\x00%s\x00%g", b.ID, s.PeriodStart.Unix(), a.State, a.Threshold))
	id := hex.EncodeToString(sum[:12])
	err := e.st.Exec(ctx, store.Query{SQL: `INSERT INTO budget_transitions (id, budget, period_start, state, threshold, at, usage, forecast, lower, upper, capacity, method)
VALUES ({id:String}, {b:String}, toDateTime({ps:Int64}), {state:String}, {th:Float64}, fromUnixTimestamp64Milli({at:Int64}),
  {u:Float64}, {f:Float64}, {lo:Float64}, {up:Float64}, {cap:Float64}, {m:String})`, Params: map[string]string{
		"id": id, "b": b.ID, "ps": fmt.Sprint(s.PeriodStart.Unix()), "state": a.State, "th": fmt.Sprint(a.Threshold),
		"at": fmt.Sprint(a.At.UnixMilli()), "u": fmt.Sprint(a.Usage), "f": fmt.Sprint(a.Forecast), "lo": fmt.Sprint(a.Lower),
		"up": fmt.Sprint(a.Upper), "cap": fmt.Sprint(s.Capacity), "m": a.Method}})
	if err != nil {
		return fmt.Errorf("cannot record budget %s's %s: %w", b.ID, a.State, err)
	}
	e.log.Info("budget alert", "budget", b.ID, "state", a.State, "usage", a.Usage, "forecast", a.Forecast, "capacity", s.Capacity)
	if e.out == nil || len(b.Notify) == 0 {
		return nil
	}
	n := Notice{ID: id, Budget: b.ID, State: a.State, Key: b.ID + "/" + s.PeriodStart.Format(time.RFC3339), Period: s.PeriodStart,
		Usage: a.Usage, Capacity: s.Capacity, Forecast: a.Forecast, Lower: a.Lower, Upper: a.Upper, Unit: s.Unit, Method: a.Method,
		Threshold: a.Threshold, At: a.At, Dashboard: b.Dashboard, Playbook: b.Playbook, Owner: b.Owner, Description: b.Description,
		BreachAt: breachAt(s, a)}
	return e.out.NotifyBudget(ctx, b.Notify, n)
}

// breachAt estimates when the usage crosses the capacity, at the pace the
// point forecast implies over the rest of the period.
func breachAt(s Status, a Alert) time.Time {
	if a.Forecast <= s.Capacity || a.Usage >= s.Capacity {
		return time.Time{}
	}
	left := s.PeriodEnd.Sub(a.At)
	share := (s.Capacity - a.Usage) / (a.Forecast - a.Usage)
	return a.At.Add(time.Duration(float64(left) * share)).UTC()
}
