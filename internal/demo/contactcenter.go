package demo

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/logmart/logmart/pipeline"
)

// ContactCenterConfig shapes a simulated contact center: agents on one or
// two DNs taking inbound calls that queue, ring, are answered, held,
// transferred, redirected on no answer and abandoned in the queue or while
// ringing, with after-call work and breaks; optionally chats, emails and
// outbound campaign calls. Delivery can be disordered,
// late, duplicated and sprinkled with malformed records.
type ContactCenterConfig struct {
	// Seed makes the simulation repeatable.
	Seed uint64
	// Start is the event time of the first login. Default 2026-03-02 08:00 UTC.
	Start time.Time
	// Agents is the number of agents; every third has a second DN. Default 20.
	Agents int
	// Calls is the number of inbound calls. Default 1000.
	Calls int
	// MeanGap is the mean time between call arrivals. Default 15s.
	MeanGap time.Duration
	// Jitter delivers each record up to this much later than its event time,
	// so records arrive out of order within it. Default 0.
	Jitter time.Duration
	// LateShare of records are delivered LateBy late. Default 0.
	LateShare float64
	// LateBy is how late a late record is delivered. Default 2m.
	LateBy time.Duration
	// DuplicateShare of records are delivered twice. Default 0.
	DuplicateShare float64
	// MalformedShare is the share of extra records that are not valid at
	// all. Default 0.
	MalformedShare float64
	// CallPrefix starts every call id, so two simulations can share
	// topics. Default "call-".
	CallPrefix string
	// FirstCallAfter is the time from the agents' login to the first
	// call's arrival. Default 1m.
	FirstCallAfter time.Duration
	// Configure sends the agents' and queues' configuration (a gca-cfg
	// upsert with names, logins and addresses) before the first event,
	// leaving out the last Unconfigured agents, whose facts then carry
	// placeholder keys. Default false: every agent and queue is unknown.
	Configure    bool
	Unconfigured int
	// Chats and Emails are digital interactions (digital-itx) arriving
	// over the same hours as the calls, handled by their own agents
	// (digital-agent-NNN); Outbound is campaign calls (voice-outbound)
	// made by campaign agents (campaign-agent-NNN). Default 0: voice
	// calls only, and the simulation draws exactly what it drew before
	// they existed.
	Chats, Emails, Outbound int
}

// ContactCenterRecord is one record to produce, in delivery order.
type ContactCenterRecord struct {
	Topic string
	Key   []byte
	Value []byte
	// Time is the record's event time (Unix milliseconds).
	Time int64
}

// ContactCenterTruth is what the pipeline must make of the records: the
// facts the simulation knows it generated, and how many records are
// malformed on purpose.
type ContactCenterTruth struct {
	Interactions []pipeline.InteractionFact
	Resources    []pipeline.ResourceFact
	States       []pipeline.AgentStateFact
	Sessions     []pipeline.SessionFact
	Malformed    int
	// End is the event time after which nothing happens.
	End int64
}

type ccAgent struct {
	id, dn, dn2 string
	freeAt      int64
	segs        []pipeline.AgentStateFact
}

type ccSim struct {
	cfg     ContactCenterConfig
	r       *rand.Rand
	tenant  string
	agents  []*ccAgent
	recs    []ContactCenterRecord
	truth   ContactCenterTruth
	seq     int
	lastEvt int64
}

