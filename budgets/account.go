package budgets

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"
)

// The outcomes a record is counted under.
const (
	OutcomeStored      = "stored"
	OutcomeDropped     = "dropped"
	OutcomeArchiveOnly = "archive-only"
)

// Decision is what a record's budgets decide: the action in force (the
// strictest of the exceeded budgets that match; keep when none is
// exceeded) and the outcome it is counted under.
type Decision struct {
	Action  string
	Outcome string
}

// strictness orders the actions: stop is the strictest, then
// archive-only, then keep (the index of decisions).
var strictness = map[string]int{ActionKeep: 0, ActionArchiveOnly: 1, ActionStop: 2}

// compiled is one budget ready to match and count.
type compiled struct {
	b        *Budget
	scope    *vm.Program
	capacity Amount
	lower    float64 // the lower bound, in the capacity's unit; 0: none
	period   Period
}

// Accountant matches records to budgets and counts them, per budget,
// minute and outcome, and decides each record's action from the usage of
// the budget's current period: what this replica counted since its last
// sync plus the total every replica had persisted at that sync (Sync).
// Between syncs replicas do not see each other's counts; that is the
// bound on how far they overshoot a stop budget together (doc.go).
//
// Scope expressions are compiled once, and a record's metadata is matched
// once per distinct Meta: the matches are cached.
type Accountant struct {
	mu      sync.Mutex
	minute  int64 // the minute pu.minute counts, in unix minutes
	budgets []compiled
	matches map[string][]int
	// uses are the Meta fields some scope reads (use* bits): only they key
	// the matches, so that a field no scope reads (a host) does not
	// multiply them.
	uses     uint8
	keyBuf   []byte
	usage    map[usageKey]*Usage // counted since the last Flush
	period   []periodUsage       // per budget: the current period's usage
	maxCache int
	count    atomic.Int32 // how many budgets are in force
}

type usageKey struct {
	budget  string
	minute  int64
	outcome string
}

// Usage of a budget's current period as this replica knows it, and
// whether it is exceeded.
func (a *Accountant) Usage(id string, t time.Time) (float64, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, c := range a.budgets {
		if c.b.ID == id {
			pu := a.current(i, t, t.UnixNano())
			return pu.synced + pu.flushed + pu.local, pu.exceeded
		}
	}
	return 0, false
}

// Usage is one row of budget usage: a budget's bytes and events in one
// minute under one outcome.
type Usage struct {
	Budget  string
	Minute  time.Time
	Outcome string
	Bytes   uint64
	Events  uint64
	// The budget's limits when the usage was counted: its period's
	// start, its unit, capacity and lower bound (0: none).
	PeriodStart          time.Time
	InEvents             bool
	Capacity, LowerBound float64
}

type periodUsage struct {
	start          time.Time
	synced         float64   // every replica's usage persisted at the last sync
	flushed        float64   // counted here and flushed since that sync
	local          float64   // counted here since the last flush
	startNs, endNs int64     // the period's bounds, for the fast path
	resetSeen      time.Time // the last manual reset applied
	events         bool
	exceeded       bool
	capacity       float64
	action, period string
	strict         int        // the action's strictness
	minute         [3]counter // counts of the current minute, by outcome
}

type counter struct{ bytes, events uint64 }

// NewAccountant compiles the budgets' scopes.
func NewAccountant(bs []*Budget) (*Accountant, error) {
	a := &Accountant{matches: map[string][]int{}, usage: map[usageKey]*Usage{}, maxCache: 100000}
	if err := a.Replace(bs); err != nil {
		return nil, err
	}
	return a, nil
}

