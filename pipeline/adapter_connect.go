package pipeline

import (
	"encoding/json"
	"strings"
)

// Amazon Connect adapters. The agent event stream (Kinesis, topic
// connect-agent-events) carries, for every change, the agent's previous and
// current snapshot: status and contacts with their states. The contact
// events (EventBridge "Amazon Connect Contact Event", topic
// connect-contact-events) carry one contact's lifecycle. Both decode
// without state of their own: a snapshot says everything it implies, and
// the implied events get ids from what they say (contact, kind, time), so
// the same fact arriving from several records is one event.
//
// The agent is the id at the end of its ARN; the tenant is the Connect
// instance id. A snapshot's configuration (username, names) configures the
// agent, so Connect agents never carry placeholder keys.

type connectAgentRecord struct {
	AgentARN              string           `json:"AgentARN"`
	EventID               string           `json:"EventId"`
	EventTimestamp        string           `json:"EventTimestamp"`
	EventType             string           `json:"EventType"`
	InstanceARN           string           `json:"InstanceARN"`
	Version               string           `json:"Version"`
	CurrentAgentSnapshot  *connectSnapshot `json:"CurrentAgentSnapshot"`
	PreviousAgentSnapshot *connectSnapshot `json:"PreviousAgentSnapshot"`
}

type connectSnapshot struct {
	AgentStatus struct {
		ARN            string `json:"ARN"`
		Name           string `json:"Name"`
		StartTimestamp string `json:"StartTimestamp"`
		Type           string `json:"Type"`
	} `json:"AgentStatus"`
	Configuration struct {
		FirstName      string `json:"FirstName"`
		LastName       string `json:"LastName"`
		Username       string `json:"Username"`
		RoutingProfile struct {
			Concurrency []struct {
				Channel string `json:"Channel"`
			} `json:"Concurrency"`
		} `json:"RoutingProfile"`
	} `json:"Configuration"`
	Contacts []connectContact `json:"Contacts"`
}

type connectContact struct {
	Channel                   string `json:"Channel"`
	ConnectedToAgentTimestamp string `json:"ConnectedToAgentTimestamp"`
	ContactID                 string `json:"ContactId"`
	InitialContactID          string `json:"InitialContactId"`
	InitiationMethod          string `json:"InitiationMethod"`
	Queue                     struct {
		ARN  string `json:"ARN"`
		Name string `json:"Name"`
	} `json:"Queue"`
	QueueTimestamp      string `json:"QueueTimestamp"`
	State               string `json:"State"`
	StateStartTimestamp string `json:"StateStartTimestamp"`
}

// arnID is the last path element of an ARN: an agent's, queue's or
// instance's id.
func arnID(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

func unmarshalLoose(raw []byte, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return jsonError(err)
	}
	return nil
}

// connectTime reads an optional Connect timestamp, naming the field when
// it is present and wrong.
func (c *fieldCheck) optTime(field, v string) int64 {
	if v == "" || c.err != nil {
		return 0
	}
	return c.time(field, v)
}