// SimulateContactCenter runs the simulation and returns the records in
// delivery order with the truth.
func SimulateContactCenter(cfg ContactCenterConfig) ([]ContactCenterRecord, ContactCenterTruth) {
	if cfg.Start.IsZero() {
		cfg.Start = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	}
	if cfg.Agents <= 0 {
		cfg.Agents = 20
	}
	if cfg.Calls <= 0 {
		cfg.Calls = 1000
	}
	if cfg.MeanGap <= 0 {
		cfg.MeanGap = 15 * time.Second
	}
	if cfg.LateBy <= 0 {
		cfg.LateBy = 2 * time.Minute
	}
	if cfg.CallPrefix == "" {
		cfg.CallPrefix = "call-"
	}
	if cfg.FirstCallAfter <= 0 {
		cfg.FirstCallAfter = time.Minute
	}
	s := &ccSim{cfg: cfg, r: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)), tenant: tenants[0]}
	t0 := cfg.Start.UnixMilli()
	for i := range cfg.Agents {
		a := &ccAgent{id: "agent-" + pad3(i), dn: "5" + pad3(i), freeAt: t0}
		if i%3 == 0 {
			a.dn2 = "6" + pad3(i)
		}
		s.agents = append(s.agents, a)
	}
	if cfg.Configure {
		s.configure(t0)
	}
	for _, a := range s.agents {
		s.agentEvent(a, a.dn, "login", t0, "", "")
		s.setState(a, t0, pipeline.StateReady, "", "")
		if a.dn2 != "" {
			s.agentEvent(a, a.dn2, "login", t0, "", "")
			s.agentEvent(a, a.dn2, "ready", t0, "", "")
		}
	}
	at := t0 + cfg.FirstCallAfter.Milliseconds()
	for i := range cfg.Calls {
		at += int64(s.r.ExpFloat64() * float64(cfg.MeanGap.Milliseconds()))
		s.call(cfg.CallPrefix+strconv.Itoa(i), at)
	}
	s.digitalAndOutbound(t0+cfg.FirstCallAfter.Milliseconds(), at)
	end := s.lastEvt
	for _, a := range s.agents {
		end = max(end, a.freeAt)
	}
	end += 60_000
	for _, a := range s.agents {
		s.agentEvent(a, a.dn, "logout", end, "", "")
		if a.dn2 != "" {
			s.agentEvent(a, a.dn2, "logout", end, "", "")
		}
		s.closeStates(a, end)
		s.truth.Sessions = append(s.truth.Sessions, pipeline.SessionFact{Tenant: s.tenant, AgentID: a.id, Media: "voice",
			Start: pipeline.Millis(t0), End: pipeline.Millis(end), DurationMs: end - t0, DNs: dnCount(a)})
	}
	s.truth.End = end
	return s.deliver(), s.truth
}

func dnCount(a *ccAgent) int {
	if a.dn2 != "" {
		return 2
	}
	return 1
}

func pad3(i int) string {
	s := strconv.Itoa(i)
	for len(s) < 3 {
		s = "0" + s
	}
	return s
}

func (s *ccSim) uniform(lo, hi time.Duration) int64 {
	return lo.Milliseconds() + s.r.Int64N(hi.Milliseconds()-lo.Milliseconds()+1)
}

// ccEvent is a voice-callthread or voice-agentstate record, version 1.
type ccEvent struct {
	Version   int      `json:"version"`
	ID        string   `json:"id"`
	Event     string   `json:"event"`
	Time      string   `json:"time"`
	Tenant    string   `json:"tenant"`
	CallID    string   `json:"call_id,omitempty"`
	Agent     string   `json:"agent,omitempty"`
	DN        string   `json:"dn,omitempty"`
	Reason    string   `json:"reason,omitempty"`
	Direction string   `json:"direction,omitempty"`
	Media     string   `json:"media,omitempty"`
	IxnID     string   `json:"interaction_id,omitempty"`
	Campaign  string   `json:"campaign,omitempty"`
	Disp      string   `json:"disposition,omitempty"`
	From      string   `json:"from,omitempty"`
	To        string   `json:"to,omitempty"`
	Party     *ccParty `json:"party,omitempty"`
	Target    *ccParty `json:"target,omitempty"`
	Queue     string   `json:"queue,omitempty"`
}

type ccParty struct {
	Type string `json:"type"`
	ID   string `json:"id,omitempty"`
	DN   string `json:"dn,omitempty"`
}

func (s *ccSim) emit(topic, key string, e ccEvent, at int64) {
	s.seq++
	e.Version, e.ID, e.Tenant = 1, "sim-"+strconv.Itoa(s.seq), s.tenant
	e.Time = time.UnixMilli(at).UTC().Format("2006-01-02T15:04:05.000Z")
	b, _ := json.Marshal(e)
	s.recs = append(s.recs, ContactCenterRecord{Topic: topic, Key: []byte(key), Value: b, Time: at})
	s.lastEvt = max(s.lastEvt, at)
}

