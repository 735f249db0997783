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
	Type string
	ID   string
	DN   string
}

// Event is one decoded input record, in the one vocabulary the state
// machines read. Times are Unix milliseconds UTC (event time, as the source
// stamped it). Fields a kind does not use stay empty.
type Event struct {
	Kind   Kind
	Time   int64
	Tenant string
	// ID identifies the event for deduplication: the source's event id when
	// it has one, else a hash of the record.
	ID string

	// Interaction fields.
	Interaction string
	Media       string
	Direction   string
	From, To    string
	Party       Party
	Target      Party  // transfer, conference and redirect target
	Queue       string // the queue an agent was offered the interaction from
	Consult     bool   // the party is reached by a consultation
	By          string // who ended the interaction: customer, agent, system
	Campaign    string
	Disposition string
	// WrapupEnd ends a KindWrapup: after-call work reported with the
	// interaction (Genesys Cloud's wrapup segment) rather than as an agent
	// state.
	WrapupEnd int64

	// Agent fields.
	Agent  string
	DN     string
	Reason string

	// Config carries a gca-cfg change; nil for other kinds.
	Config *ConfigChange

	// Where the record came from, for dead letters; seq orders events of
	// equal time by arrival.
	Topic     string
	Partition int32
	Offset    int64
	seq       uint64
}
