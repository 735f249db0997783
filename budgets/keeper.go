package budgets

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/logmart/logmart/store"
)

// Config configures ingest budgets (the budgets: section).
type Config struct {
	// Dir holds the budgets, one YAML file each. Default configs/budgets;
	// a missing folder holds none.
	Dir string `yaml:"dir"`
	// SyncEvery is how often each replica persists its counts and reads
	// every replica's: the bound on overshoot between replicas (doc.go).
	// Default 5s.
	SyncEvery time.Duration `yaml:"sync_every"`
}

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config { return Config{Dir: "configs/budgets", SyncEvery: 5 * time.Second} }

// Validate reports the first field a user must fix.
func (c Config) Validate() error {
	switch {
	case c.Dir == "":
		return fmt.Errorf("budgets.dir must name a folder")
	case c.SyncEvery < 100*time.Millisecond || c.SyncEvery > time.Minute:
		return fmt.Errorf("budgets.sync_every: %s is not 100ms to 1m", c.SyncEvery)
	}
	return nil
}

// PeriodOf is a budget's current period, as Keeper syncs it.
type PeriodOf struct {
	ID     string
	Start  time.Time
	Events bool
}

// Periods are every budget's current period at t.
func (a *Accountant) Periods(t time.Time) []PeriodOf {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]PeriodOf, len(a.budgets))
	for i, c := range a.budgets {
		out[i] = PeriodOf{ID: c.b.ID, Start: a.current(i, t, t.UnixNano()).start, Events: c.capacity.Events}
	}
	return out
}

// Keeper persists an Accountant's counts to the budget_usage table and
// syncs it to the total of every replica, every SyncEvery.
type Keeper struct {
	st      store.Store
	a       *Accountant
	replica string
	every   time.Duration
	log     *slog.Logger
}

// NewKeeper returns the keeper of a for this replica.
func NewKeeper(st store.Store, a *Accountant, replica string, every time.Duration, log *slog.Logger) *Keeper {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Keeper{st: st, a: a, replica: replica, every: every, log: log}
}

// Run syncs until ctx ends, then persists what is left.
func (k *Keeper) Run(ctx context.Context) {
	t := time.NewTicker(k.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := k.Sync(context.WithoutCancel(ctx)); err != nil {
				k.log.Warn("budgets: cannot persist the last usage", "err", err)
			}
			return
		case <-t.C:
			if err := k.Sync(ctx); err != nil {
				k.log.Warn("budgets: cannot sync the usage", "err", err)
			}
		}
	}
}

// Sync persists the counts since the last sync, then reads every
// replica's usage of each budget's current period into the accountant.
func (k *Keeper) Sync(ctx context.Context) error {
	rows := k.a.Flush()
	if len(rows) > 0 {
		if err := k.insert(ctx, rows); err != nil {
			k.a.unflush(rows)
			return err
		}
	}
	now := time.Now()
	periods := k.a.Periods(now)
	if len(periods) == 0 {
		return nil
	}
	earliest := periods[0].Start
	for _, p := range periods {
		if p.Start.Before(earliest) {
			earliest = p.Start
		}
	}
	res, err := k.st.Query(ctx, store.Query{SQL: `SELECT budget, toUnixTimestamp(minute), sum(bytes), sum(events)
FROM budget_usage WHERE minute >= toDateTime({from:Int64}) GROUP BY budget, minute`,
		Params: map[string]string{"from": strconv.FormatInt(earliest.Unix(), 10)}})
	if err != nil {
		return fmt.Errorf("cannot read the budget usage: %w", err)
	}
	resets, err := lastResets(ctx, k.st, earliest)
	if err != nil {
		return err
	}
	byID := map[string]PeriodOf{}
	for _, p := range periods {
		byID[p.ID] = p
	}
	totals, starts := map[string]float64{}, map[string]time.Time{}
	for _, p := range periods {
		totals[p.ID], starts[p.ID] = 0, p.Start
	}
	for _, r := range res.Rows {
		p, ok := byID[store.CellString(r[0])]
		if !ok || store.CellUnix(r[1]).Before(countsFrom(p.Start, resets, p.ID)) {
			continue
		}
		if p.Events {
			totals[p.ID] += float64(store.CellUint64(r[3]))
		} else {
			totals[p.ID] += float64(store.CellUint64(r[2]))
		}
	}
	k.a.Sync(totals, starts)
	for id, at := range resets {
		if p, ok := byID[id]; ok && at.After(p.Start) {
			k.a.resetAt(id, at)
		}
	}
	return nil
}

func (k *Keeper) insert(ctx context.Context, rows []Usage) error {
	slices.SortFunc(rows, func(a, b Usage) int { return a.Minute.Compare(b.Minute) })
	b := &store.Block{}
	budget, outcome, replica := &store.StringColumn{Name: "budget"}, &store.StringColumn{Name: "outcome"}, &store.StringColumn{Name: "replica"}
	minute := &store.UInt32Column{Name: "minute", Type: "DateTime"}
	bytes, events := &store.UInt64Column{Name: "bytes"}, &store.UInt64Column{Name: "events"}
	at := &store.Int64Column{Name: "flushed_at", Type: "DateTime64(3)"}
	start := &store.UInt32Column{Name: "period_start", Type: "DateTime"}
	unit := &store.StringColumn{Name: "unit"}
	capacity, lower := &store.Float64Column{Name: "capacity"}, &store.Float64Column{Name: "lower_bound"}
	now := time.Now().UnixMilli()
	for _, u := range rows {
		ps := u.PeriodStart
		if ps.IsZero() {
			ps = u.Minute
		}
		start.Append(uint32(ps.Unix()))
		if u.InEvents {
			unit.Append("events")
		} else {
			unit.Append("bytes")
		}
		capacity.Append(u.Capacity)
		lower.Append(u.LowerBound)
		budget.Append(u.Budget)
		minute.Append(uint32(u.Minute.Unix()))
		outcome.Append(u.Outcome)
		bytes.Append(u.Bytes)
		events.Append(u.Events)
		replica.Append(k.replica)
		at.Append(now)
	}
	b.Cols = []store.BlockColumn{budget, minute, outcome, bytes, events, replica, at, start, unit, capacity, lower}
	if err := k.st.Insert(ctx, "budget_usage", b, ""); err != nil {
		return fmt.Errorf("cannot write the budget usage: %w", err)
	}
	return nil
}
