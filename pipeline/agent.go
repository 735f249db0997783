package pipeline

import "sort"

// Summarized agent states.
const (
	StateReady    = "ready"
	StateNotReady = "not_ready"
	StateBusy     = "busy"
	StateACW      = "acw"
)

// agent is the state of one agent: its state events in event time order,
// from which its state and session facts are computed again whenever it
// changes.
type agent struct {
	tenant, id string
	home       home
	others     []home // partitions other than home its events came from
	events     []Event
	seen       map[string]struct{}
	maxTime    int64
	emitted    map[string]emittedRow
	acw        map[string]int64 // interaction → after-call work last handed to it
	// deadline is when MaxStateDuration closes a state still open, 0 when
	// none is; open tells whether any state or session was open.
	deadline int64
	open     bool
	// base is the agent's state per media at foldedAt: the events before
	// it were folded into it, and the facts that ended before it are
	// final. It keeps an agent logged in for days from growing without
	// bound.
	base     map[string]*mediaBase
	foldedAt int64
}

// mediaBase is an agent's state on one media at its fold point.
type mediaBase struct {
	DNs          map[string]dnState `json:"dns"`
	Cur          *segment           `json:"cur,omitempty"`
	SessionStart int64              `json:"session_start,omitempty"`
}

// dnState is one DN's state. Its fields are exported for the changelog's
// snapshot of a folded agent.
type dnState struct {
	LoggedIn bool   `json:"logged_in"`
	State    string `json:"state"`
	Reason   string `json:"reason,omitempty"`
	Ixn      string `json:"ixn,omitempty"`
	Since    int64  `json:"since"`
}

type agentResult struct {
	rows     []any
	rejected []rejection
	unknown  []string
	acw      map[string]int64 // interaction → closed after-call work
	deadline int64
	open     bool
}

// agentComputer walks an agent's events for one media type.
type agentComputer struct {
	a        *agent
	priority map[string]int
	out      *agentResult
	key      string
	name     string
	// stopAt, when set, replays only the events before it and records the
	// state reached in bases instead of emitting facts (folding).
	stopAt int64
	bases  map[string]*mediaBase
}

func computeAgent(a *agent, dir *directory, priority []string, watermark, maxDuration int64) agentResult {
	out := agentResult{acw: map[string]int64{}}
	key, name, ok := dir.resolve(a.tenant, CfgAgent, a.id)
	if !ok {
		out.unknown = append(out.unknown, dirKey(a.tenant, CfgAgent, a.id))
	}
	prio := make(map[string]int, len(priority))
	for i, s := range priority {
		prio[s] = len(priority) - i
	}
	c := &agentComputer{a: a, priority: prio, out: &out, key: key, name: name}
	c.run(watermark, maxDuration)
	return out
}

func (c *agentComputer) run(watermark, maxDuration int64) {
	byMedia := map[string][]int{}
	var medias []string
	for m := range c.a.base {
		byMedia[m] = nil
		medias = append(medias, m)
	}
	for i, e := range c.a.events {
		if _, ok := byMedia[e.Media]; !ok {
			medias = append(medias, e.Media)
		}
		byMedia[e.Media] = append(byMedia[e.Media], i)
	}
	sort.Strings(medias)
	for _, m := range medias {
		c.media(m, byMedia[m], watermark, maxDuration)
	}
}

