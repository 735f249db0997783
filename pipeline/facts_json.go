package pipeline

import (
	"strconv"
	"unicode/utf8"
)

// Fact rows are written as JSON on every transaction (the fact topics)
// and again inside every changed entity's changelog record, so they are
// encoded by hand: encoding/json's reflection was a sixth of the
// pipeline's CPU time in `logmart bench pipeline`. The output is what
// encoding/json writes for the struct tags (TestFactJSONMatchesEncodingJSON),
// but that <, > and & are not escaped.

// MarshalJSON writes the row as one JSONEachRow line of interaction_facts.
func (r InteractionFact) MarshalJSON() ([]byte, error) {
	return r.appendJSON(make([]byte, 0, 512)), nil
}

// MarshalJSON writes the row as one JSONEachRow line of
// interaction_resource_facts.
func (r ResourceFact) MarshalJSON() ([]byte, error) { return r.appendJSON(make([]byte, 0, 512)), nil }

// MarshalJSON writes the row as one JSONEachRow line of agent_state_facts.
func (r AgentStateFact) MarshalJSON() ([]byte, error) { return r.appendJSON(make([]byte, 0, 384)), nil }

// MarshalJSON writes the row as one JSONEachRow line of agent_session_facts.
func (r SessionFact) MarshalJSON() ([]byte, error) { return r.appendJSON(make([]byte, 0, 384)), nil }

func (r InteractionFact) appendJSON(b []byte) []byte {
	b = appendStrField(b, '{', "id", r.ID)
	b = appendStrField(b, ',', "tenant", r.Tenant)
	b = appendStrField(b, ',', "media", r.Media)
	b = appendStrField(b, ',', "direction", r.Direction)
	b = appendTimeField(b, "start", r.Start)
	b = appendTimeField(b, "end", r.End)
	b = appendStrField(b, ',', "source_address", r.From)
	b = appendStrField(b, ',', "target_address", r.To)
	b = appendStrField(b, ',', "first_queue", r.FirstQueue)
	b = appendStrField(b, ',', "result", r.Result)
	b = appendStrField(b, ',', "reason", r.Reason)
	b = appendStrField(b, ',', "campaign", r.Campaign)
	b = appendStrField(b, ',', "disposition", r.Disposition)
	b = appendIntField(b, "resources", int64(r.Resources))
	b = appendIntField(b, "transfers", int64(r.Transfers))
	b = appendIntField(b, "holds", int64(r.Holds))
	b = appendIntField(b, "ring_ms", r.RingMs)
	b = appendIntField(b, "queue_ms", r.QueueMs)
	b = appendIntField(b, "ivr_ms", r.IVRMs)
	b = appendIntField(b, "talk_ms", r.TalkMs)
	b = appendIntField(b, "hold_ms", r.HoldMs)
	b = appendIntField(b, "acw_ms", r.ACWMs)
	return appendTail(b, r.Version, r.Deleted)
}

func (r ResourceFact) appendJSON(b []byte) []byte {
	b = appendStrField(b, '{', "id", r.ID)
	b = appendStrField(b, ',', "interaction_id", r.InteractionID)
	b = appendStrField(b, ',', "tenant", r.Tenant)
	b = appendStrField(b, ',', "media", r.Media)
	b = appendStrField(b, ',', "resource_type", r.ResourceType)
	b = appendStrField(b, ',', "resource_id", r.ResourceID)
	b = appendStrField(b, ',', "resource_key", r.ResourceKey)
	b = appendStrField(b, ',', "resource_name", r.ResourceName)
	b = appendStrField(b, ',', "dn", r.DN)
	b = appendStrField(b, ',', "queue", r.Queue)
	b = appendStrField(b, ',', "role", r.Role)
	b = appendTimeField(b, "start", r.Start)
	b = appendTimeField(b, "end", r.End)
	b = appendIntField(b, "ring_ms", r.RingMs)
	b = appendIntField(b, "queue_ms", r.QueueMs)
	b = appendIntField(b, "ivr_ms", r.IVRMs)
	b = appendIntField(b, "talk_ms", r.TalkMs)
	b = appendIntField(b, "hold_ms", r.HoldMs)
	b = appendIntField(b, "acw_ms", r.ACWMs)
	b = appendStrField(b, ',', "result", r.Result)
	b = appendStrField(b, ',', "reason", r.Reason)
	return appendTail(b, r.Version, r.Deleted)
}

