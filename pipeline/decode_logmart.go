package pipeline

// The logmart input schemas, version 1. pipeline/schemas/*.md documents each
// with examples; these structs are the source of truth for field names.

type jsonParty struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	DN   string `json:"dn"`
}

func (c *fieldCheck) party(field string, p *jsonParty, required bool) Party {
	if p == nil {
		if required && c.err == nil {
			c.err = invalid(ReasonSchema, field, "is required")
		}
		return Party{}
	}
	c.oneOf(field+".type", c.required(field+".type", p.Type), PartyAgent, PartyQueue, PartyIVR, PartyRoutingPoint, PartyCustomer, PartyExternal)
	if p.Type != PartyCustomer && p.Type != PartyExternal {
		c.required(field+".id", p.ID)
	}
	return Party{Type: p.Type, ID: c.short(field+".id", p.ID), DN: c.short(field+".dn", p.DN)}
}

// interactionRecord is the body shared by voice-callthread, digital-itx and
// voice-outbound; each topic names its id field and allows its own events.
type interactionRecord struct {
	Version       int        `json:"version"`
	ID            string     `json:"id"`
	Event         string     `json:"event"`
	Time          string     `json:"time"`
	Tenant        string     `json:"tenant"`
	CallID        string     `json:"call_id"`
	InteractionID string     `json:"interaction_id"`
	Media         string     `json:"media"`
	Direction     string     `json:"direction"`
	From          string     `json:"from"`
	To            string     `json:"to"`
	Party         *jsonParty `json:"party"`
	Target        *jsonParty `json:"target"`
	Queue         string     `json:"queue"`
	Consult       bool       `json:"consult"`
	By            string     `json:"by"`
	Campaign      string     `json:"campaign"`
	Disposition   string     `json:"disposition"`
}

// partyEvents need a party; the others concern the whole interaction.
var partyEvents = map[Kind]bool{
	KindQueued: true, KindRinging: true, KindEstablished: true, KindHeld: true,
	KindRetrieved: true, KindTransferred: true, KindConferenced: true, KindRedirected: true,
}

func decodeInteraction(raw []byte, dst []Event, idField string, events map[string]Kind, media string) ([]Event, error) {
	var r interactionRecord
	var party, target jsonParty
	if !scanInteraction(raw, &r, &party, &target) {
		r = interactionRecord{}
		if err := unmarshalStrict(raw, &r); err != nil {
			return dst, err
		}
	}
	var c fieldCheck
	c.version(r.Version, 1)
	id := r.CallID
	if idField == "interaction_id" {
		id = r.InteractionID
	}
	kind, ok := events[r.Event]
	if c.err == nil && !ok {
		if r.Event == "" {
			c.err = invalid(ReasonSchema, "event", "is required")
		} else {
			c.err = invalid(ReasonUnknownEvent, "event", "%q is not an event of this topic", truncate(r.Event, 64))
		}
	}
	e := Event{
		Kind:        kind,
		Time:        c.time("time", r.Time),
		Tenant:      c.required("tenant", r.Tenant),
		ID:          c.short("id", r.ID),
		Interaction: c.required(idField, id),
		Direction:   c.oneOf("direction", c.short("direction", r.Direction), "inbound", "outbound", "internal"),
		From:        c.short("from", r.From),
		To:          c.short("to", r.To),
		Queue:       c.short("queue", r.Queue),
		Consult:     r.Consult,
		By:          c.oneOf("by", r.By, "customer", "agent", "system"),
		Campaign:    c.short("campaign", r.Campaign),
		Disposition: c.short("disposition", r.Disposition),
	}
	e.Media = media
	if media == "" {
		e.Media = c.oneOf("media", c.required("media", r.Media), "chat", "email", "message", "sms", "social")
	} else if r.Media != "" && c.err == nil {
		c.err = invalid(ReasonSchema, "media", "is not a field of this topic (its media is %s)", media)
	}
	e.Party = c.party("party", r.Party, partyEvents[kind])
	e.Target = c.party("target", r.Target, kind == KindTransferred && r.Party == nil)
	if kind == KindQueued && e.Party.Type == "" && r.Queue != "" {
		e.Party = Party{Type: PartyQueue, ID: r.Queue}
	}
	if err := c.result(); err != nil {
		return dst, err
	}
	return append(dst, e), nil
}

var voiceEvents = map[string]Kind{
	"created": KindCreated, "queued": KindQueued, "ringing": KindRinging,
	"established": KindEstablished, "held": KindHeld, "retrieved": KindRetrieved,
	"transferred": KindTransferred, "conferenced": KindConferenced,
	"redirected": KindRedirected, "released": KindReleased, "ended": KindEnded,
}

