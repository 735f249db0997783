package pipeline

import (
	"sort"
	"strings"
)

// Genesys Cloud adapter (topic genesys-cloud-conversations). It reads two
// shapes, told apart by their fields:
//
//   - analytics conversation detail records (conversationId, participants →
//     sessions → segments), whole or partial: every segment becomes the
//     events it implies, with ids from what they say, so a record sent again
//     as the conversation grows repeats no event;
//   - conversation detail events (topicName v2.detail.events.conversation.
//     {id}.{customer|acd|user}.{start|end} and .acw, eventBody), alone or
//     inside an EventBridge envelope (detail).
//
// Participants map by purpose: customer and external are the caller, ivr
// and workflow the IVR, acd the queue (queueId), agent and user the agent
// (userId). Segments: alert is ringing, interact is talking (or waiting,
// for an acd participant), hold is hold, wrapup is after-call work (the
// acw_ms of the agent's row). A segment's disconnectType says how a party
// left: transfer is a transfer, client or endpoint a release by that
// party, peer the other side leaving; a conversation's end is ended by the
// customer, the agent or the system after the customer's disconnectType.
// The tenant is the conversation's first division id, else "default".

type genesysRecord struct {
	ConversationID       string               `json:"conversationId"`
	ConversationStart    string               `json:"conversationStart"`
	ConversationEnd      string               `json:"conversationEnd"`
	OriginatingDirection string               `json:"originatingDirection"`
	DivisionIDs          []string             `json:"divisionIds"`
	Participants         []genesysParticipant `json:"participants"`

	TopicName string            `json:"topicName"`
	EventBody *genesysEventBody `json:"eventBody"`
	Detail    *struct {
		TopicName string            `json:"topicName"`
		EventBody *genesysEventBody `json:"eventBody"`
	} `json:"detail"`
}

type genesysParticipant struct {
	ParticipantID   string           `json:"participantId"`
	ParticipantName string           `json:"participantName"`
	Purpose         string           `json:"purpose"`
	UserID          string           `json:"userId"`
	Sessions        []genesysSession `json:"sessions"`
}

type genesysSession struct {
	MediaType string           `json:"mediaType"`
	Direction string           `json:"direction"`
	ANI       string           `json:"ani"`
	DNIS      string           `json:"dnis"`
	Segments  []genesysSegment `json:"segments"`
}

type genesysSegment struct {
	SegmentStart   string `json:"segmentStart"`
	SegmentEnd     string `json:"segmentEnd"`
	SegmentType    string `json:"segmentType"`
	QueueID        string `json:"queueId"`
	DisconnectType string `json:"disconnectType"`
	Conference     bool   `json:"conference"`
	WrapUpCode     string `json:"wrapUpCode"`
}

func decodeGenesysCloud(raw []byte, dst []Event) ([]Event, error) {
	var r genesysRecord
	if err := unmarshalLoose(raw, &r); err != nil {
		return dst, err
	}
	switch {
	case r.EventBody != nil:
		return decodeGenesysEvent(r.TopicName, r.EventBody, "", dst)
	case r.Detail != nil && r.Detail.EventBody != nil:
		return decodeGenesysEvent(r.Detail.TopicName, r.Detail.EventBody, "detail.", dst)
	case r.ConversationID != "":
		return decodeGenesysDetail(&r, dst)
	}
	return dst, invalid(ReasonSchema, "conversationId", "is required (or eventBody, for a conversation detail event)")
}

// genesysBy maps the customer's disconnectType to who ended the
// conversation.
func genesysBy(disconnectType string) string {
	switch disconnectType {
	case "endpoint", "client", "":
		return "customer"
	case "peer", "transfer":
		return "agent"
	}
	return "system"
}

func telAddress(s string) string { return strings.TrimPrefix(strings.TrimPrefix(s, "tel:"), "sip:") }

