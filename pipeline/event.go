package pipeline

// Kind is what an event says happened. Every input schema and adapter
// decodes to these kinds, so the state machines know one vocabulary.
type Kind uint8

// Interaction kinds move one party of an interaction; agent kinds move one
// DN (or channel) of an agent; KindConfig carries configuration.
const (
	KindCreated Kind = iota + 1
	KindQueued
	KindRinging
	KindEstablished
	KindHeld
	KindRetrieved
	KindTransferred
	KindConferenced
	KindRedirected
	KindReleased
	KindEnded
	KindDisposition
	KindWrapup

	KindLogin
	KindLogout
	KindReady
	KindNotReady
	KindBusy
	KindACW

	KindConfig
)

var kindNames = [...]string{
	KindCreated: "created", KindQueued: "queued", KindRinging: "ringing",
	KindEstablished: "established", KindHeld: "held", KindRetrieved: "retrieved",
	KindTransferred: "transferred", KindConferenced: "conferenced",
	KindRedirected: "redirected", KindReleased: "released", KindEnded: "ended",
	KindDisposition: "disposition", KindWrapup: "wrapup",
	KindLogin: "login", KindLogout: "logout", KindReady: "ready",
	KindNotReady: "not_ready", KindBusy: "busy", KindACW: "acw",
	KindConfig: "config",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "unknown"
}

// isAgentKind reports whether the event belongs to an agent's state machine
// rather than an interaction's.
func (k Kind) isAgentKind() bool { return k >= KindLogin && k <= KindACW }

// Party types: who or what takes part in an interaction. Agents, queues,
// IVRs and routing points get resource facts; customers do not.
const (
	PartyAgent        = "agent"
	PartyQueue        = "queue"
	PartyIVR          = "ivr"
	PartyRoutingPoint = "routing_point"
	PartyCustomer     = "customer"
	PartyExternal     = "external"
)

// Party is one participant named by an event.
type Party struct {
	Type string `json:"type,omitempty"`
	ID   string `json:"id,omitempty"`
	DN   string `json:"dn,omitempty"`
}

// Event is one decoded input record, in the one vocabulary the state
// machines read. Times are Unix milliseconds UTC (event time, as the source
// stamped it). Fields a kind does not use stay empty.
type Event struct {
	Kind   Kind   `json:"k,omitempty"`
	Time   int64  `json:"t,omitempty"`
	Tenant string `json:"tn,omitempty"`
	// ID identifies the event for deduplication: the source's event id when
	// it has one, else a hash of the record.
	ID string `json:"id,omitempty"`

	// Interaction fields.
	Interaction string `json:"ix,omitempty"`
	Media       string `json:"m,omitempty"`
	Direction   string `json:"dir,omitempty"`
	From        string `json:"from,omitempty"`
	To          string `json:"to,omitempty"`
	Party       Party  `json:"p,omitzero"`
	Target      Party  `json:"tg,omitzero"`  // transfer, conference and redirect target
	Queue       string `json:"q,omitempty"`  // the queue an agent was offered the interaction from
	Consult     bool   `json:"c,omitempty"`  // the party is reached by a consultation
	By          string `json:"by,omitempty"` // who ended the interaction: customer, agent, system
	Campaign    string `json:"cp,omitempty"`
	Disposition string `json:"dp,omitempty"`
	// WrapupEnd ends a KindWrapup: after-call work reported with the
	// interaction (Genesys Cloud's wrapup segment) rather than as an agent
	// state.
	WrapupEnd int64 `json:"we,omitempty"`

	// Agent fields.
	Agent  string `json:"a,omitempty"`
	DN     string `json:"dn,omitempty"`
	Reason string `json:"r,omitempty"`

	// Config carries a gca-cfg change; nil for other kinds.
	Config *ConfigChange `json:"cfg,omitempty"`

	// Where the record came from, for dead letters; seq orders events of
	// equal time by arrival.
	Topic     string `json:"tp,omitempty"`
	Partition int32  `json:"pt,omitempty"`
	Offset    int64  `json:"o,omitempty"`
	seq       uint64
}
