package pipeline

import (
	"encoding/json"
	"errors"
	"sort"
)

// Processor is the pipeline's state machines for the partitions one
// replica owns: it takes records, keeps interactions and agents, and on
// Flush emits the facts that changed since the last Flush. It is not safe
// for concurrent use; the runner drives one per consumer.
//
// Time is event time only. The caller advances the watermark (the newest
// event time it may assume complete, minus nothing: lateness is applied
// here); Process never reads a clock.
type Processor struct {
	cfg         Config
	lateness    int64
	retention   int64
	maxDuration int64
	priority    []string

	dir             *directory
	ixns            map[string]*interaction
	agents          map[string]*agent
	tombstones      map[string]int64            // evicted interaction → its end
	agentTombstones map[string]int64            // evicted agent → its last event time
	acw             map[string]map[string]int64 // interaction → agent → after-call work
	refs            map[string]map[string]bool  // directory name → entities using it while unknown
	entRefs         map[string][]string         // entity → the unknown names it is in refs under
	dirtyA          map[string]struct{}         // agents changed since their last computation
	dirtyI          map[string]struct{}         // interactions changed since their last computation
	touched         map[string]struct{}         // entities whose state changed since TakeChanges
	gone            map[string]home             // entities dropped from state since TakeChanges
	parts           map[home]partClock          // event time per input partition (eventtime.go)
	handed          map[string]map[string]int64 // interaction → agent → event time its after-call work was handed over at
	handoffs        []Handoff                   // after-call work handed over since TakeHandoffs

	watermark int64
	sweptAt   int64
	seq       uint64
	dead      []DeadLetter
	stats     Stats
	scratch   []Event
	encBuf    []byte // TakeChanges' encoding buffer
}

// Stats counts what a Processor did since it was made. The runner turns it
// into metrics; /api/v1/pipeline/status shows it.
type Stats struct {
	Records      int64            `json:"records"`
	Events       int64            `json:"events"`
	Duplicates   int64            `json:"duplicates"`
	Late         int64            `json:"late"`
	Invalid      map[string]int64 `json:"invalid"`
	Facts        map[string]int64 `json:"facts"`
	Interactions int              `json:"interactions"`
	Agents       int              `json:"agents"`
	Unknown      map[string]int   `json:"unknown"`
	Watermark    Millis           `json:"watermark"`
	// MaxEventTime is the newest event time seen.
	MaxEventTime Millis `json:"max_event_time"`
	// Behind lists the input partitions ("topic/partition") with a
	// backlog, each on its own event time (eventtime.go).
	Behind []string `json:"behind,omitempty"`
}

func (s Stats) maxSeen() int64 { return int64(s.MaxEventTime) }

// emittedRow is the last version of a fact the Processor emitted.
type emittedRow struct {
	version uint64
	row     any
	deleted bool
	enc     []byte // the row's JSON for the changelog, once encoded
}

// NewProcessor returns a Processor with no state. cfg is used as given;
// DefaultConfig is the usual start.
func NewProcessor(cfg Config) *Processor {
	p := &Processor{
		cfg:             cfg,
		lateness:        cfg.AllowedLateness.Milliseconds(),
		retention:       cfg.Retention.Milliseconds(),
		maxDuration:     cfg.MaxStateDuration.Milliseconds(),
		priority:        cfg.StatePriority,
		dir:             newDirectory(),
		ixns:            map[string]*interaction{},
		agents:          map[string]*agent{},
		tombstones:      map[string]int64{},
		agentTombstones: map[string]int64{},
		acw:             map[string]map[string]int64{},
		refs:            map[string]map[string]bool{},
		entRefs:         map[string][]string{},
		touched:         map[string]struct{}{},
		gone:            map[string]home{},
		parts:           map[home]partClock{},
		handed:          map[string]map[string]int64{},
		dirtyA:          map[string]struct{}{},
		dirtyI:          map[string]struct{}{},
		stats:           Stats{Invalid: map[string]int64{}, Facts: map[string]int64{}, Unknown: map[string]int{}},
	}
	if len(p.priority) == 0 {
		p.priority = DefaultConfig().StatePriority
	}
	return p
}