// foldAgent moves the agent's events before cutoff into its base, and
// forgets the facts that ended before it: they are final. The after-call
// work it handed an interaction is forgotten too, unless pending says the
// interaction has not taken it into its own state yet (its events have not
// arrived): the agent's snapshot is then the only record of it.
func foldAgent(a *agent, priority []string, cutoff int64, pending func(ixn string) bool) {
	prio := make(map[string]int, len(priority))
	for i, s := range priority {
		prio[s] = len(priority) - i
	}
	out := agentResult{acw: map[string]int64{}}
	c := &agentComputer{a: a, priority: prio, out: &out, stopAt: cutoff, bases: map[string]*mediaBase{}}
	c.run(0, 0)
	keep := a.events[:0]
	for _, e := range a.events {
		if e.Time >= cutoff {
			keep = append(keep, e)
		} else {
			delete(a.seen, e.ID)
		}
	}
	// Events the replay set aside stay set aside: they were before cutoff.
	// An agent folds at most flushes once it has an hour of events, so the
	// kept ones stay in their array (its tail cleared for the collector)
	// unless it is more than twice what they need: copying them out at
	// every fold, and growing the copy again, was most of an agent's cost.
	clear(a.events[len(keep):])
	if cap(keep) > 2*len(keep)+agentEventsCap {
		keep = append(make([]Event, 0, len(keep)+agentEventsCap), keep...)
	}
	a.events = keep
	a.base, a.foldedAt = c.bases, cutoff
	open := map[string]bool{}
	for _, b := range a.base {
		for _, d := range b.DNs {
			if d.LoggedIn && d.State == StateACW {
				open[d.Ixn] = true
			}
		}
	}
	for ixn := range a.acw {
		if !open[ixn] && !pending(ixn) {
			delete(a.acw, ixn) // ended before the cutoff: it cannot change
		}
	}
	for id, e := range a.emitted {
		if end := rowEnd(e.row); end != 0 && end <= cutoff {
			delete(a.emitted, id)
		}
	}
}

func rowEnd(r any) int64 {
	switch r := r.(type) {
	case AgentStateFact:
		return int64(r.End)
	case SessionFact:
		return int64(r.End)
	}
	return 0
}

type segment struct {
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
	Start  int64  `json:"start"`
}

func (c *agentComputer) media(media string, idx []int, watermark, maxDuration int64) {
	dns := map[string]*dnState{}
	var cur *segment
	var sessionStart int64
	loggedIn := 0
	if b := c.a.base[media]; b != nil {
		for dn, d := range b.DNs {
			d := d
			dns[dn] = &d
			if d.LoggedIn {
				loggedIn++
			}
		}
		if b.Cur != nil {
			seg := *b.Cur
			cur = &seg
		}
		sessionStart = b.SessionStart
	}
	events := c.a.events
	for n, i := range idx {
		e := &events[i]
		if c.stopAt != 0 && e.Time >= c.stopAt {
			break
		}
		d := dns[e.DN]
		if d == nil {
			d = &dnState{}
			dns[e.DN] = d
		}
		t := e.Time
		if e.Kind == KindLogout {
			if !d.LoggedIn {
				c.out.rejected = append(c.out.rejected, rejection{index: i, err: sequenceError("logout of DN %q, which is not logged in", e.DN)})
				continue
			}
			c.endACW(d, t)
			d.LoggedIn = false
			loggedIn--
		} else {
			if !d.LoggedIn {
				d.LoggedIn = true
				loggedIn++
				d.State, d.Reason, d.Ixn, d.Since = StateNotReady, "", "", t
				if loggedIn == 1 {
					sessionStart = t
				}
			}
			state, reason, ixn := d.State, d.Reason, d.Ixn
			switch e.Kind {
			case KindLogin:
				if e.Reason != "" {
					reason = e.Reason
				}
			case KindReady:
				state, reason, ixn = StateReady, "", ""
			case KindNotReady:
				state, reason, ixn = StateNotReady, e.Reason, ""
			case KindBusy:
				state, reason, ixn = StateBusy, e.Reason, e.Interaction
			case KindACW:
				state, reason, ixn = StateACW, e.Reason, e.Interaction
			}
			if state != d.State || reason != d.Reason || ixn != d.Ixn {
				c.endACW(d, t)
				d.State, d.Reason, d.Ixn, d.Since = state, reason, ixn, t
			}
		}
		// Events of equal time settle together: summarize after the last.
		if n+1 < len(idx) && events[idx[n+1]].Time == t {
			continue
		}
		next := c.summarize(dns)
		if cur != nil && (next == nil || next.State != cur.State || next.Reason != cur.Reason) {
			c.state(media, cur, t, "")
			cur = nil
		}
		if cur == nil && next != nil {
			next.Start = t
			cur = next
		}
		if loggedIn == 0 && sessionStart != 0 {
			c.session(media, sessionStart, t, len(dns), "")
			sessionStart = 0
		}
	}
	if c.stopAt != 0 {
		b := &mediaBase{DNs: map[string]dnState{}, Cur: cur, SessionStart: sessionStart}
		for dn, d := range dns {
			b.DNs[dn] = *d
		}
		c.bases[media] = b
		return
	}
	c.out.open = c.out.open || cur != nil || sessionStart != 0
	for _, start := range []int64{sessionStart, segStart(cur)} {
		if start != 0 && maxDuration > 0 && watermark-start <= maxDuration && (c.out.deadline == 0 || start+maxDuration < c.out.deadline) {
			c.out.deadline = start + maxDuration
		}
	}
	if cur != nil {
		if maxDuration > 0 && watermark-cur.Start > maxDuration {
			c.state(media, cur, cur.Start+maxDuration, ReasonMaxDuration)
		} else {
			c.state(media, cur, 0, "")
		}
	}
	if sessionStart != 0 {
		if maxDuration > 0 && watermark-sessionStart > maxDuration {
			c.session(media, sessionStart, sessionStart+maxDuration, len(dns), ReasonMaxDuration)
		} else {
			c.session(media, sessionStart, 0, len(dns), "")
		}
	}
}

