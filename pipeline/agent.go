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
	events     []Event
	seen       map[string]struct{}
	maxTime    int64
	emitted    map[string]emittedRow
	acw        map[string]int64 // interaction → after-call work last handed to it
	// deadline is when MaxStateDuration closes a state still open, 0 when
	// none is; open tells whether any state or session was open.
	deadline int64
	open     bool
}

type dnState struct {
	loggedIn bool
	state    string
	reason   string
	ixn      string
	since    int64
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
	byMedia := map[string][]int{}
	var medias []string
	for i, e := range a.events {
		if _, ok := byMedia[e.Media]; !ok {
			medias = append(medias, e.Media)
		}
		byMedia[e.Media] = append(byMedia[e.Media], i)
	}
	sort.Strings(medias)
	for _, m := range medias {
		c.media(m, byMedia[m], watermark, maxDuration)
	}
	return out
}

type segment struct {
	state, reason string
	start         int64
}

func (c *agentComputer) media(media string, idx []int, watermark, maxDuration int64) {
	dns := map[string]*dnState{}
	var cur *segment
	var sessionStart int64
	loggedIn := 0
	events := c.a.events
	for n, i := range idx {
		e := &events[i]
		d := dns[e.DN]
		if d == nil {
			d = &dnState{}
			dns[e.DN] = d
		}
		t := e.Time
		if e.Kind == KindLogout {
			if !d.loggedIn {
				c.out.rejected = append(c.out.rejected, rejection{index: i, err: sequenceError("logout of DN %q, which is not logged in", e.DN)})
				continue
			}
			c.endACW(d, t)
			d.loggedIn = false
			loggedIn--
		} else {
			if !d.loggedIn {
				d.loggedIn = true
				loggedIn++
				d.state, d.reason, d.ixn, d.since = StateNotReady, "", "", t
				if loggedIn == 1 {
					sessionStart = t
				}
			}
			state, reason, ixn := d.state, d.reason, d.ixn
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
			if state != d.state || reason != d.reason || ixn != d.ixn {
				c.endACW(d, t)
				d.state, d.reason, d.ixn, d.since = state, reason, ixn, t
			}
		}
		// Events of equal time settle together: summarize after the last.
		if n+1 < len(idx) && events[idx[n+1]].Time == t {
			continue
		}
		next := c.summarize(dns)
		if cur != nil && (next == nil || next.state != cur.state || next.reason != cur.reason) {
			c.state(media, cur, t, "")
			cur = nil
		}
		if cur == nil && next != nil {
			next.start = t
			cur = next
		}
		if loggedIn == 0 && sessionStart != 0 {
			c.session(media, sessionStart, t, len(dns), "")
			sessionStart = 0
		}
	}
	c.out.open = c.out.open || cur != nil || sessionStart != 0
	for _, start := range []int64{sessionStart, segStart(cur)} {
		if start != 0 && maxDuration > 0 && watermark-start <= maxDuration && (c.out.deadline == 0 || start+maxDuration < c.out.deadline) {
			c.out.deadline = start + maxDuration
		}
	}
	if cur != nil {
		if maxDuration > 0 && watermark-cur.start > maxDuration {
			c.state(media, cur, cur.start+maxDuration, ReasonMaxDuration)
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
		if !d.loggedIn {
			continue
		}
		if best == nil || c.priority[d.state] > c.priority[best.state] ||
			c.priority[d.state] == c.priority[best.state] && (d.since > best.since || d.since == best.since && d.reason > best.reason) {
			best = d
		}
	}
	if best == nil {
		return nil
	}
	return &segment{state: best.state, reason: best.reason}
}

func (c *agentComputer) endACW(d *dnState, t int64) {
	if d.loggedIn && d.state == StateACW && d.ixn != "" {
		c.out.acw[d.ixn] += t - d.since
	}
}

func (c *agentComputer) state(media string, s *segment, end int64, closed string) {
	f := AgentStateFact{
		ID:     factID(c.a.tenant, c.a.id, media, "state", msString(s.start)),
		Tenant: c.a.tenant, AgentID: c.a.id, AgentKey: c.key, AgentName: c.name,
		Media: media, State: s.state, Reason: s.reason, Start: Millis(s.start), End: Millis(end), Closed: closed,
	}
	if end != 0 {
		f.DurationMs = end - s.start
	}
	c.out.rows = append(c.out.rows, f)
}

func (c *agentComputer) session(media string, start, end int64, dns int, closed string) {
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
	return s.start
}