func decodeGenesysDetail(r *genesysRecord, dst []Event) ([]Event, error) {
	var c fieldCheck
	id := c.short("conversationId", r.ConversationID)
	start := c.time("conversationStart", r.ConversationStart)
	end := c.optTime("conversationEnd", r.ConversationEnd)
	tenant := "default"
	if len(r.DivisionIDs) > 0 && r.DivisionIDs[0] != "" {
		tenant = c.short("divisionIds[0]", r.DivisionIDs[0])
	}
	if err := c.result(); err != nil {
		return dst, err
	}
	created := Event{Kind: KindCreated, Time: start, Tenant: tenant, Interaction: id, ID: "gc/" + id + "/created", Direction: strings.ToLower(r.OriginatingDirection)}
	if created.Direction != "inbound" && created.Direction != "outbound" {
		created.Direction = "inbound"
	}
	var body []Event
	endBy := "customer"
	for pi, p := range r.Participants {
		pf := "participants[" + itoa(pi) + "]"
		party := Party{ID: p.ParticipantID}
		switch p.Purpose {
		case "customer", "external":
			party.Type = PartyCustomer
		case "ivr", "workflow":
			party.Type = PartyIVR
			if p.ParticipantName != "" {
				party.ID = p.ParticipantName
			}
		case "acd":
			party.Type = PartyQueue
		case "agent", "user":
			party.Type = PartyAgent
			if p.UserID != "" {
				party.ID = p.UserID
			}
		default:
			continue // voicemail, station and others hold no resource
		}
		for si, s := range p.Sessions {
			sf := pf + ".sessions[" + itoa(si) + "]"
			media := strings.ToLower(s.MediaType)
			if created.Media == "" && media != "" {
				created.Media = media
			}
			if party.Type == PartyCustomer && created.From == "" {
				created.From, created.To = telAddress(s.ANI), telAddress(s.DNIS)
			}
			segs, err := genesysSegments(sf, s.Segments)
			if err != nil {
				return dst, err
			}
			if party.Type == PartyCustomer {
				if n := len(segs); n > 0 && segs[n-1].seg.DisconnectType != "" {
					endBy = genesysBy(segs[n-1].seg.DisconnectType)
				}
				continue
			}
			body = genesysPartyEvents(body, tenant, id, media, party, segs)
		}
	}
	if created.Media == "" {
		created.Media = "voice"
	}
	dst = append(dst, created)
	for _, e := range body {
		if e.Media == "" {
			e.Media = created.Media
		}
		dst = append(dst, e)
	}
	if end != 0 {
		dst = append(dst, Event{Kind: KindEnded, Time: end, Tenant: tenant, Interaction: id, Media: created.Media, By: endBy, ID: "gc/" + id + "/ended"})
	}
	return dst, nil
}

type genesysSeg struct {
	seg        genesysSegment
	start, end int64
}

func genesysSegments(field string, in []genesysSegment) ([]genesysSeg, error) {
	var c fieldCheck
	out := make([]genesysSeg, 0, len(in))
	for i, s := range in {
		f := field + ".segments[" + itoa(i) + "]"
		c.short(f+".segmentType", s.SegmentType)
		c.short(f+".queueId", s.QueueID)
		out = append(out, genesysSeg{seg: s, start: c.time(f+".segmentStart", s.SegmentStart), end: c.optTime(f+".segmentEnd", s.SegmentEnd)})
	}
	if err := c.result(); err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].start < out[j].start })
	return out, nil
}

// genesysPartyEvents turns one resource's segments into events.
func genesysPartyEvents(dst []Event, tenant, id, media string, party Party, segs []genesysSeg) []Event {
	add := func(k Kind, t int64, queue string) *Event {
		e := Event{Kind: k, Time: t, Tenant: tenant, Interaction: id, Media: media, Party: party, Queue: queue}
		e.ID = "gc/" + id + "/" + k.String() + "/" + party.ID + "/" + msString(t)
		dst = append(dst, e)
		return &dst[len(dst)-1]
	}
	connected := false
	for i, s := range segs {
		last := i == len(segs)-1
		switch {
		case party.Type == PartyQueue || party.Type == PartyIVR:
			if i == 0 {
				if party.Type == PartyQueue && s.seg.QueueID != "" {
					party.ID = s.seg.QueueID
				}
				add(KindQueued, s.start, "")
			}
			if last && s.end != 0 && party.Type == PartyIVR {
				add(KindReleased, s.end, "")
			}
			continue
		case s.seg.SegmentType == "alert":
			add(KindRinging, s.start, s.seg.QueueID)
			if s.end != 0 && (last || segs[i+1].seg.SegmentType != "interact") {
				switch s.seg.DisconnectType {
				case "transfer":
					add(KindTransferred, s.end, "")
				case "peer", "endpoint", "":
				default:
					add(KindRedirected, s.end, "").Reason = s.seg.DisconnectType
				}
			}
			continue
		case s.seg.SegmentType == "interact":
			if !connected {
				add(KindEstablished, s.start, s.seg.QueueID)
				connected = true
			} else if i > 0 && segs[i-1].seg.SegmentType == "hold" {
				add(KindRetrieved, s.start, "")
			}
			if s.seg.Conference {
				add(KindConferenced, s.start, "")
			}
		case s.seg.SegmentType == "hold":
			if connected {
				add(KindHeld, s.start, "")
			}
		case s.seg.SegmentType == "wrapup":
			if s.end != 0 {
				add(KindWrapup, s.start, "").WrapupEnd = s.end
			}
			continue
		default:
			continue
		}
		if s.end == 0 {
			continue
		}
		switch s.seg.DisconnectType {
		case "transfer":
			add(KindTransferred, s.end, "")
		case "client", "endpoint":
			add(KindReleased, s.end, "")
		}
	}
	return dst
}

