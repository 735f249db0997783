package pipeline

import "fmt"

// Technical results of a resource visit and of an interaction (the result
// of the resource that was active last).
const (
	ResultCompleted             = "completed"
	ResultAbandonedInQueue      = "abandoned_in_queue"
	ResultAbandonedWhileRinging = "abandoned_while_ringing"
	ResultTransferred           = "transferred"
	ResultRedirected            = "redirected"
	ResultStoppedBySystem       = "stopped_by_system"
	ResultDiverted              = "diverted"
	ResultCleared               = "cleared"
)

// Roles of a resource in an interaction.
const (
	RoleReceived         = "received"
	RoleReceivedTransfer = "received_transfer"
	RoleReceivedConsult  = "received_consult"
	RoleConferenceJoin   = "conference_join"
	RoleQueue            = "queue"
	RoleIVR              = "ivr"
	RoleRoutingPoint     = "routing_point"
)

// ReasonMaxDuration marks a state or interaction closed by the pipeline
// because it stayed open longer than Config.MaxStateDuration.
const ReasonMaxDuration = "max_duration"

type phase uint8

const (
	phaseQueued phase = iota + 1
	phaseRinging
	phaseConnected
	phaseHeld
	phaseDone
)

var phaseNames = [...]string{phaseQueued: "queued", phaseRinging: "ringing", phaseConnected: "connected", phaseHeld: "held", phaseDone: "released"}

// visit is one stay of a resource in an interaction: one resource fact.
type visit struct {
	party               Party
	role, queue         string
	phase               phase
	start, ringStart    int64
	answerAt, holdStart int64
	end                 int64
	ringMs, queueMs     int64
	talkMs, holdMs      int64
	wrapupMs            int64
	result, reason      string
	everConnected       bool
}

// interaction is the state of one interaction: its events in event time
// order, from which its facts are computed again whenever it changes.
type interaction struct {
	tenant, id string
	home       home   // the input partition of its first event: its changelog partition
	others     []home // partitions other than home its events came from
	events     []Event
	seen       map[string]struct{}
	maxTime    int64
	end        int64 // when computed as ended; 0 while open
	deadline   int64 // when MaxStateDuration closes it, 0 when it cannot
	emitted    map[string]emittedRow
}

// ixnResult is what one computation of an interaction gives.
type ixnResult struct {
	rows     []any // InteractionFact first, then ResourceFacts
	rejected []rejection
	unknown  []string // directory names that did not resolve
	end      int64
	deadline int64
	pending  bool // no created event yet: nothing computed
}

type rejection struct {
	index int
	err   error
}

// ixnComputer walks an interaction's events once.
type ixnComputer struct {
	ix              *interaction
	dir             *directory
	acw             map[string]int64 // agent id → after-call work of this interaction
	fact            InteractionFact
	visits          []*visit
	created         bool
	ended           bool
	pendingTransfer bool
	out             ixnResult
}

func computeInteraction(ix *interaction, dir *directory, acw map[string]int64, watermark, maxDuration, retention int64) ixnResult {
	c := &ixnComputer{ix: ix, dir: dir, acw: acw}
	c.fact = InteractionFact{ID: ix.id, Tenant: ix.tenant}
	createdAt := int64(-1)
	for _, e := range ix.events {
		if e.Kind == KindCreated {
			createdAt = e.Time
			break
		}
	}
	if createdAt < 0 && len(ix.events) > 0 && watermark-ix.events[0].Time <= retention {
		// Its created event may still come: wait for it until the
		// retention, instead of setting the others aside.
		c.out.deadline = ix.events[0].Time + retention
		c.out.pending = true
		return c.out
	}
	for i := range ix.events {
		e := &ix.events[i]
		if e.Kind != KindCreated && (createdAt < 0 || e.Time < createdAt) {
			what := "before the interaction was created"
			if createdAt < 0 {
				what = "for an interaction never created"
			}
			c.reject(i, "%s %s", e.Kind, what)
			continue
		}
		if err := c.apply(e); err != nil {
			c.out.rejected = append(c.out.rejected, rejection{index: i, err: err})
		}
	}
	if !c.created {
		return c.out
	}
	if !c.ended && maxDuration > 0 && watermark-c.fact.Start.int() <= maxDuration {
		c.out.deadline = c.fact.Start.int() + maxDuration
	}
	if !c.ended && maxDuration > 0 && watermark-c.fact.Start.int() > maxDuration {
		c.finish(c.fact.Start.int()+maxDuration, "system")
		c.fact.Reason = ReasonMaxDuration
		for _, v := range c.visits {
			if v.reason == "" && v.end == c.fact.End.int() && v.result == ResultStoppedBySystem {
				v.reason = ReasonMaxDuration
			}
		}
	}
	c.emit()
	return c.out
}