func (s *ccSim) agentEvent(a *ccAgent, dn, event string, at int64, reason, call string) {
	s.emit(pipeline.TopicVoiceAgentState, a.id, ccEvent{Event: event, Agent: a.id, DN: dn, Reason: reason, CallID: call}, at)
}

// setState moves the agent's first DN to a state, and the truth with it:
// the second DN stays ready, which the default priority ranks last, so the
// agent's summarized state is the first DN's.
func (s *ccSim) setState(a *ccAgent, at int64, state, reason, call string) {
	s.agentEvent(a, a.dn, state, at, reason, call)
	if n := len(a.segs); n > 0 && a.segs[n-1].State == state && a.segs[n-1].Reason == reason {
		return
	}
	s.closeStates(a, at)
	a.segs = append(a.segs, pipeline.AgentStateFact{Tenant: s.tenant, AgentID: a.id, Media: "voice", State: state, Reason: reason, Start: pipeline.Millis(at)})
}

func (s *ccSim) closeStates(a *ccAgent, at int64) {
	if n := len(a.segs); n > 0 && a.segs[n-1].End == 0 {
		a.segs[n-1].End = pipeline.Millis(at)
		a.segs[n-1].DurationMs = at - int64(a.segs[n-1].Start)
		s.truth.States = append(s.truth.States, a.segs[n-1])
	}
}

// pick is the agent free first, other than not.
func (s *ccSim) pick(not *ccAgent) *ccAgent {
	var best *ccAgent
	for _, a := range s.agents {
		if a != not && (best == nil || a.freeAt < best.freeAt) {
			best = a
		}
	}
	return best
}

// ccCall accumulates a call's truth as it is simulated.
type ccCall struct {
	s        *ccSim
	id       string
	fact     pipeline.InteractionFact
	rows     []pipeline.ResourceFact
	roleNext string
}

func (c *ccCall) ev(e ccEvent, at int64) {
	e.CallID = c.id
	c.s.emit(pipeline.TopicVoiceCallthread, c.id, e, at)
}

func (c *ccCall) row(typ, id, dn, queue, role string, start int64) *pipeline.ResourceFact {
	c.rows = append(c.rows, pipeline.ResourceFact{InteractionID: c.id, Tenant: c.s.tenant, Media: "voice",
		ResourceType: typ, ResourceID: id, DN: dn, Queue: queue, Role: role, Start: pipeline.Millis(start)})
	return &c.rows[len(c.rows)-1]
}

func (s *ccSim) call(id string, arrive int64) {
	c := &ccCall{s: s, id: id, roleNext: pipeline.RoleReceived}
	c.fact = pipeline.InteractionFact{ID: id, Tenant: s.tenant, Media: "voice", Direction: "inbound",
		Start: pipeline.Millis(arrive), From: "+1555" + pad3(s.r.IntN(1000)) + pad3(s.r.IntN(1000)), To: "8005550100"}
	queue := "sales"
	if s.r.Float64() < 0.3 {
		queue = "support"
	}
	c.fact.FirstQueue = queue
	c.ev(ccEvent{Event: "created", Direction: "inbound", From: c.fact.From, To: c.fact.To}, arrive)
	s.offer(c, queue, arrive, nil, true)
	c.finish()
}