func (r AgentStateFact) appendJSON(b []byte) []byte {
	b = appendStrField(b, '{', "id", r.ID)
	b = appendStrField(b, ',', "tenant", r.Tenant)
	b = appendStrField(b, ',', "agent_id", r.AgentID)
	b = appendStrField(b, ',', "agent_key", r.AgentKey)
	b = appendStrField(b, ',', "agent_name", r.AgentName)
	b = appendStrField(b, ',', "media", r.Media)
	b = appendStrField(b, ',', "state", r.State)
	b = appendStrField(b, ',', "reason", r.Reason)
	b = appendTimeField(b, "start", r.Start)
	b = appendTimeField(b, "end", r.End)
	b = appendIntField(b, "duration_ms", r.DurationMs)
	b = appendStrField(b, ',', "closed", r.Closed)
	return appendTail(b, r.Version, r.Deleted)
}

func (r SessionFact) appendJSON(b []byte) []byte {
	b = appendStrField(b, '{', "id", r.ID)
	b = appendStrField(b, ',', "tenant", r.Tenant)
	b = appendStrField(b, ',', "agent_id", r.AgentID)
	b = appendStrField(b, ',', "agent_key", r.AgentKey)
	b = appendStrField(b, ',', "agent_name", r.AgentName)
	b = appendStrField(b, ',', "media", r.Media)
	b = appendTimeField(b, "start", r.Start)
	b = appendTimeField(b, "end", r.End)
	b = appendIntField(b, "duration_ms", r.DurationMs)
	b = appendIntField(b, "dns", int64(r.DNs))
	b = appendStrField(b, ',', "closed", r.Closed)
	return appendTail(b, r.Version, r.Deleted)
}

// appendRowJSON appends a fact row's JSON; false for a value that is not a
// fact row.
func appendRowJSON(b []byte, row any) ([]byte, bool) {
	switch r := row.(type) {
	case InteractionFact:
		return r.appendJSON(b), true
	case ResourceFact:
		return r.appendJSON(b), true
	case AgentStateFact:
		return r.appendJSON(b), true
	case SessionFact:
		return r.appendJSON(b), true
	}
	return b, false
}

func appendTail(b []byte, version uint64, deleted uint8) []byte {
	b = append(b, `,"version":`...)
	b = strconv.AppendUint(b, version, 10)
	b = append(b, `,"deleted":`...)
	b = strconv.AppendUint(b, uint64(deleted), 10)
	return append(b, '}')
}

func appendStrField(b []byte, sep byte, name, v string) []byte {
	b = append(b, sep, '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return appendJSONString(b, v)
}

func appendIntField(b []byte, name string, v int64) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return strconv.AppendInt(b, v, 10)
}

// appendTimeField writes a Millis as Millis.MarshalJSON does: the
// ClickHouse DateTime64(3) text, or null for zero.
func appendTimeField(b []byte, name string, m Millis) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	if m == 0 {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = appendMillis(b, m)
	return append(b, '"')
}

// appendMillis appends "2006-01-02 15:04:05.000" in UTC without going
// through time.Format's layout parser.
func appendMillis(b []byte, m Millis) []byte {
	ms := int64(m)
	days, rem := floorDiv(ms, 86_400_000)
	y, mo, d := civil(days)
	b = appendPad(b, int64(y), 4)
	b = append(b, '-')
	b = appendPad(b, int64(mo), 2)
	b = append(b, '-')
	b = appendPad(b, int64(d), 2)
	b = append(b, ' ')
	b = appendPad(b, rem/3_600_000, 2)
	b = append(b, ':')
	b = appendPad(b, rem/60_000%60, 2)
	b = append(b, ':')
	b = appendPad(b, rem/1000%60, 2)
	b = append(b, '.')
	return appendPad(b, rem%1000, 3)
}

func floorDiv(a, b int64) (int64, int64) {
	q, r := a/b, a%b
	if r < 0 {
		q, r = q-1, r+b
	}
	return q, r
}

// civil converts days since 1970-01-01 to a proleptic Gregorian date
// (Howard Hinnant's days_from_civil inverse).
func civil(z int64) (y, m, d int64) {
	z += 719468
	era, _ := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = mp + 3
	} else {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

func appendPad(b []byte, v int64, width int) []byte {
	var buf [20]byte
	s := strconv.AppendInt(buf[:0], v, 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped, invalid UTF-8 replaced by U+FFFD, and U+2028
// and U+2029 escaped, as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