func (m Millis) int() int64 { return int64(m) }

func (c *ixnComputer) reject(i int, format string, args ...any) {
	c.out.rejected = append(c.out.rejected, rejection{index: i, err: invalid(ReasonImpossibleSequence, "", format, args...)})
}

func sequenceError(format string, args ...any) error {
	return invalid(ReasonImpossibleSequence, "", format, args...)
}

// active returns the party's visit that has not ended, if any.
func (c *ixnComputer) active(p Party) *visit {
	for i := len(c.visits) - 1; i >= 0; i-- {
		v := c.visits[i]
		if v.phase != phaseDone && v.party.Type == p.Type && v.party.ID == p.ID {
			return v
		}
	}
	return nil
}

func (c *ixnComputer) lastVisit(p Party) *visit {
	for i := len(c.visits) - 1; i >= 0; i-- {
		if v := c.visits[i]; v.party.Type == p.Type && v.party.ID == p.ID {
			return v
		}
	}
	return nil
}

func (c *ixnComputer) anyActive() bool {
	for _, v := range c.visits {
		if v.phase != phaseDone {
			return true
		}
	}
	return false
}

func (c *ixnComputer) newVisit(p Party, t int64, ph phase, role string) *visit {
	v := &visit{party: p, role: role, phase: ph, start: t, ringStart: t}
	if ph == phaseConnected {
		v.answerAt, v.everConnected = t, true
	}
	c.visits = append(c.visits, v)
	return v
}

func roleFor(p Party) string {
	switch p.Type {
	case PartyQueue:
		return RoleQueue
	case PartyIVR:
		return RoleIVR
	case PartyRoutingPoint:
		return RoleRoutingPoint
	}
	return RoleReceived
}