// Process decodes one record and applies its events. A record that cannot
// be used becomes a dead letter (DeadLetters) and changes nothing else.
// It returns the newest event time of the record, 0 when it has none.
func (p *Processor) Process(topic string, partition int32, offset int64, raw []byte) int64 {
	p.stats.Records++
	recordsTotal.WithLabelValues(topic).Inc()
	events, err := Decode(topic, raw, p.cfg.MaxRecordBytes, p.scratch[:0])
	p.scratch = events[:0]
	if err != nil {
		p.deadLetter(topic, partition, offset, raw, err)
		return 0
	}
	var newest int64
	for i := range events {
		e := events[i]
		e.Topic, e.Partition, e.Offset = topic, partition, offset
		p.Apply(e)
		if e.Time > newest {
			newest = e.Time
		}
	}
	return newest
}

// Apply adds one decoded event to the state of its interaction or agent.
func (p *Processor) Apply(e Event) {
	p.stats.Events++
	if e.Time > int64(p.stats.MaxEventTime) {
		p.stats.MaxEventTime = Millis(e.Time)
	}
	p.seq++
	e.seq = p.seq
	h := home{e.Topic, e.Partition}
	late := e.Time < p.timeOf(h)-p.lateness
	switch {
	case e.Kind == KindConfig:
		for _, name := range p.dir.apply(e.Config) {
			for ent := range p.refs[name] {
				p.markDirty(ent)
			}
			delete(p.refs, name)
		}
		return
	case e.Kind.isAgentKind():
		k := "a\x00" + e.Tenant + "\x00" + e.Agent
		if last, gone := p.agentTombstones[k]; gone && e.Time <= last {
			p.deadLetterEvent(&e, invalid(ReasonTooLate, "time", "agent %q was logged out for more than the %s retention before the watermark; its facts are final", e.Agent, p.cfg.Retention))
			return
		}
		a := p.agents[k]
		if a == nil {
			a = &agent{tenant: e.Tenant, id: e.Agent, home: home{e.Topic, e.Partition}, seen: map[string]struct{}{}, emitted: map[string]emittedRow{}, acw: map[string]int64{},
				events: make([]Event, 0, agentEventsCap)}
			p.agents[k] = a
		}
		if e.Time < a.foldedAt {
			p.deadLetterEvent(&e, invalid(ReasonTooLate, "time", "agent %q's events before %s are final (more than the %s retention before the watermark)", e.Agent, Millis(a.foldedAt), p.cfg.Retention))
			return
		}
		if _, dup := a.seen[e.ID]; dup {
			p.stats.Duplicates++
			duplicatesTotal.Inc()
			return
		}
		a.seen[e.ID] = struct{}{}
		a.others = addHome(a.home, a.others, h)
		a.events = insertSorted(a.events, e)
		a.maxTime = max(a.maxTime, e.Time)
		p.dirtyA[k] = struct{}{}
		p.touched[k] = struct{}{}
	default:
		k := "i\x00" + e.Tenant + "\x00" + e.Interaction
		if _, gone := p.tombstones[k]; gone {
			p.deadLetterEvent(&e, invalid(ReasonTooLate, "time", "interaction %q ended more than the %s retention before the watermark; its facts are final", e.Interaction, p.cfg.Retention))
			return
		}
		ix := p.ixns[k]
		if ix == nil {
			ix = &interaction{tenant: e.Tenant, id: e.Interaction, home: home{e.Topic, e.Partition}, seen: map[string]struct{}{}, emitted: map[string]emittedRow{},
				events: make([]Event, 0, interactionEventsCap)}
			p.ixns[k] = ix
			interactionsCreated.WithLabelValues(e.Media).Inc()
		}
		if _, dup := ix.seen[e.ID]; dup {
			p.stats.Duplicates++
			duplicatesTotal.Inc()
			return
		}
		ix.seen[e.ID] = struct{}{}
		ix.others = addHome(ix.home, ix.others, h)
		ix.events = insertSorted(ix.events, e)
		ix.maxTime = max(ix.maxTime, e.Time)
		p.dirtyI[k] = struct{}{}
		p.touched[k] = struct{}{}
	}
	p.saw(h, e.Time)
	if late {
		p.stats.Late++
		lateTotal.Inc()
	}
}