func decodeConnectAgentEvent(raw []byte, dst []Event) ([]Event, error) {
	var r connectAgentRecord
	if err := unmarshalLoose(raw, &r); err != nil {
		return dst, err
	}
	var c fieldCheck
	c.oneOf("EventType", c.required("EventType", r.EventType), "STATE_CHANGE", "HEART_BEAT", "LOGIN", "LOGOUT")
	at := c.time("EventTimestamp", r.EventTimestamp)
	agentID := arnID(c.required("AgentARN", r.AgentARN))
	tenant := arnID(c.required("InstanceARN", r.InstanceARN))
	c.short("EventId", r.EventID)
	if err := c.result(); err != nil {
		return dst, err
	}
	base := Event{Tenant: tenant, Agent: agentID}
	cur, prev := r.CurrentAgentSnapshot, r.PreviousAgentSnapshot
	if cur != nil {
		if u := cur.Configuration.Username; u != "" {
			name := strings.TrimSpace(cur.Configuration.FirstName + " " + cur.Configuration.LastName)
			if name == "" {
				name = u
			}
			dst = append(dst, Event{Kind: KindConfig, Time: at, Tenant: tenant, ID: r.EventID + "/cfg",
				Config: &ConfigChange{Op: "upsert", Tenant: tenant, Objects: []ConfigObject{{Kind: CfgAgent, ID: agentID, Name: name, Logins: []string{u, r.AgentARN}}}}})
		}
	}
	channels := connectChannels(cur, prev)
	switch r.EventType {
	case "LOGOUT":
		for _, ch := range channels {
			e := base
			e.Kind, e.Time, e.DN, e.Media, e.ID = KindLogout, at, ch, ch, r.EventID+"/"+ch
			dst = append(dst, e)
		}
		return dst, nil
	case "LOGIN":
		for _, ch := range channels {
			e := base
			e.Kind, e.Time, e.DN, e.Media, e.ID = KindLogin, at, ch, ch, r.EventID+"/login/"+ch
			dst = append(dst, e)
		}
	}
	if cur == nil {
		if r.EventType == "LOGIN" {
			return dst, nil
		}
		return dst, invalid(ReasonSchema, "CurrentAgentSnapshot", "is required for %s", r.EventType)
	}
	var err error
	if prev != nil {
		if dst, err = connectContactEvents(dst, tenant, agentID, "PreviousAgentSnapshot", prev, nil); err != nil {
			return dst, err
		}
	}
	if dst, err = connectContactEvents(dst, tenant, agentID, "CurrentAgentSnapshot", cur, prev); err != nil {
		return dst, err
	}
	for _, ch := range channels {
		// The previous snapshot says what the agent was doing on a contact
		// when the stream starts mid-contact (the first record read is
		// often a contact's end); the event is the one the record before
		// gave, under the same id, when that record was read too.
		if prev != nil {
			before, beforeStart, err := connectAgentState(prev, ch, "PreviousAgentSnapshot")
			if err != nil {
				return dst, err
			}
			if before.fromContact && beforeStart != 0 {
				e := base
				e.Kind, e.Time, e.DN, e.Media, e.Reason, e.Interaction = before.kind, beforeStart, ch, ch, before.reason, before.contact
				e.ID = "state/" + ch + "/" + e.Kind.String() + "/" + before.reason + "/" + before.contact + "/" + msString(beforeStart)
				dst = append(dst, e)
			}
		}
		now, nowStart, err := connectAgentState(cur, ch, "CurrentAgentSnapshot")
		if err != nil {
			return dst, err
		}
		// A state from a contact starts with the contact's state; a status
		// starts at its own start, but for the state after a contact is
		// cleared (the end of after-contact work), which starts now.
		t := nowStart
		if prev != nil && !now.fromContact {
			before, _, err := connectAgentState(prev, ch, "PreviousAgentSnapshot")
			if err != nil {
				return dst, err
			}
			if before.fromContact {
				t = at
			}
		}
		if t == 0 {
			t = at
		}
		e := base
		e.Kind, e.Time, e.DN, e.Media, e.Reason, e.Interaction = now.kind, t, ch, ch, now.reason, now.contact
		e.ID = "state/" + ch + "/" + e.Kind.String() + "/" + now.reason + "/" + now.contact + "/" + msString(t)
		dst = append(dst, e)
	}
	return dst, nil
}

// connectChannels lists the channels of the agent's routing profile, or of
// its contacts, in lower case: each is one DN of the agent.
func connectChannels(snaps ...*connectSnapshot) []string {
	seen := map[string]bool{}
	var out []string
	add := func(ch string) {
		ch = strings.ToLower(ch)
		if ch != "" && !seen[ch] {
			seen[ch] = true
			out = append(out, ch)
		}
	}
	for _, s := range snaps {
		if s == nil {
			continue
		}
		for _, c := range s.Configuration.RoutingProfile.Concurrency {
			add(c.Channel)
		}
		for _, c := range s.Contacts {
			add(c.Channel)
		}
	}
	if len(out) == 0 {
		add("voice")
	}
	return out
}

type connectState struct {
	kind        Kind
	reason      string
	contact     string
	fromContact bool
	statusStart int64
}