// offer queues the call at queue from at and plays it out with an agent.
// mayFail allows the outcomes that end or redirect the offer.
func (s *ccSim) offer(c *ccCall, queue string, at int64, not *ccAgent, mayFail bool) {
	c.ev(ccEvent{Event: "queued", Party: &ccParty{Type: "queue", ID: queue}}, at)
	q := c.row("queue", queue, "", "", pipeline.RoleQueue, at)
	a := s.pick(not)
	ringAt := max(at+2000, a.freeAt)
	patience := s.uniform(60*time.Second, 10*time.Minute)
	if mayFail && s.r.Float64() < 0.06 {
		patience = s.uniform(5*time.Second, 40*time.Second)
	}
	if ringAt-at > patience {
		end := at + patience
		q.QueueMs, q.End, q.Result = patience, pipeline.Millis(end), pipeline.ResultAbandonedInQueue
		c.ev(ccEvent{Event: "released", Party: &ccParty{Type: "customer"}}, end)
		c.fact.End = pipeline.Millis(end)
		return
	}
	q.QueueMs, q.End, q.Result = ringAt-at, pipeline.Millis(ringAt), pipeline.ResultDiverted
	party := &ccParty{Type: "agent", ID: a.id, DN: a.dn}
	c.ev(ccEvent{Event: "ringing", Party: party, Queue: queue}, ringAt)
	ag := c.row("agent", a.id, a.dn, queue, c.roleNext, ringAt)
	c.roleNext = pipeline.RoleReceived
	ringMs := s.uniform(2*time.Second, 8*time.Second)
	switch p := s.r.Float64(); {
	case mayFail && p < 0.04:
		hang := ringAt + s.uniform(time.Second, time.Duration(ringMs)*time.Millisecond)
		ag.RingMs, ag.End, ag.Result = hang-ringAt, pipeline.Millis(hang), pipeline.ResultAbandonedWhileRinging
		c.ev(ccEvent{Event: "released", Party: &ccParty{Type: "customer"}}, hang)
		a.freeAt = hang
		c.fact.End = pipeline.Millis(hang)
		return
	case mayFail && p < 0.08:
		rona := ringAt + 12_000
		ag.RingMs, ag.End, ag.Result = 12_000, pipeline.Millis(rona), pipeline.ResultRedirected
		c.ev(ccEvent{Event: "redirected", Party: party}, rona)
		a.freeAt = rona
		s.offer(c, queue, rona, a, false)
		return
	}
	answer := ringAt + ringMs
	ag.RingMs = ringMs
	c.ev(ccEvent{Event: "established", Party: party}, answer)
	s.setState(a, answer, pipeline.StateBusy, "", c.id)
	talk := s.uniform(30*time.Second, 5*time.Minute)
	var hold int64
	if s.r.Float64() < 0.25 {
		holdAt := answer + s.uniform(5*time.Second, time.Duration(talk/2)*time.Millisecond)
		hold = s.uniform(10*time.Second, time.Minute)
		c.ev(ccEvent{Event: "held", Party: party}, holdAt)
		c.ev(ccEvent{Event: "retrieved", Party: party}, holdAt+hold)
		c.fact.Holds++
	}
	leave := answer + talk + hold
	ag.TalkMs, ag.HoldMs, ag.End = talk, hold, pipeline.Millis(leave)
	if mayFail && s.r.Float64() < 0.08 {
		ag.Result = pipeline.ResultTransferred
		c.ev(ccEvent{Event: "transferred", Party: party, Target: &ccParty{Type: "queue", ID: "support"}}, leave)
		c.fact.Transfers++
		c.roleNext = pipeline.RoleReceivedTransfer
		s.afterCall(a, c, ag, leave)
		s.offer(c, "support", leave, a, false)
		return
	}
	ag.Result = pipeline.ResultCompleted
	c.ev(ccEvent{Event: "released", Party: &ccParty{Type: "customer"}}, leave)
	c.fact.End = pipeline.Millis(leave)
	s.afterCall(a, c, ag, leave)
}

// afterCall is the agent's after-call work, then ready or a break.
func (s *ccSim) afterCall(a *ccAgent, c *ccCall, row *pipeline.ResourceFact, at int64) {
	acw := s.uniform(5*time.Second, time.Minute)
	s.setState(a, at, pipeline.StateACW, "", c.id)
	row.ACWMs = acw
	next := at + acw
	if p := s.r.Float64(); p < 0.15 {
		reason := "Break"
		if p < 0.04 {
			reason = "Coaching"
		}
		s.setState(a, next, pipeline.StateNotReady, reason, "")
		next += s.uniform(time.Minute, 5*time.Minute)
	}
	s.setState(a, next, pipeline.StateReady, "", "")
	a.freeAt = next
}