// A new entity's room for events: a call has about eight (created,
// queued, ringing, established, a hold, released), an agent a few per call.
// Growing an event slice from one copies every event at each doubling,
// which was a tenth of the pipeline's CPU time in `logmart bench pipeline`.
const (
	interactionEventsCap = 8
	agentEventsCap       = 16
)

// insertSorted keeps events in (time, arrival) order; events mostly arrive
// in order, so this is an append.
func insertSorted(events []Event, e Event) []Event {
	i := len(events)
	for i > 0 && events[i-1].Time > e.Time {
		i--
	}
	events = append(events, Event{})
	copy(events[i+1:], events[i:])
	events[i] = e
	return events
}

func (p *Processor) markDirty(ent string) {
	if _, ok := p.ixns[ent]; ok {
		p.dirtyI[ent] = struct{}{}
	}
	if _, ok := p.agents[ent]; ok {
		p.dirtyA[ent] = struct{}{}
	}
}

// Advance moves the watermark to w (never back): event time up to w is
// assumed seen, but for out-of-order events within the allowed lateness.
func (p *Processor) Advance(w int64) {
	if w > p.watermark {
		p.watermark = w
	}
}

// Watermark is the newest event time the Processor was advanced to.
func (p *Processor) Watermark() int64 { return p.watermark }