// connectAgentState is the agent's state on one channel in a snapshot: on
// a contact (busy), in after-contact work on an ended contact (acw), else
// its status: routable is ready, custom is not ready with the status name
// as reason, offline is logged out (reported as not_ready "Offline" until
// the LOGOUT event).
func connectAgentState(s *connectSnapshot, channel, field string) (connectState, int64, error) {
	var c fieldCheck
	statusStart := c.optTime(field+".AgentStatus.StartTimestamp", s.AgentStatus.StartTimestamp)
	var best connectState
	var bestStart int64
	for i, ct := range s.Contacts {
		if strings.ToLower(ct.Channel) != channel {
			continue
		}
		start := c.optTime(field+".Contacts["+itoa(i)+"].StateStartTimestamp", ct.StateStartTimestamp)
		switch ct.State {
		case "INCOMING", "PENDING", "CONNECTING", "CONNECTED", "CONNECTED_ONHOLD", "PAUSED":
			if best.kind != KindBusy || start < bestStart {
				best, bestStart = connectState{kind: KindBusy, contact: ct.ContactID, fromContact: true}, start
			}
		case "ENDED":
			if best.kind == 0 || best.kind == KindACW && start > bestStart {
				best, bestStart = connectState{kind: KindACW, contact: ct.ContactID, fromContact: true}, start
			}
		}
	}
	if err := c.result(); err != nil {
		return connectState{}, 0, err
	}
	if best.kind != 0 {
		if best.kind == KindBusy {
			best.contact = "" // busy spans the contacts of the channel
		}
		best.statusStart = statusStart
		return best, bestStart, nil
	}
	st := connectState{statusStart: statusStart}
	typ := s.AgentStatus.Type
	if typ == "" {
		// Records written before AgentStatus had a Type (the
		// documentation's own examples among them) name the status only:
		// the built-in statuses are Available (routable) and Offline.
		switch s.AgentStatus.Name {
		case "Available":
			typ = "ROUTABLE"
		case "Offline":
			typ = "OFFLINE"
		}
	}
	switch typ {
	case "ROUTABLE":
		st.kind = KindReady
	case "OFFLINE":
		st.kind, st.reason = KindNotReady, "Offline"
	default:
		st.kind, st.reason = KindNotReady, s.AgentStatus.Name
	}
	return st, statusStart, nil
}

// connectContactEvents turns the contacts of a snapshot into interaction
// events: every state implies the ones before it (a connected contact was
// created, queued if it has a queue time, and answered).
func connectContactEvents(dst []Event, tenant, agentID, field string, s, prev *connectSnapshot) ([]Event, error) {
	prevState := map[string]string{}
	if prev != nil {
		for _, ct := range prev.Contacts {
			prevState[ct.ContactID] = ct.State
		}
	}
	for i, ct := range s.Contacts {
		f := field + ".Contacts[" + itoa(i) + "]"
		var c fieldCheck
		id := c.required(f+".ContactId", ct.ContactID)
		stateStart := c.time(f+".StateStartTimestamp", ct.StateStartTimestamp)
		queued := c.optTime(f+".QueueTimestamp", ct.QueueTimestamp)
		connected := c.optTime(f+".ConnectedToAgentTimestamp", ct.ConnectedToAgentTimestamp)
		if err := c.result(); err != nil {
			return dst, err
		}
		media := strings.ToLower(ct.Channel)
		if media == "" {
			media = "voice"
		}
		agentParty := Party{Type: PartyAgent, ID: agentID, DN: media}
		queue := arnID(ct.Queue.ARN)
		if queue == "" {
			queue = ct.Queue.Name
		}
		add := func(k Kind, t int64, p Party) {
			e := Event{Kind: k, Time: t, Tenant: tenant, Interaction: id, Media: media, Party: p, Queue: queue}
			e.ID = "connect/" + id + "/" + k.String() + "/" + p.ID + "/" + msString(t)
			if k == KindCreated {
				e.ID = "connect/" + id + "/created"
				e.Direction = "inbound"
				if ct.InitiationMethod == "OUTBOUND" {
					e.Direction = "outbound"
				}
			}
			dst = append(dst, e)
		}
		created := stateStart
		for _, t := range []int64{queued, connected} {
			if t != 0 && t < created {
				created = t
			}
		}
		add(KindCreated, created, Party{})
		if queued != 0 && queue != "" {
			add(KindQueued, queued, Party{Type: PartyQueue, ID: queue})
		}
		if connected != 0 {
			add(KindEstablished, connected, agentParty)
		}
		switch ct.State {
		case "INCOMING", "PENDING", "CONNECTING":
			add(KindRinging, stateStart, agentParty)
		case "CONNECTED":
			if prevState[id] == "CONNECTED_ONHOLD" {
				add(KindRetrieved, stateStart, agentParty)
			} else if connected == 0 {
				add(KindEstablished, stateStart, agentParty)
			}
		case "CONNECTED_ONHOLD":
			add(KindHeld, stateStart, agentParty)
		case "MISSED", "REJECTED", "ERROR":
			if p := prevState[id]; p == "CONNECTING" || p == "INCOMING" || p == "PENDING" {
				e := Event{Kind: KindRedirected, Time: stateStart, Tenant: tenant, Interaction: id, Media: media, Party: agentParty, Reason: strings.ToLower(ct.State)}
				e.ID = "connect/" + id + "/redirected/" + agentID + "/" + msString(stateStart)
				dst = append(dst, e)
			}
		case "ENDED":
			if connected != 0 || prevState[id] == "CONNECTED" || prevState[id] == "CONNECTED_ONHOLD" {
				add(KindReleased, stateStart, agentParty)
			} else {
				add(KindReleased, stateStart, Party{Type: PartyCustomer})
			}
		}
	}
	return dst, nil
}