func (c *ixnComputer) apply(e *Event) error {
	if c.ended && e.Kind != KindCreated && e.Kind != KindDisposition && e.Kind != KindWrapup {
		if e.Kind == KindReleased || e.Kind == KindEnded {
			return nil // the other side of a release already seen
		}
		return sequenceError("%s after the interaction ended", e.Kind)
	}
	t := e.Time
	switch e.Kind {
	case KindCreated:
		if c.created {
			return nil
		}
		c.created = true
		c.fact.Start, c.fact.Media, c.fact.Direction = Millis(t), e.Media, e.Direction
		c.fact.From, c.fact.To, c.fact.Campaign = e.From, e.To, e.Campaign
		if c.fact.Direction == "" {
			c.fact.Direction = "inbound"
		}
	case KindDisposition:
		c.fact.Disposition = e.Disposition
	case KindWrapup:
		v := c.lastVisit(e.Party)
		if v == nil || !v.everConnected {
			return sequenceError("wrapup by %s, who never connected", e.Party.ID)
		}
		v.wrapupMs += e.WrapupEnd - e.Time
	case KindQueued:
		if v := c.active(e.Party); v != nil {
			return nil
		}
		c.newVisit(e.Party, t, phaseQueued, roleFor(e.Party))
		if e.Party.Type == PartyQueue && c.fact.FirstQueue == "" {
			c.fact.FirstQueue = e.Party.ID
		}
	case KindRinging:
		if v := c.active(e.Party); v != nil {
			return nil
		}
		queue := c.distribute(e.Queue, t)
		role := roleFor(e.Party)
		switch {
		case e.Consult:
			role = RoleReceivedConsult
		case c.pendingTransfer:
			role = RoleReceivedTransfer
			c.pendingTransfer = false
		}
		v := c.newVisit(e.Party, t, phaseRinging, role)
		v.queue = queue
	case KindEstablished:
		if e.Party.Type == PartyCustomer || e.Party.Type == PartyExternal {
			return nil
		}
		v := c.active(e.Party)
		switch {
		case v == nil:
			queue := c.distribute(e.Queue, t)
			role := roleFor(e.Party)
			if e.Consult {
				role = RoleReceivedConsult
			} else if c.pendingTransfer {
				role, c.pendingTransfer = RoleReceivedTransfer, false
			}
			v = c.newVisit(e.Party, t, phaseConnected, role)
			v.queue = queue
		case v.phase == phaseRinging || v.phase == phaseQueued:
			if v.phase == phaseQueued {
				v.queueMs = t - v.start
			} else {
				v.ringMs = t - v.ringStart
			}
			v.phase, v.answerAt, v.everConnected = phaseConnected, t, true
		case v.phase == phaseHeld:
			return sequenceError("established while %s is held", e.Party.ID)
		}
	case KindHeld:
		v := c.active(e.Party)
		if v == nil || v.phase != phaseConnected {
			return sequenceError("held while %s is %s", e.Party.ID, c.phaseOf(v))
		}
		v.phase, v.holdStart = phaseHeld, t
		c.fact.Holds++
	case KindRetrieved:
		v := c.active(e.Party)
		if v == nil || v.phase != phaseHeld {
			return sequenceError("retrieved while %s is %s", e.Party.ID, c.phaseOf(v))
		}
		v.holdMs += t - v.holdStart
		v.phase = phaseConnected
	case KindTransferred:
		from := e.Party
		if from.Type == "" {
			from = c.lastConnectedAgent()
		}
		v := c.active(from)
		if v == nil || (v.phase != phaseConnected && v.phase != phaseHeld) {
			return sequenceError("transferred by %s while it is %s", from.ID, c.phaseOf(v))
		}
		c.close(v, t, ResultTransferred, "")
		c.fact.Transfers++
		// The next agent offered the call receives the transfer, unless
		// the target is an agent already on it (a consultation).
		if tv := c.active(e.Target); tv == nil || e.Target.Type != PartyAgent {
			c.pendingTransfer = true
		}
		if e.Target.Type == PartyExternal || !c.anyActive() && e.Target.Type == "" {
			c.finish(t, "agent")
		}
	case KindConferenced:
		if v := c.active(e.Party); v != nil {
			v.role = RoleConferenceJoin
			if v.phase == phaseRinging {
				v.ringMs, v.phase, v.answerAt, v.everConnected = t-v.ringStart, phaseConnected, t, true
			}
			return nil
		}
		c.newVisit(e.Party, t, phaseConnected, RoleConferenceJoin)
	case KindRedirected:
		v := c.active(e.Party)
		if v == nil || v.phase != phaseRinging {
			return sequenceError("redirected while %s is %s", e.Party.ID, c.phaseOf(v))
		}
		c.close(v, t, ResultRedirected, e.Reason)
		if e.Target.Type == PartyExternal {
			c.finish(t, "system")
		}
	case KindReleased:
		if e.Party.Type == "" || e.Party.Type == PartyCustomer || e.Party.Type == PartyExternal {
			by := e.By
			if by == "" {
				by = "customer"
			}
			c.finish(t, by)
			return nil
		}
		v := c.active(e.Party)
		if v == nil {
			if c.lastVisit(e.Party) != nil {
				return nil // a second release of a party that left
			}
			return sequenceError("released %s, which never joined", e.Party.ID)
		}
		result := ResultCompleted
		switch {
		case e.By == "system":
			result = ResultStoppedBySystem
		case v.phase == phaseQueued:
			result = ResultCleared
		case v.phase == phaseRinging:
			result = ResultRedirected
		}
		c.close(v, t, result, "")
		// An agent hanging up the last leg ends the call; an IVR or queue
		// letting go of it passes it on.
		if e.Party.Type == PartyAgent && !c.anyActive() && !c.pendingTransfer {
			c.finish(t, "agent")
		}
	case KindEnded:
		by := e.By
		if by == "" {
			by = "system"
		}
		c.finish(t, by)
	}
	return nil
}

func (c *ixnComputer) phaseOf(v *visit) string {
	if v == nil {
		return "not in the interaction"
	}
	return phaseNames[v.phase]
}

func (c *ixnComputer) lastConnectedAgent() Party {
	for i := len(c.visits) - 1; i >= 0; i-- {
		if v := c.visits[i]; v.phase == phaseConnected || v.phase == phaseHeld {
			return v.party
		}
	}
	return Party{}
}