// Flush computes every changed interaction and agent whose events are all
// older than its partitions' event time (eventtime.go) minus the allowed
// lateness, and returns the facts whose content changed, each with its
// next version; rows that no longer exist come back deleted. Agents go
// first, since their after-call work lands on interactions.
func (p *Processor) Flush() []Fact {
	ended := p.sweep()
	// Room for what a flush usually emits (an interaction's row and two
	// resources, an agent's state or two): growing the list from empty
	// over a large poll's facts copied it at every doubling.
	out := make([]Fact, 0, 3*len(p.dirtyI)+2*len(p.dirtyA))
	for _, k := range sortedKeys(p.dirtyA) {
		a := p.agents[k]
		if a == nil {
			delete(p.dirtyA, k)
			continue
		}
		now := p.timeOfEntity(a.home, a.others)
		if a.maxTime > now-p.lateness {
			continue
		}
		delete(p.dirtyA, k)
		p.touched[k] = struct{}{}
		res := computeAgent(a, p.dir, p.priority, now, p.maxDuration)
		var again int64
		if len(res.rejected) > 0 {
			a.events, again = p.rejectEvents(a.events, res.rejected, now)
		}
		a.deadline, a.open = earliest(res.deadline, again), res.open
		p.track(k, res.unknown)
		out = p.diff(a.emitted, res.rows, a.id, out)
		for ixn, ms := range res.acw {
			if a.acw[ixn] == ms {
				continue
			}
			a.acw[ixn] = ms
			h := Handoff{Tenant: a.tenant, Interaction: ixn, Agent: a.id, ACWMs: ms, At: now}
			p.handoffs = append(p.handoffs, h)
			p.ApplyHandoff(h)
		}
		// After the diff: the facts that ended before the cutoff were
		// emitted, and are final.
		if cutoff := now - p.retention; len(a.events) > foldAfter && a.events[0].Time < cutoff {
			foldAgent(a, p.priority, cutoff, func(ixn string) bool {
				// Handed over (p.handed, kept for twice the retention)
				// to an interaction whose events have not arrived.
				ik := "i\x00" + a.tenant + "\x00" + ixn
				_, inState := p.ixns[ik]
				_, handed := p.handed[ik]
				return handed && !inState
			})
		}
	}
	for _, k := range ended {
		if ix := p.ixns[k]; ix != nil && !p.isDirtyInteraction(k) {
			p.tombstones[k] = ix.end
			p.gone[k] = ix.home
			delete(p.ixns, k)
			delete(p.acw, k)
			delete(p.handed, k)
			p.untrack(k)
		}
	}
	for _, k := range sortedKeys(p.dirtyI) {
		ix := p.ixns[k]
		if ix == nil {
			delete(p.dirtyI, k)
			continue
		}
		now := p.timeOfEntity(ix.home, ix.others)
		if ix.maxTime > now-p.lateness {
			continue
		}
		delete(p.dirtyI, k)
		p.touched[k] = struct{}{}
		res := computeInteraction(ix, p.dir, p.acw[k], now, p.maxDuration, p.retention)
		var again int64
		if len(res.rejected) > 0 {
			ix.events, again = p.rejectEvents(ix.events, res.rejected, now)
		}
		if ix.end == 0 && res.end != 0 {
			interactionsEnded.Inc()
		}
		ix.end, ix.deadline = res.end, earliest(res.deadline, again)
		p.track(k, res.unknown)
		out = p.diff(ix.emitted, res.rows, ix.id, out)
		if len(ix.events) == 0 {
			p.gone[k] = ix.home
			delete(p.ixns, k)
		}
	}
	for _, f := range out {
		p.stats.Facts[f.Table]++
		factsTotal.WithLabelValues(f.Table).Inc()
	}
	stateEntities.WithLabelValues("interaction").Set(float64(len(p.ixns)))
	stateEntities.WithLabelValues("agent").Set(float64(len(p.agents)))
	for _, kind := range []string{CfgAgent, CfgQueue} {
		unknownObjects.WithLabelValues(kind).Set(0)
	}
	for kind, n := range p.UnknownObjects() {
		unknownObjects.WithLabelValues(kind).Set(float64(n))
	}
	return out
}

// foldAfter is how many events an agent keeps before the ones older than
// the retention are folded into its base state.
const foldAfter = 64

// sweepEvery is how often, in event time, Flush looks at every entity for
// states past MaxStateDuration and interactions past Retention.
const sweepEvery = 60_000

// sweep marks the entities past a deadline dirty, drops the agents whose
// facts are final and returns the interactions whose facts may be: Flush
// drops those only after computing the agents, whose after-call work may
// still land on them.
func (p *Processor) sweep() (ended []string) {
	if p.watermark-p.sweptAt < sweepEvery {
		return nil
	}
	p.sweptAt = p.watermark
	// An interaction leaves on the slowest partition's time: an agent on a
	// partition behind may still hand it after-call work.
	slowest := p.slowest()
	for k, ix := range p.ixns {
		switch {
		case ix.deadline != 0 && p.timeOfEntity(ix.home, ix.others) > ix.deadline:
			p.dirtyI[k] = struct{}{}
		case ix.end != 0 && !p.isDirtyInteraction(k) && slowest-ix.end > p.retention && !p.agentHeld(ix):
			ended = append(ended, k)
		}
	}
	p.sweepHandoffs()
	for k, end := range p.tombstones {
		if p.watermark-end > 2*p.retention {
			delete(p.tombstones, k)
		}
	}
	for k, a := range p.agents {
		now := p.timeOfEntity(a.home, a.others)
		switch {
		case a.deadline != 0 && now > a.deadline:
			p.dirtyA[k] = struct{}{}
		case !a.open && !p.isDirtyAgent(k) && now-a.maxTime > p.retention:
			// Logged out for longer than the retention: its facts are
			// final. A later event starts it afresh; an older one is late.
			p.agentTombstones[k] = a.maxTime
			p.gone[k] = a.home
			delete(p.agents, k)
			delete(p.dirtyA, k)
			p.untrack(k)
		}
	}
	for k, last := range p.agentTombstones {
		if p.watermark-last > 2*p.retention {
			delete(p.agentTombstones, k)
		}
	}
	return ended
}