// Replace puts bs in force instead of the budgets so far. A budget that
// keeps its id, period and unit keeps its period's usage; any other starts
// at zero, and the keeper's next Sync reads its persisted usage. What was
// counted but not flushed is kept for the next Flush, under the budget's
// id. On an error nothing changes.
func (a *Accountant) Replace(bs []*Budget) error {
	next := make([]compiled, 0, len(bs))
	var uses identifiers
	for _, b := range bs {
		prog, err := CompileScope(b.Scope)
		if err != nil {
			return fmt.Errorf("budget %s: scope: %w", b.ID, err)
		}
		capa, err := ParseAmount(b.Capacity)
		if err != nil {
			return fmt.Errorf("budget %s: capacity: %w", b.ID, err)
		}
		p, err := ParsePeriod(b.Period, b.Reset, b.Timezone)
		if err != nil {
			return fmt.Errorf("budget %s: %w", b.ID, err)
		}
		var lower float64
		if b.LowerBound != "" {
			lb, err := ParseAmount(b.LowerBound)
			if err != nil {
				return fmt.Errorf("budget %s: lower_bound: %w", b.ID, err)
			}
			lower = lb.Value
		}
		next = append(next, compiled{b: b, scope: prog, capacity: capa, lower: lower, period: p})
		node := prog.Node()
		ast.Walk(&node, &uses)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.foldMinute()
	old := map[string]int{}
	for i, c := range a.budgets {
		old[c.b.ID] = i
	}
	period := make([]periodUsage, len(next))
	for i, c := range next {
		pu := periodUsage{}
		if j, ok := old[c.b.ID]; ok && samePeriod(a.budgets[j], c) {
			pu = a.period[j]
		}
		pu.events, pu.capacity, pu.action, pu.period, pu.strict = c.capacity.Events, c.capacity.Value, c.b.Action, c.b.Period, strictness[c.b.Action]
		pu.exceeded = pu.start.After(time.Time{}) && pu.synced+pu.flushed+pu.local >= pu.capacity
		period[i] = pu
	}
	a.budgets, a.period, a.uses, a.matches = next, period, uint8(uses), map[string][]int{}
	a.count.Store(int32(len(next)))
	return nil
}

// samePeriod says whether two versions of a budget count the same
// periods in the same unit, so that the usage so far carries over.
func samePeriod(a, b compiled) bool {
	return a.capacity.Events == b.capacity.Events && a.b.Period == b.b.Period && a.b.Reset == b.b.Reset && a.b.Timezone == b.b.Timezone
}

// identifiers records the Meta fields a scope reads, as use* bits.
type identifiers uint8

func (v *identifiers) Visit(n *ast.Node) {
	if id, ok := (*n).(*ast.IdentifierNode); ok {
		*v |= identifiers(fieldBits[id.Value])
	}
}

// Meta's fields, as bits of Accountant.uses.
const (
	useStream = 1 << iota
	useTopic
	useSource
	useService
	useHost
	useTenant
	useLevel
)

// fieldBits maps a scope's identifiers to Meta's fields.
var fieldBits = map[string]uint8{"stream": useStream, "topic": useTopic, "source": useSource, "service": useService,
	"host": useHost, "tenant": useTenant, "level": useLevel}

// key writes the fields of m some scope reads into a.keyBuf: the key of
// m's matches. A field no scope reads (a host) does not multiply them.
func (a *Accountant) key(m Meta) []byte {
	b := a.keyBuf[:0]
	for i, f := range [...]string{m.Stream, m.Topic, m.Source, m.Service, m.Host, m.Tenant, m.Level} {
		if a.uses&(1<<i) != 0 {
			b = append(b, f...)
			b = append(b, 0)
		}
	}
	a.keyBuf = b
	return b
}

// match returns the indexes of the budgets whose scope takes m.
func (a *Accountant) match(m Meta) ([]int, error) {
	k := a.key(m)
	if idx, ok := a.matches[string(k)]; ok {
		return idx, nil
	}
	var idx []int
	for i, c := range a.budgets {
		out, err := vm.Run(c.scope, m)
		if err != nil {
			return nil, fmt.Errorf("budget %s: scope: %w", c.b.ID, err)
		}
		if ok, _ := out.(bool); ok {
			idx = append(idx, i)
		}
	}
	if len(a.matches) >= a.maxCache {
		a.matches = map[string][]int{}
	}
	a.matches[string(k)] = idx
	return idx, nil
}

// Account counts one record of size bytes with metadata m at t, against
// every budget whose scope takes it, and returns what to do with it: the
// strictest action of the matching budgets already exceeded in their
// period. Overlapping scopes all count, whatever the decision.
func (a *Accountant) Account(m Meta, size int, t time.Time) (Decision, error) {
	if a.count.Load() == 0 {
		return decisions[0], nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	idx, err := a.match(m)
	if err != nil {
		return Decision{Action: ActionKeep, Outcome: OutcomeStored}, err
	}
	ns := t.UnixNano()
	strict := 0
	for _, i := range idx {
		if pu := a.current(i, t, ns); pu.exceeded && pu.strict > strict {
			strict = pu.strict
		}
	}
	out := strict // the outcome's index: stored, archive-only, dropped
	minute := ns / int64(time.Minute)
	if minute != a.minute {
		a.foldMinute()
		a.minute = minute
	}
	for _, i := range idx {
		pu := &a.period[i]
		if pu.events {
			pu.local++
		} else {
			pu.local += float64(size)
		}
		if pu.synced+pu.flushed+pu.local >= pu.capacity {
			pu.exceeded = true
		}
		c := &pu.minute[out]
		c.bytes += uint64(size)
		c.events++
	}
	return decisions[strict], nil
}

// decisions by strictness.
var decisions = [3]Decision{
	{Action: ActionKeep, Outcome: OutcomeStored},
	{Action: ActionArchiveOnly, Outcome: OutcomeArchiveOnly},
	{Action: ActionStop, Outcome: OutcomeDropped},
}

// foldMinute moves the current minute's counts into the usage to flush.
func (a *Accountant) foldMinute() {
	for i := range a.period {
		pu := &a.period[i]
		for o, c := range pu.minute {
			if c.events == 0 {
				continue
			}
			k := usageKey{a.budgets[i].b.ID, a.minute, decisions[o].Outcome}
			u := a.usage[k]
			if u == nil {
				c := a.budgets[i]
				m := time.Unix(a.minute*60, 0).UTC()
				u = &Usage{Budget: c.b.ID, Minute: m, Outcome: decisions[o].Outcome, PeriodStart: c.period.Start(m).UTC(),
					InEvents: c.capacity.Events, Capacity: c.capacity.Value, LowerBound: c.lower}
				a.usage[k] = u
			}
			u.Bytes += c.bytes
			u.Events += c.events
		}
		pu.minute = [3]counter{}
	}
}

// current is budget i's usage in the period holding t (ns its unix
// nanoseconds), starting a new period (at zero) when t is past the last
// one.
func (a *Accountant) current(i int, t time.Time, ns int64) *periodUsage {
	pu := &a.period[i]
	if ns >= pu.startNs && ns < pu.endNs {
		return pu
	}
	p := a.budgets[i].period
	if start := p.Start(t); start.After(pu.start) {
		pu.start, pu.synced, pu.flushed, pu.local, pu.exceeded = start, 0, 0, 0, false
		pu.startNs, pu.endNs = start.UnixNano(), p.End(start).UnixNano()
	}
	return pu
}

// Overlaps are, for each budget, the other budgets that records it
// counted also counted toward, as this replica has matched them so far.
func (a *Accountant) Overlaps() map[string][]string {
	a.mu.Lock()
	defer a.mu.Unlock()
	pairs := map[[2]int]bool{}
	seen := map[string]bool{}
	for _, idx := range a.matches {
		if len(idx) < 2 {
			continue
		}
		k := fmt.Sprint(idx)
		if seen[k] {
			continue
		}
		seen[k] = true
		for _, i := range idx {
			for _, j := range idx {
				if i != j {
					pairs[[2]int{i, j}] = true
				}
			}
		}
	}
	out := map[string][]string{}
	for p := range pairs {
		out[a.budgets[p[0]].b.ID] = append(out[a.budgets[p[0]].b.ID], a.budgets[p[1]].b.ID)
	}
	for _, l := range out {
		slices.Sort(l)
	}
	return out
}

// Flush returns the usage counted since the last flush, to persist.
func (a *Accountant) Flush() []Usage {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.foldMinute()
	out := make([]Usage, 0, len(a.usage))
	for _, u := range a.usage {
		out = append(out, *u)
	}
	for i := range a.period {
		a.period[i].flushed += a.period[i].local
		a.period[i].local = 0
	}
	a.usage = map[usageKey]*Usage{}
	return out
}

// unflush takes back rows a persist failed to write, for the next Flush.
func (a *Accountant) unflush(rows []Usage) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, r := range rows {
		k := usageKey{r.Budget, r.Minute.Unix() / 60, r.Outcome}
		u := a.usage[k]
		if u == nil {
			cp := r
			a.usage[k] = &cp
			continue
		}
		u.Bytes += r.Bytes
		u.Events += r.Events
	}
}

// Sync sets each budget's period usage to what every replica persisted
// (totals by budget id, for the periods starting at starts by id), read
// after this replica's last Flush was persisted: what it counted since
// that flush still counts on top.
func (a *Accountant) Sync(totals map[string]float64, starts map[string]time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, c := range a.budgets {
		pu := &a.period[i]
		if s, ok := starts[c.b.ID]; !ok || !s.Equal(pu.start) {
			continue
		}
		pu.synced, pu.flushed = totals[c.b.ID], 0
		pu.exceeded = pu.synced+pu.local >= pu.capacity
	}
}

// Reset starts budget id's period over at zero (a manual reset), without
// moving its next scheduled reset.
func (a *Accountant) Reset(id string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, c := range a.budgets {
		if c.b.ID == id {
			pu := &a.period[i]
			pu.synced, pu.flushed, pu.local, pu.exceeded = 0, 0, 0, false
			return true
		}
	}
	return false
}

// resetAt applies a persisted manual reset once: the counts this replica
// made before it no longer count (Sync already read the total from it).
func (a *Accountant) resetAt(id string, at time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, c := range a.budgets {
		if c.b.ID == id && at.After(a.period[i].resetSeen) {
			pu := &a.period[i]
			pu.resetSeen, pu.flushed, pu.local = at, 0, 0
			pu.exceeded = pu.synced >= pu.capacity
		}
	}
}