// distribute ends the queue visit an interaction leaves when it is offered
// to an agent, and returns that queue's id.
func (c *ixnComputer) distribute(queue string, t int64) string {
	for i := len(c.visits) - 1; i >= 0; i-- {
		v := c.visits[i]
		if v.phase != phaseQueued || v.party.Type != PartyQueue || (queue != "" && v.party.ID != queue) {
			continue
		}
		v.queueMs = t - v.start
		c.close(v, t, ResultDiverted, "")
		return v.party.ID
	}
	return queue
}

func (c *ixnComputer) close(v *visit, t int64, result, reason string) {
	switch v.phase {
	case phaseQueued:
		v.queueMs = t - v.start
	case phaseRinging:
		v.ringMs = t - v.ringStart
	case phaseHeld:
		v.holdMs += t - v.holdStart
	}
	if v.everConnected {
		v.talkMs = t - v.answerAt - v.holdMs
	}
	v.phase, v.end, v.result, v.reason = phaseDone, t, result, reason
}

// finish ends the interaction at t: every resource still in it ends with
// the result its phase and who ended the call give.
func (c *ixnComputer) finish(t int64, by string) {
	for _, v := range c.visits {
		if v.phase == phaseDone {
			continue
		}
		result := ResultCompleted
		switch {
		case by == "system":
			result = ResultStoppedBySystem
		case v.phase == phaseQueued:
			result = ResultAbandonedInQueue
		case v.phase == phaseRinging:
			result = ResultAbandonedWhileRinging
		}
		c.close(v, t, result, "")
	}
	c.ended = true
	c.fact.End = Millis(t)
	c.out.end = t
}

func (c *ixnComputer) resolve(kind, name string) (string, string) {
	key, display, ok := c.dir.resolve(c.ix.tenant, kind, name)
	if !ok {
		c.out.unknown = append(c.out.unknown, dirKey(c.ix.tenant, kind, name))
	}
	return key, display
}

func (c *ixnComputer) emit() {
	f := &c.fact
	f.Resources = len(c.visits)
	lastAgent := map[string]*visit{}
	for _, v := range c.visits {
		if v.party.Type == PartyAgent && v.everConnected {
			lastAgent[v.party.ID] = v
		}
	}
	var last *visit
	rows := make([]any, 1, 1+len(c.visits))
	for _, v := range c.visits {
		r := ResourceFact{
			ID:            factID(c.ix.tenant, c.ix.id, v.party.Type, v.party.ID, msString(v.start)),
			InteractionID: c.ix.id, Tenant: c.ix.tenant, Media: f.Media,
			ResourceType: v.party.Type, ResourceID: v.party.ID, DN: v.party.DN,
			Role: v.role, Start: Millis(v.start), End: Millis(v.end),
			RingMs: v.ringMs, QueueMs: v.queueMs, TalkMs: v.talkMs, HoldMs: v.holdMs,
			Result: v.result, Reason: v.reason,
		}
		switch v.party.Type {
		case PartyAgent:
			r.ResourceKey, r.ResourceName = c.resolve(CfgAgent, v.party.ID)
			r.ACWMs = v.wrapupMs
			if lastAgent[v.party.ID] == v {
				r.ACWMs = max(r.ACWMs, c.acw[v.party.ID])
			}
		case PartyQueue:
			r.ResourceKey, r.ResourceName = c.resolve(CfgQueue, v.party.ID)
		case PartyIVR:
			// Time in an IVR is self-service, not waiting for an agent:
			// the whole stay is ivr_ms (Genesys Cloud's tIvr), kept out of
			// the queue, talk and hold totals that service levels read.
			r.ResourceKey = v.party.ID
			r.IVRMs, r.QueueMs, r.TalkMs, r.HoldMs = v.queueMs+v.talkMs+v.holdMs, 0, 0, 0
		default:
			r.ResourceKey = v.party.ID
		}
		r.Queue = v.queue
		f.RingMs += r.RingMs
		f.QueueMs += r.QueueMs
		f.IVRMs += r.IVRMs
		f.TalkMs += r.TalkMs
		f.HoldMs += r.HoldMs
		f.ACWMs += r.ACWMs
		if c.ended && (last == nil || v.end >= last.end) {
			last = v
		}
		rows = append(rows, r)
	}
	if last != nil {
		f.Result = last.result
		if f.Reason == "" {
			f.Reason = last.reason
		}
	} else if c.ended {
		f.Result = ResultStoppedBySystem
	}
	rows[0] = *f
	c.out.rows = rows
}

// String describes a rejection for a dead letter.
func (r rejection) String() string { return fmt.Sprint(r.err) }