// agentHeld reports whether an agent of the interaction has events this
// flush will not compute: alone on a partition behind, an agent holds the
// newest event there and waits for the partition to catch up, and the
// after-call work it will hand the interaction must find it in state. (An
// agent merely changed is computed before the interactions leave.)
func (p *Processor) agentHeld(ix *interaction) bool {
	for i := range ix.events {
		e := &ix.events[i]
		if e.Party.Type != PartyAgent {
			continue
		}
		k := "a\x00" + ix.tenant + "\x00" + e.Party.ID
		if a := p.agents[k]; a != nil && p.isDirtyAgent(k) && a.maxTime > p.timeOfEntity(a.home, a.others)-p.lateness {
			return true
		}
	}
	return false
}

func (p *Processor) isDirtyInteraction(k string) bool {
	_, ok := p.dirtyI[k]
	return ok
}

func (p *Processor) isDirtyAgent(k string) bool {
	_, ok := p.dirtyA[k]
	return ok
}

// track records which unknown directory names an entity's facts used, so
// the configuration that names them recomputes the entity.
func (p *Processor) track(ent string, unknown []string) {
	if len(unknown) == 0 && len(p.entRefs[ent]) == 0 {
		return
	}
	p.untrack(ent)
	for _, name := range unknown {
		if p.refs[name] == nil {
			p.refs[name] = map[string]bool{}
		}
		p.refs[name][ent] = true
	}
	if len(unknown) > 0 {
		p.entRefs[ent] = unknown
	}
}

func (p *Processor) untrack(ent string) {
	for _, name := range p.entRefs[ent] {
		if ents := p.refs[name]; ents != nil {
			delete(ents, ent)
			if len(ents) == 0 {
				delete(p.refs, name)
			}
		}
	}
	delete(p.entRefs, ent)
}

// UnknownObjects counts, by configuration kind, the agents and queues that
// facts now carry placeholder keys for.
func (p *Processor) UnknownObjects() map[string]int {
	out := map[string]int{}
	for name := range p.refs {
		var kind string
		if _, rest, ok := cut0(name); ok {
			kind, _, _ = cut0(rest)
		}
		out[kind]++
	}
	return out
}

func cut0(s string) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// rejectEvents handles the events a computation could not fit in their
// entity's sequence. A late event may yet explain one (a hold whose
// answer arrives later), so it stays, skipped, until the watermark is the
// retention past it; then it becomes a dead letter and leaves. It returns
// the events kept and when to look at the entity again (0: no need).
func (p *Processor) rejectEvents(events []Event, rejected []rejection, now int64) ([]Event, int64) {
	drop := make(map[int]bool, len(rejected))
	var again int64
	for _, r := range rejected {
		e := &events[r.index]
		if now-e.Time > p.retention {
			drop[r.index] = true
			p.deadLetterEvent(e, r.err)
			continue
		}
		if at := e.Time + p.retention + 1; again == 0 || at < again {
			again = at
		}
	}
	if len(drop) == 0 {
		return events, again
	}
	kept := events[:0]
	for i, e := range events {
		if !drop[i] {
			kept = append(kept, e)
		}
	}
	return kept, again
}

func earliest(a, b int64) int64 {
	if a == 0 || b != 0 && b < a {
		return b
	}
	return a
}