// connectContactEvent is EventBridge's "Amazon Connect Contact Event".
type connectContactEvent struct {
	ID         string `json:"id"`
	DetailType string `json:"detail-type"`
	Time       string `json:"time"`
	Detail     *struct {
		EventType           string `json:"eventType"`
		ContactID           string `json:"contactId"`
		Channel             string `json:"channel"`
		InstanceARN         string `json:"instanceArn"`
		InitiationMethod    string `json:"initiationMethod"`
		InitiationTimestamp string `json:"initiationTimestamp"`
		DisconnectTimestamp string `json:"disconnectTimestamp"`
		DisconnectReason    string `json:"disconnectReason"`
		QueueInfo           *struct {
			QueueARN         string `json:"queueArn"`
			EnqueueTimestamp string `json:"enqueueTimestamp"`
		} `json:"queueInfo"`
		AgentInfo *struct {
			AgentARN                  string `json:"agentArn"`
			ConnectedToAgentTimestamp string `json:"connectedToAgentTimestamp"`
		} `json:"agentInfo"`
		CustomerEndpoint *struct {
			Address string `json:"address"`
		} `json:"customerEndpoint"`
		SystemEndpoint *struct {
			Address string `json:"address"`
		} `json:"systemEndpoint"`
	} `json:"detail"`
}

// connectDisconnectBy maps Connect's disconnect reason to who ended the
// contact.
var connectDisconnectBy = map[string]string{
	"CUSTOMER_DISCONNECT": "customer", "AGENT_DISCONNECT": "agent",
	"THIRD_PARTY_DISCONNECT": "agent", "CONTACT_FLOW_DISCONNECT": "system",
	"TELECOM_PROBLEM": "system", "EXPIRED": "system", "OTHER": "system",
}

func decodeConnectContactEvent(raw []byte, dst []Event) ([]Event, error) {
	var r connectContactEvent
	if err := unmarshalLoose(raw, &r); err != nil {
		return dst, err
	}
	var c fieldCheck
	if r.Detail == nil {
		return dst, invalid(ReasonSchema, "detail", "is required")
	}
	d := r.Detail
	c.required("detail.eventType", d.EventType)
	id := c.required("detail.contactId", d.ContactID)
	tenant := arnID(c.required("detail.instanceArn", d.InstanceARN))
	initiated := c.time("detail.initiationTimestamp", d.InitiationTimestamp)
	disconnected := c.optTime("detail.disconnectTimestamp", d.DisconnectTimestamp)
	var queue string
	var queued int64
	if d.QueueInfo != nil {
		queue = arnID(d.QueueInfo.QueueARN)
		queued = c.optTime("detail.queueInfo.enqueueTimestamp", d.QueueInfo.EnqueueTimestamp)
	}
	var agentID string
	var connected int64
	if d.AgentInfo != nil {
		agentID = arnID(d.AgentInfo.AgentARN)
		connected = c.optTime("detail.agentInfo.connectedToAgentTimestamp", d.AgentInfo.ConnectedToAgentTimestamp)
	}
	if err := c.result(); err != nil {
		return dst, err
	}
	media := strings.ToLower(d.Channel)
	if media == "" {
		media = "voice"
	}
	add := func(k Kind, t int64, p Party) *Event {
		e := Event{Kind: k, Time: t, Tenant: tenant, Interaction: id, Media: media, Party: p, Queue: queue}
		e.ID = "connect/" + id + "/" + k.String() + "/" + p.ID + "/" + msString(t)
		dst = append(dst, e)
		return &dst[len(dst)-1]
	}
	cr := add(KindCreated, initiated, Party{})
	cr.ID = "connect/" + id + "/created"
	cr.Direction = "inbound"
	if d.InitiationMethod == "OUTBOUND" {
		cr.Direction = "outbound"
	}
	if d.CustomerEndpoint != nil {
		cr.From = d.CustomerEndpoint.Address
	}
	if d.SystemEndpoint != nil {
		cr.To = d.SystemEndpoint.Address
	}
	if cr.Direction == "outbound" {
		cr.From, cr.To = cr.To, cr.From
	}
	if queued != 0 && queue != "" {
		add(KindQueued, queued, Party{Type: PartyQueue, ID: queue})
	}
	if connected != 0 && agentID != "" {
		add(KindEstablished, connected, Party{Type: PartyAgent, ID: agentID, DN: media})
	}
	if disconnected != 0 {
		by := connectDisconnectBy[d.DisconnectReason]
		if by == "" {
			by = "customer"
		}
		e := add(KindEnded, disconnected, Party{})
		e.By = by
	}
	return dst, nil
}