// genesysEventBody is the body of a conversation detail event.
type genesysEventBody struct {
	EventTime             int64  `json:"eventTime"`
	ConversationID        string `json:"conversationId"`
	ParticipantID         string `json:"participantId"`
	MediaType             string `json:"mediaType"`
	Direction             string `json:"direction"`
	ANI                   string `json:"ani"`
	DNIS                  string `json:"dnis"`
	UserID                string `json:"userId"`
	QueueID               string `json:"queueId"`
	DivisionID            string `json:"divisionId"`
	DisconnectType        string `json:"disconnectType"`
	InteractingDurationMs int64  `json:"interactingDurationMs"`
	HeldDurationMs        int64  `json:"heldDurationMs"`
	WrapupDurationMs      int64  `json:"wrapupDurationMs"`
}

func decodeGenesysEvent(topic string, b *genesysEventBody, prefix string, dst []Event) ([]Event, error) {
	var c fieldCheck
	id := c.required(prefix+"eventBody.conversationId", b.ConversationID)
	c.required(prefix+"topicName", topic)
	if c.err == nil && (b.EventTime < minTime || b.EventTime >= maxTime) {
		c.err = invalid(ReasonBadTime, prefix+"eventBody.eventTime", "%d is not milliseconds since 1970 in the years 2000 to 2199", b.EventTime)
	}
	if err := c.result(); err != nil {
		return dst, err
	}
	parts := strings.Split(topic, ".")
	what := parts[len(parts)-1]
	if n := len(parts); n >= 2 && (what == "start" || what == "end") {
		what = parts[n-2] + "." + what
	}
	tenant := b.DivisionID
	if tenant == "" {
		tenant = "default"
	}
	media := strings.ToLower(b.MediaType)
	if media == "" {
		media = "voice"
	}
	t := b.EventTime
	agent := Party{Type: PartyAgent, ID: b.UserID}
	add := func(k Kind, at int64, p Party) *Event {
		e := Event{Kind: k, Time: at, Tenant: tenant, Interaction: id, Media: media, Party: p, Queue: b.QueueID}
		e.ID = "gc/" + id + "/" + k.String() + "/" + p.ID + "/" + msString(at)
		dst = append(dst, e)
		return &dst[len(dst)-1]
	}
	switch what {
	case "customer.start":
		e := add(KindCreated, t, Party{})
		e.ID = "gc/" + id + "/created"
		e.Direction, e.From, e.To = strings.ToLower(b.Direction), telAddress(b.ANI), telAddress(b.DNIS)
		if e.Direction != "outbound" {
			e.Direction = "inbound"
		}
	case "customer.end":
		e := add(KindEnded, t, Party{})
		e.ID, e.By = "gc/"+id+"/ended", genesysBy(b.DisconnectType)
	case "acd.start":
		add(KindQueued, t, Party{Type: PartyQueue, ID: b.QueueID})
	case "acd.end":
	case "user.start":
		add(KindRinging, t, agent)
	case "user.end":
		if b.InteractingDurationMs > 0 {
			add(KindEstablished, t-b.InteractingDurationMs-b.HeldDurationMs, agent)
		}
		switch {
		case b.DisconnectType == "transfer":
			add(KindTransferred, t, agent)
		case b.InteractingDurationMs == 0 && b.DisconnectType != "peer" && b.DisconnectType != "endpoint":
			add(KindRedirected, t, agent).Reason = b.DisconnectType
		case b.DisconnectType == "client" || b.DisconnectType == "endpoint":
			add(KindReleased, t, agent)
		}
	case "acw":
		if b.WrapupDurationMs > 0 {
			add(KindWrapup, t-b.WrapupDurationMs, agent).WrapupEnd = t
		}
	default:
		return dst, invalid(ReasonUnknownEvent, prefix+"topicName", "%q is not a conversation detail event (customer, acd or user start and end, acw)", truncate(topic, 120))
	}
	return dst, nil
}