func (c *ccCall) finish() {
	f := &c.fact
	var last *pipeline.ResourceFact
	for i := range c.rows {
		r := &c.rows[i]
		f.RingMs += r.RingMs
		f.QueueMs += r.QueueMs
		f.TalkMs += r.TalkMs
		f.HoldMs += r.HoldMs
		f.ACWMs += r.ACWMs
		if last == nil || r.End >= last.End {
			last = r
		}
	}
	f.Resources = len(c.rows)
	f.Result = last.Result
	c.s.truth.Interactions = append(c.s.truth.Interactions, *f)
	c.s.truth.Resources = append(c.s.truth.Resources, c.rows...)
}

// malformed records, each refused for a different reason.
var ccMalformed = []string{
	`{"version":1,"event":"created"`,
	`{"version":9,"event":"created","time":"2026-03-02T08:00:00Z","tenant":"t","call_id":"x"}`,
	`{"version":1,"event":"teleported","time":"2026-03-02T08:00:00Z","tenant":"t","call_id":"x"}`,
	`{"version":1,"event":"held","time":"2026-03-02T08:00:00Z","tenant":"t","call_id":"x","party":{"type":"agent","id":17}}`,
	`[]`,
}

// deliver orders the records as a disorderly network would deliver them.
func (s *ccSim) deliver() []ContactCenterRecord {
	type timed struct {
		at  int64
		rec ContactCenterRecord
	}
	out := make([]timed, 0, len(s.recs))
	jitter := s.cfg.Jitter.Milliseconds()
	for _, rec := range s.recs {
		at := rec.Time
		if jitter > 0 {
			at += s.r.Int64N(jitter + 1)
		}
		if s.r.Float64() < s.cfg.LateShare {
			at += s.cfg.LateBy.Milliseconds()
		}
		out = append(out, timed{at, rec})
		if s.r.Float64() < s.cfg.DuplicateShare {
			out = append(out, timed{at + s.r.Int64N(jitter+1), rec})
		}
		if s.r.Float64() < s.cfg.MalformedShare {
			bad := ccMalformed[s.r.IntN(len(ccMalformed))]
			out = append(out, timed{at, ContactCenterRecord{Topic: pipeline.TopicVoiceCallthread, Value: []byte(bad), Time: rec.Time}})
			s.truth.Malformed++
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].at < out[j].at })
	recs := make([]ContactCenterRecord, len(out))
	for i, t := range out {
		recs[i] = t.rec
	}
	return recs
}

// Diff compares facts (the latest version of each, as the tables keep
// them) with the truth, on everything but ids, versions and configured
// keys, and describes each difference; none means they agree row for row.
func (t ContactCenterTruth) Diff(facts []pipeline.Fact) []string {
	got := map[string][]string{}
	for _, f := range facts {
		if line, table := truthLine(f.Row); line != "" {
			got[table] = append(got[table], line)
		}
	}
	want := map[string][]string{}
	add := func(row any) {
		line, table := truthLine(row)
		want[table] = append(want[table], line)
	}
	for _, r := range t.Interactions {
		add(r)
	}
	for _, r := range t.Resources {
		add(r)
	}
	for _, r := range t.States {
		add(r)
	}
	for _, r := range t.Sessions {
		add(r)
	}
	var out []string
	for _, table := range []string{pipeline.TableInteractions, pipeline.TableResources, pipeline.TableAgentStates, pipeline.TableSessions} {
		if len(want[table]) == 0 {
			out = append(out, table+": the truth has no rows")
		}
		g := map[string]int{}
		for _, l := range got[table] {
			g[l]++
		}
		for _, l := range want[table] {
			if g[l] > 0 {
				g[l]--
			} else {
				out = append(out, table+": missing "+l)
			}
		}
		var extra []string
		for l, n := range g {
			for range n {
				extra = append(extra, table+": unexpected "+l)
			}
		}
		sort.Strings(extra)
		out = append(out, extra...)
	}
	return out
}