// summarize gives the agent's state on the media from its DNs' states: the
// logged-in DN whose state comes first in the priority order wins; among
// DNs in the same state, the one that entered it last.
func (c *agentComputer) summarize(dns map[string]*dnState) *segment {
	var best *dnState
	for _, d := range dns {
		if !d.LoggedIn {
			continue
		}
		if best == nil || c.priority[d.State] > c.priority[best.State] ||
			c.priority[d.State] == c.priority[best.State] && (d.Since > best.Since || d.Since == best.Since && d.Reason > best.Reason) {
			best = d
		}
	}
	if best == nil {
		return nil
	}
	return &segment{State: best.State, Reason: best.Reason}
}

func (c *agentComputer) endACW(d *dnState, t int64) {
	if d.LoggedIn && d.State == StateACW && d.Ixn != "" {
		c.out.acw[d.Ixn] += t - d.Since
	}
}

func (c *agentComputer) state(media string, s *segment, end int64, closed string) {
	if c.stopAt != 0 || end != 0 && end <= c.a.foldedAt {
		return // folding, or final before the fold
	}
	f := AgentStateFact{
		ID:     factID(c.a.tenant, c.a.id, media, "state", msString(s.Start)),
		Tenant: c.a.tenant, AgentID: c.a.id, AgentKey: c.key, AgentName: c.name,
		Media: media, State: s.State, Reason: s.Reason, Start: Millis(s.Start), End: Millis(end), Closed: closed,
	}
	if end != 0 {
		f.DurationMs = end - s.Start
	}
	c.out.rows = append(c.out.rows, f)
}

func (c *agentComputer) session(media string, start, end int64, dns int, closed string) {
	if c.stopAt != 0 || end != 0 && end <= c.a.foldedAt {
		return
	}
	f := SessionFact{
		ID:     factID(c.a.tenant, c.a.id, media, "session", msString(start)),
		Tenant: c.a.tenant, AgentID: c.a.id, AgentKey: c.key, AgentName: c.name,
		Media: media, Start: Millis(start), End: Millis(end), DNs: dns, Closed: closed,
	}
	if end != 0 {
		f.DurationMs = end - start
	}
	c.out.rows = append(c.out.rows, f)
}

func segStart(s *segment) int64 {
	if s == nil {
		return 0
	}
	return s.Start
}