func decodeVoiceCallthread(raw []byte, dst []Event) ([]Event, error) {
	return decodeInteraction(raw, dst, "call_id", voiceEvents, "voice")
}

var digitalEvents = map[string]Kind{
	"created": KindCreated, "queued": KindQueued, "offered": KindRinging,
	"accepted": KindEstablished, "rejected": KindRedirected,
	"transferred": KindTransferred, "conferenced": KindConferenced,
	"released": KindReleased, "ended": KindEnded,
}

func decodeDigitalITX(raw []byte, dst []Event) ([]Event, error) {
	return decodeInteraction(raw, dst, "interaction_id", digitalEvents, "")
}

var outboundEvents = map[string]Kind{
	"dialed": KindCreated, "ringing": KindRinging, "established": KindEstablished,
	"held": KindHeld, "retrieved": KindRetrieved, "transferred": KindTransferred,
	"released": KindReleased, "ended": KindEnded, "disposition": KindDisposition,
}

func decodeVoiceOutbound(raw []byte, dst []Event) ([]Event, error) {
	n := len(dst)
	out, err := decodeInteraction(raw, dst, "call_id", outboundEvents, "voice")
	if err != nil {
		return out, err
	}
	e := &out[n]
	if e.Kind == KindCreated {
		if e.Direction == "" {
			e.Direction = "outbound"
		}
		if e.Campaign == "" {
			return dst, invalid(ReasonSchema, "campaign", "is required for dialed")
		}
	}
	if e.Kind == KindDisposition && e.Disposition == "" {
		return dst, invalid(ReasonSchema, "disposition", "is required for disposition")
	}
	return out, nil
}

// agentRecord is voice-agentstate and digital-agentstate, version 1.
type agentRecord struct {
	Version       int    `json:"version"`
	ID            string `json:"id"`
	Event         string `json:"event"`
	Time          string `json:"time"`
	Tenant        string `json:"tenant"`
	Agent         string `json:"agent"`
	DN            string `json:"dn"`
	Media         string `json:"media"`
	Reason        string `json:"reason"`
	CallID        string `json:"call_id"`
	InteractionID string `json:"interaction_id"`
}

var agentEvents = map[string]Kind{
	"login": KindLogin, "logout": KindLogout, "ready": KindReady,
	"not_ready": KindNotReady, "busy": KindBusy, "acw": KindACW,
}

func decodeAgent(raw []byte, dst []Event, digital bool) ([]Event, error) {
	var r agentRecord
	if !scanAgent(raw, &r) {
		r = agentRecord{}
		if err := unmarshalStrict(raw, &r); err != nil {
			return dst, err
		}
	}
	var c fieldCheck
	c.version(r.Version, 1)
	kind, ok := agentEvents[r.Event]
	if c.err == nil && !ok {
		if r.Event == "" {
			c.err = invalid(ReasonSchema, "event", "is required")
		} else {
			c.err = invalid(ReasonUnknownEvent, "event", "%q is not an event of this topic", truncate(r.Event, 64))
		}
	}
	e := Event{
		Kind:   kind,
		Time:   c.time("time", r.Time),
		Tenant: c.required("tenant", r.Tenant),
		ID:     c.short("id", r.ID),
		Agent:  c.required("agent", r.Agent),
		Reason: c.short("reason", r.Reason),
	}
	if digital {
		e.Media = c.oneOf("media", c.required("media", r.Media), "chat", "email", "message", "sms", "social")
		e.DN = c.short("dn", r.DN)
		if e.DN == "" {
			e.DN = e.Media
		}
		e.Interaction = c.short("interaction_id", r.InteractionID)
		if r.CallID != "" && c.err == nil {
			c.err = invalid(ReasonSchema, "call_id", "is not a field of digital-agentstate; use interaction_id")
		}
	} else {
		e.Media = "voice"
		e.DN = c.required("dn", r.DN)
		e.Interaction = c.short("call_id", r.CallID)
		if r.Media != "" && c.err == nil {
			c.err = invalid(ReasonSchema, "media", "is not a field of voice-agentstate (its media is voice)")
		}
		if r.InteractionID != "" && c.err == nil {
			c.err = invalid(ReasonSchema, "interaction_id", "is not a field of voice-agentstate; use call_id")
		}
	}
	if err := c.result(); err != nil {
		return dst, err
	}
	return append(dst, e), nil
}

func decodeVoiceAgentState(raw []byte, dst []Event) ([]Event, error) {
	return decodeAgent(raw, dst, false)
}

func decodeDigitalAgentState(raw []byte, dst []Event) ([]Event, error) {
	return decodeAgent(raw, dst, true)
}