// diff compares freshly computed rows with what was emitted for an entity
// and returns the changes as facts with their next version.
func (p *Processor) diff(emitted map[string]emittedRow, rows []any, key string, out []Fact) []Fact {
	seen := make(map[string]bool, len(rows))
	for _, r := range rows {
		table, id := rowIdentity(r)
		seen[id] = true
		prev, ok := emitted[id]
		if ok && !prev.deleted && prev.row == r {
			continue
		}
		v := prev.version + 1
		emitted[id] = emittedRow{version: v, row: r}
		out = append(out, Fact{Table: table, Key: key, ID: id, Version: v, Row: setVersion(r, v, false)})
	}
	for _, id := range sortedKeys(emitted) {
		prev := emitted[id]
		if seen[id] || prev.deleted {
			continue
		}
		v := prev.version + 1
		emitted[id] = emittedRow{version: v, row: prev.row, deleted: true}
		table, _ := rowIdentity(prev.row)
		out = append(out, Fact{Table: table, Key: key, ID: id, Version: v, Row: setVersion(prev.row, v, true)})
	}
	return out
}

func rowIdentity(r any) (table, id string) {
	switch r := r.(type) {
	case InteractionFact:
		return TableInteractions, r.ID
	case ResourceFact:
		return TableResources, r.ID
	case AgentStateFact:
		return TableAgentStates, r.ID
	case SessionFact:
		return TableSessions, r.ID
	}
	panic("pipeline: unknown fact row type")
}

func setVersion(r any, v uint64, deleted bool) any {
	var d uint8
	if deleted {
		d = 1
	}
	switch r := r.(type) {
	case InteractionFact:
		r.Version, r.Deleted = v, d
		return r
	case ResourceFact:
		r.Version, r.Deleted = v, d
		return r
	case AgentStateFact:
		r.Version, r.Deleted = v, d
		return r
	case SessionFact:
		r.Version, r.Deleted = v, d
		return r
	}
	panic("pipeline: unknown fact row type")
}

func (p *Processor) deadLetter(topic string, partition int32, offset int64, raw []byte, err error) {
	reason := ReasonSchema
	var ie *InvalidError
	if errors.As(err, &ie) {
		reason = ie.Reason
	}
	p.stats.Invalid[reason]++
	invalidTotal.WithLabelValues(reason).Inc()
	d := DeadLetter{Topic: topic, Partition: partition, Offset: offset, Reason: reason, Error: err.Error()}
	if len(raw) > maxDeadLetterRaw {
		raw, d.Truncated = raw[:maxDeadLetterRaw], true
	}
	d.Raw = append([]byte(nil), raw...)
	p.dead = append(p.dead, d)
}

// deadLetterEvent sets aside an event the state machines refused. Its raw
// record is no longer at hand, so the dead letter carries the decoded event
// and the record's topic, partition and offset to find the original.
func (p *Processor) deadLetterEvent(e *Event, err error) {
	raw, _ := json.Marshal(struct {
		Event       string `json:"event"`
		Time        Millis `json:"time"`
		Tenant      string `json:"tenant"`
		Interaction string `json:"interaction,omitempty"`
		Agent       string `json:"agent,omitempty"`
		Party       string `json:"party,omitempty"`
		DN          string `json:"dn,omitempty"`
	}{e.Kind.String(), Millis(e.Time), e.Tenant, e.Interaction, e.Agent, e.Party.ID, e.DN})
	p.deadLetter(e.Topic, e.Partition, e.Offset, raw, err)
}

// DeadLetters returns the records set aside since the last call and
// forgets them.
func (p *Processor) DeadLetters() []DeadLetter {
	d := p.dead
	p.dead = nil
	return d
}

// Stats returns the counters and current sizes.
func (p *Processor) Stats() Stats {
	s := p.stats
	s.Interactions, s.Agents = len(p.ixns), len(p.agents)
	s.Unknown = p.UnknownObjects()
	s.Watermark = Millis(p.watermark)
	s.Behind = p.behindList()
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