// truthLine is a fact's content without its id, version and keys, which
// the simulator does not derive; "" for a deleted row.
func truthLine(row any) (string, string) {
	switch r := row.(type) {
	case pipeline.InteractionFact:
		if r.Deleted == 1 {
			return "", ""
		}
		return fmt.Sprintf("%s %s %s %s %s %s %s %s res=%d xfer=%d holds=%d ring=%d queue=%d ivr=%d talk=%d hold=%d acw=%d",
			r.ID, r.Media, r.Direction, r.Start, r.End, r.From, r.FirstQueue, r.Result, r.Resources, r.Transfers, r.Holds,
			r.RingMs, r.QueueMs, r.IVRMs, r.TalkMs, r.HoldMs, r.ACWMs), pipeline.TableInteractions
	case pipeline.ResourceFact:
		if r.Deleted == 1 {
			return "", ""
		}
		return fmt.Sprintf("%s %s %s %s %s %s %s %s ring=%d queue=%d ivr=%d talk=%d hold=%d acw=%d %s",
			r.InteractionID, r.Start, r.ResourceType, r.ResourceID, r.DN, r.Queue, r.Role, r.End,
			r.RingMs, r.QueueMs, r.IVRMs, r.TalkMs, r.HoldMs, r.ACWMs, r.Result), pipeline.TableResources
	case pipeline.AgentStateFact:
		if r.Deleted == 1 {
			return "", ""
		}
		return fmt.Sprintf("%s %s %s %s %s %d", r.AgentID, r.Start, r.End, r.State, r.Reason, r.DurationMs), pipeline.TableAgentStates
	case pipeline.SessionFact:
		if r.Deleted == 1 {
			return "", ""
		}
		return fmt.Sprintf("%s %s %s %d dns=%d", r.AgentID, r.Start, r.End, r.DurationMs, r.DNs), pipeline.TableSessions
	}
	return "", ""
}

// digitalAndOutbound simulates the chats, emails and campaign calls, spread
// from first to last, each handled by the first free of a small team of
// its own; one that would wait past last is not made, so the day ends
// with the calls. The teams send no agent states: their facts are the
// interactions' and resources'.
func (s *ccSim) digitalAndOutbound(first, last int64) {
	if s.cfg.Chats+s.cfg.Emails+s.cfg.Outbound == 0 {
		return
	}
	span := max(last-first, 60_000)
	team := func(prefix string, n int) []*ccAgent {
		out := make([]*ccAgent, n)
		for i := range out {
			out[i] = &ccAgent{id: prefix + pad3(i), dn: "7" + pad3(i), freeAt: first}
		}
		return out
	}
	free := func(agents []*ccAgent) *ccAgent {
		best := agents[0]
		for _, a := range agents[1:] {
			if a.freeAt < best.freeAt {
				best = a
			}
		}
		return best
	}
	// The i-th of n arrives in the i-th n-th of the span.
	arrival := func(i, n int) int64 {
		step := span / int64(n)
		return first + step*int64(i) + s.r.Int64N(step+1)
	}
	// Ids take the calls' prefix past "call-", so shifts of the live demo
	// do not reuse them.
	tag := strings.TrimPrefix(s.cfg.CallPrefix, "call-")
	chat, email := team(ccTeams[0].prefix, ccTeams[0].size), team(ccTeams[1].prefix, ccTeams[1].size)
	for i := range s.cfg.Chats {
		if free(chat).freeAt > last {
			break
		}
		s.digital("chat-"+tag+strconv.Itoa(i), "chat", "chat-support", arrival(i, s.cfg.Chats), free(chat))
	}
	for i := range s.cfg.Emails {
		if free(email).freeAt > last {
			break
		}
		s.digital("email-"+tag+strconv.Itoa(i), "email", "email-support", arrival(i, s.cfg.Emails), free(email))
	}
	campaign := team(ccTeams[2].prefix, ccTeams[2].size)
	for i := range s.cfg.Outbound {
		if free(campaign).freeAt > last {
			break
		}
		s.outbound("out-"+tag+strconv.Itoa(i), arrival(i, s.cfg.Outbound), free(campaign))
	}
}

