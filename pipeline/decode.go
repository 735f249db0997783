package pipeline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"
)

// Input topics in the logmart schemas, named as in the reference deployment,
// and the adapter topics for public formats.
const (
	TopicVoiceCallthread    = "voice-callthread"
	TopicVoiceAgentState    = "voice-agentstate"
	TopicDigitalITX         = "digital-itx"
	TopicDigitalAgentState  = "digital-agentstate"
	TopicVoiceOutbound      = "voice-outbound"
	TopicConfig             = "gca-cfg"
	TopicConnectAgentEvents = "connect-agent-events"
	TopicConnectContacts    = "connect-contact-events"
	TopicGenesysCloud       = "genesys-cloud-conversations"
)

// maxFieldBytes bounds any one string field of an input record. Ids,
// addresses and reason codes are short; a longer value is a broken or
// hostile producer, and keeping it would let one record bloat state.
const maxFieldBytes = 1024

// decodeFunc turns one record into events appended to dst. Adapters may
// produce several events from one record (a snapshot holds many changes).
type decodeFunc func(raw []byte, dst []Event) ([]Event, error)

// decoders maps each input topic to its schema. A topic missing here is
// not an input of the pipeline.
var decoders = map[string]decodeFunc{
	TopicVoiceCallthread:    decodeVoiceCallthread,
	TopicVoiceAgentState:    decodeVoiceAgentState,
	TopicDigitalITX:         decodeDigitalITX,
	TopicDigitalAgentState:  decodeDigitalAgentState,
	TopicVoiceOutbound:      decodeVoiceOutbound,
	TopicConfig:             decodeConfig,
	TopicConnectAgentEvents: decodeConnectAgentEvent,
	TopicConnectContacts:    decodeConnectContactEvent,
	TopicGenesysCloud:       decodeGenesysCloud,
}

// InputTopics lists every topic the pipeline reads, for the runner's
// subscription and the docs.
func InputTopics() []string {
	return []string{
		TopicVoiceCallthread, TopicVoiceAgentState, TopicDigitalITX, TopicDigitalAgentState,
		TopicVoiceOutbound, TopicConfig, TopicConnectAgentEvents, TopicConnectContacts, TopicGenesysCloud,
	}
}

// Decode reads one record of topic into events appended to dst. A record it
// cannot use returns an *InvalidError; the events of other records are never
// affected.
func Decode(topic string, raw []byte, maxRecordBytes int, dst []Event) ([]Event, error) {
	dec, ok := decoders[topic]
	if !ok {
		return dst, invalid(ReasonUnknownTopic, "", "topic %q is not a pipeline input", topic)
	}
	if maxRecordBytes > 0 && len(raw) > maxRecordBytes {
		return dst, invalid(ReasonTooLarge, "", "record of %d bytes is larger than the %d-byte limit", len(raw), maxRecordBytes)
	}
	n := len(dst)
	out, err := dec(raw, dst)
	if err != nil {
		return dst[:n], err
	}
	for i := n; i < len(out); i++ {
		if out[i].ID == "" {
			out[i].ID = recordHash(raw, i-n)
		}
	}
	return out, nil
}

// recordHash identifies an event without an id of its own by its bytes and
// its place among the record's events, so a redelivered record deduplicates.
func recordHash(raw []byte, i int) string {
	h := fnv.New64a()
	_, _ = h.Write(raw)
	return strconv.FormatUint(h.Sum64(), 36) + "." + strconv.Itoa(i)
}

// unmarshalStrict decodes raw into v, refusing unknown fields and trailing
// data, and turns encoding/json's errors into ones that name the field.
func unmarshalStrict(raw []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return jsonError(err)
	}
	if d.More() {
		return invalid(ReasonBadJSON, "", "data after the JSON object")
	}
	return nil
}

func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field == "" {
			return invalid(ReasonBadJSON, "", "the record must be a JSON object, not a JSON %s", te.Value)
		}
		return invalid(ReasonSchema, te.Field, "must be %s, not a JSON %s", jsonKind(te.Type.Kind().String()), te.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return invalid(ReasonBadJSON, "", "not JSON at byte %d: %v", se.Offset, err)
	}
	if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
		return invalid(ReasonSchema, strings.Trim(strings.TrimPrefix(msg, "json: unknown field "), `"`), "is not a field of this schema version")
	}
	return invalid(ReasonBadJSON, "", "not a JSON object: %v", err)
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "int", "int64", "int32", "float64":
		return "a number"
	case "bool":
		return "true or false"
	case "struct", "map":
		return "an object"
	case "slice":
		return "an array"
	}
	return goKind
}

// fieldCheck collects the first problem of a record's fields, so each
// decoder reads as a list of requirements.
type fieldCheck struct{ err *InvalidError }

func (c *fieldCheck) required(field, v string) string {
	if c.err == nil && v == "" {
		c.err = invalid(ReasonSchema, field, "is required")
	}
	return c.short(field, v)
}

func (c *fieldCheck) short(field, v string) string {
	if c.err == nil && len(v) > maxFieldBytes {
		c.err = invalid(ReasonFieldTooLong, field, "is %d bytes, longer than the %d-byte limit", len(v), maxFieldBytes)
	}
	return v
}

func (c *fieldCheck) oneOf(field, v string, allowed ...string) string {
	if c.err != nil || v == "" {
		return v
	}
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	c.err = invalid(ReasonSchema, field, "is %q, not one of %s", truncate(v, 64), strings.Join(allowed, ", "))
	return v
}

func (c *fieldCheck) time(field, v string) int64 {
	if c.err != nil {
		return 0
	}
	if v == "" {
		c.err = invalid(ReasonSchema, field, "is required")
		return 0
	}
	ms, err := parseTime(v)
	if err != nil {
		c.err = invalid(ReasonBadTime, field, "%v", err)
	}
	return ms
}

func (c *fieldCheck) version(got int, known ...int) {
	if c.err != nil {
		return
	}
	if got == 0 {
		c.err = invalid(ReasonSchema, "version", "is required")
		return
	}
	for _, k := range known {
		if got == k {
			return
		}
	}
	c.err = invalid(ReasonUnknownVersion, "version", "%d is not a known version (known: %v)", got, known)
}

func (c *fieldCheck) result() error {
	if c.err == nil {
		return nil
	}
	return c.err
}

// Event times are accepted from minTime to maxTime; outside, a clock or a
// producer is broken and the record would open partitions decades away.
var (
	minTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	maxTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
)

// parseTime reads an RFC 3339 time with its zone, to Unix milliseconds.
func parseTime(v string) (int64, error) {
	if ms, ok := parseUTCMillis(v); ok && ms >= minTime && ms < maxTime {
		return ms, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return 0, fmt.Errorf("%q is not an RFC 3339 time with a zone", truncate(v, 64))
	}
	ms := t.UnixMilli()
	if ms < minTime || ms >= maxTime {
		return 0, fmt.Errorf("%q is outside the years 2000 to 2199", truncate(v, 64))
	}
	return ms, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

func itoa(i int) string { return strconv.Itoa(i) }