func (s *ccSim) digital(id, media, queue string, arrive int64, a *ccAgent) {
	emit := func(e ccEvent, at int64) {
		e.IxnID, e.Media = id, media
		s.emit(pipeline.TopicDigitalITX, id, e, at)
	}
	from := "visitor-" + pad3(s.r.IntN(1000))
	if media == "email" {
		from = "customer" + pad3(s.r.IntN(1000)) + "@example.com"
	}
	f := pipeline.InteractionFact{ID: id, Tenant: s.tenant, Media: media, Direction: "inbound", Start: pipeline.Millis(arrive),
		From: from, FirstQueue: queue, Resources: 2, Result: pipeline.ResultCompleted}
	emit(ccEvent{Event: "created", Direction: "inbound", From: from}, arrive)
	emit(ccEvent{Event: "queued", Party: &ccParty{Type: "queue", ID: queue}}, arrive)
	offer := max(arrive+1000, a.freeAt)
	accept := offer + s.uniform(time.Second, 20*time.Second)
	handle := s.uniform(time.Minute, 10*time.Minute)
	end := accept + handle
	party := &ccParty{Type: "agent", ID: a.id}
	emit(ccEvent{Event: "offered", Party: party, Queue: queue}, offer)
	emit(ccEvent{Event: "accepted", Party: party}, accept)
	emit(ccEvent{Event: "released", Party: party}, end)
	a.freeAt = end
	f.End, f.QueueMs, f.RingMs, f.TalkMs = pipeline.Millis(end), offer-arrive, accept-offer, handle
	s.truth.Interactions = append(s.truth.Interactions, f)
	s.truth.Resources = append(s.truth.Resources,
		pipeline.ResourceFact{InteractionID: id, Tenant: s.tenant, Media: media, ResourceType: "queue", ResourceID: queue, Role: pipeline.RoleQueue,
			Start: pipeline.Millis(arrive), End: pipeline.Millis(offer), QueueMs: offer - arrive, Result: pipeline.ResultDiverted},
		pipeline.ResourceFact{InteractionID: id, Tenant: s.tenant, Media: media, ResourceType: "agent", ResourceID: a.id, Queue: queue, Role: pipeline.RoleReceived,
			Start: pipeline.Millis(offer), End: pipeline.Millis(end), RingMs: accept - offer, TalkMs: handle, Result: pipeline.ResultCompleted})
}

var ccDispositions = []string{"renewed", "declined", "call_back"}

func (s *ccSim) outbound(id string, dial int64, a *ccAgent) {
	emit := func(e ccEvent, at int64) {
		e.CallID = id
		s.emit(pipeline.TopicVoiceOutbound, id, e, at)
	}
	dial = max(dial, a.freeAt)
	to := "+1555" + pad3(s.r.IntN(1000)) + pad3(s.r.IntN(1000))
	emit(ccEvent{Event: "dialed", Campaign: "renewals", From: "8005550199", To: to}, dial)
	answer := dial + s.uniform(5*time.Second, 25*time.Second)
	talk := s.uniform(30*time.Second, 6*time.Minute)
	end := answer + talk
	party := &ccParty{Type: "agent", ID: a.id, DN: a.dn}
	emit(ccEvent{Event: "established", Party: party}, answer)
	emit(ccEvent{Event: "disposition", Disp: ccDispositions[s.r.IntN(len(ccDispositions))]}, end)
	emit(ccEvent{Event: "released", Party: &ccParty{Type: "customer"}}, end)
	a.freeAt = end + s.uniform(5*time.Second, 30*time.Second)
	s.truth.Interactions = append(s.truth.Interactions, pipeline.InteractionFact{ID: id, Tenant: s.tenant, Media: "voice", Direction: "outbound",
		Start: pipeline.Millis(dial), End: pipeline.Millis(end), From: "8005550199", Resources: 1, Result: pipeline.ResultCompleted, TalkMs: talk})
	s.truth.Resources = append(s.truth.Resources, pipeline.ResourceFact{InteractionID: id, Tenant: s.tenant, Media: "voice",
		ResourceType: "agent", ResourceID: a.id, DN: a.dn, Role: pipeline.RoleReceived, Start: pipeline.Millis(answer), End: pipeline.Millis(end),
		TalkMs: talk, Result: pipeline.ResultCompleted})
}
