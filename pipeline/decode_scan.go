package pipeline

import (
	"time"
	"unicode/utf8"
)

// A hand-written reader for the logmart schemas' records, which are flat
// objects of short strings (and a party object or two). It is the fast path
// of decodeInteraction and decodeAgent: it accepts only what encoding/json
// with DisallowUnknownFields decodes to the same struct, and gives up on
// anything else (an unknown, misspelled, repeated or escaped key, an escape
// in a value, null, a number that is not a plain integer, invalid UTF-8,
// data after the object), so the record is read again by unmarshalStrict,
// whose errors name the field. Values are substrings of one copy of the
// record: a record costs one string, not one per field.
//
// Before it, encoding/json's reflection and the allocations of its decoder
// were the largest cost of a valid record in bench pipeline.

type scanner struct {
	s string
	i int
}

func (sc *scanner) ws() {
	for sc.i < len(sc.s) {
		switch sc.s[sc.i] {
		case ' ', '\t', '\n', '\r':
			sc.i++
		default:
			return
		}
	}
}

// lit consumes b after whitespace.
func (sc *scanner) lit(b byte) bool {
	sc.ws()
	if sc.i < len(sc.s) && sc.s[sc.i] == b {
		sc.i++
		return true
	}
	return false
}

// str reads a string without escapes; non-ASCII text must be valid UTF-8
// (encoding/json would replace invalid bytes, so those take the slow path).
func (sc *scanner) str() (string, bool) {
	sc.ws()
	if sc.i >= len(sc.s) || sc.s[sc.i] != '"' {
		return "", false
	}
	ascii := true
	for j := sc.i + 1; j < len(sc.s); j++ {
		switch c := sc.s[j]; {
		case c == '"':
			v := sc.s[sc.i+1 : j]
			if !ascii && !utf8.ValidString(v) {
				return "", false
			}
			sc.i = j + 1
			return v, true
		case c == '\\' || c < 0x20:
			return "", false
		case c >= 0x80:
			ascii = false
		}
	}
	return "", false
}

// int reads a positive integer of at most 9 digits.
func (sc *scanner) int() (int, bool) {
	sc.ws()
	n, j := 0, sc.i
	for j < len(sc.s) && j-sc.i < 10 && sc.s[j] >= '0' && sc.s[j] <= '9' {
		n = n*10 + int(sc.s[j]-'0')
		j++
	}
	if j == sc.i || j-sc.i > 9 || (sc.s[sc.i] == '0' && j-sc.i > 1) {
		return 0, false
	}
	if j < len(sc.s) {
		switch sc.s[j] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	sc.i = j
	return n, true
}

func (sc *scanner) bool() (bool, bool) {
	sc.ws()
	switch {
	case len(sc.s)-sc.i >= 4 && sc.s[sc.i:sc.i+4] == "true":
		sc.i += 4
		return true, true
	case len(sc.s)-sc.i >= 5 && sc.s[sc.i:sc.i+5] == "false":
		sc.i += 5
		return false, true
	}
	return false, false
}

// object reads an object, calling field for each key (positioned at its
// value); field reads the value and says whether it could.
func (sc *scanner) object(field func(key string) bool) bool {
	if !sc.lit('{') {
		return false
	}
	if sc.lit('}') {
		return true
	}
	for {
		k, ok := sc.str()
		if !ok || !sc.lit(':') || !field(k) {
			return false
		}
		if sc.lit(',') {
			continue
		}
		return sc.lit('}')
	}
}

// end says whether only whitespace follows.
func (sc *scanner) end() bool {
	sc.ws()
	return sc.i == len(sc.s)
}

// once marks bit in seen and says whether it was clear: a repeated key
// takes the slow path, where encoding/json's rules for repeats apply.
func once(seen *uint32, bit uint) bool {
	if *seen&(1<<bit) != 0 {
		return false
	}
	*seen |= 1 << bit
	return true
}

func (sc *scanner) party(p *jsonParty) bool {
	var seen uint32
	return sc.object(func(k string) bool {
		var ok bool
		switch k {
		case "type":
			p.Type, ok = sc.str()
			return ok && once(&seen, 0)
		case "id":
			p.ID, ok = sc.str()
			return ok && once(&seen, 1)
		case "dn":
			p.DN, ok = sc.str()
			return ok && once(&seen, 2)
		}
		return false
	})
}

// scanInteraction reads raw into r, or says it cannot (r is then partly
// filled and must be read again from zero).
func scanInteraction(raw []byte, r *interactionRecord, party, target *jsonParty) bool {
	sc := scanner{s: string(raw)}
	var seen uint32
	ok := sc.object(func(k string) bool {
		var ok bool
		switch k {
		case "version":
			r.Version, ok = sc.int()
			return ok && once(&seen, 0)
		case "id":
			r.ID, ok = sc.str()
			return ok && once(&seen, 1)
		case "event":
			r.Event, ok = sc.str()
			return ok && once(&seen, 2)
		case "time":
			r.Time, ok = sc.str()
			return ok && once(&seen, 3)
		case "tenant":
			r.Tenant, ok = sc.str()
			return ok && once(&seen, 4)
		case "call_id":
			r.CallID, ok = sc.str()
			return ok && once(&seen, 5)
		case "interaction_id":
			r.InteractionID, ok = sc.str()
			return ok && once(&seen, 6)
		case "media":
			r.Media, ok = sc.str()
			return ok && once(&seen, 7)
		case "direction":
			r.Direction, ok = sc.str()
			return ok && once(&seen, 8)
		case "from":
			r.From, ok = sc.str()
			return ok && once(&seen, 9)
		case "to":
			r.To, ok = sc.str()
			return ok && once(&seen, 10)
		case "party":
			r.Party = party
			return once(&seen, 11) && sc.party(party)
		case "target":
			r.Target = target
			return once(&seen, 12) && sc.party(target)
		case "queue":
			r.Queue, ok = sc.str()
			return ok && once(&seen, 13)
		case "consult":
			r.Consult, ok = sc.bool()
			return ok && once(&seen, 14)
		case "by":
			r.By, ok = sc.str()
			return ok && once(&seen, 15)
		case "campaign":
			r.Campaign, ok = sc.str()
			return ok && once(&seen, 16)
		case "disposition":
			r.Disposition, ok = sc.str()
			return ok && once(&seen, 17)
		}
		return false
	})
	return ok && sc.end()
}

// scanAgent is scanInteraction for agentRecord.
func scanAgent(raw []byte, r *agentRecord) bool {
	sc := scanner{s: string(raw)}
	var seen uint32
	ok := sc.object(func(k string) bool {
		var ok bool
		switch k {
		case "version":
			r.Version, ok = sc.int()
			return ok && once(&seen, 0)
		case "id":
			r.ID, ok = sc.str()
			return ok && once(&seen, 1)
		case "event":
			r.Event, ok = sc.str()
			return ok && once(&seen, 2)
		case "time":
			r.Time, ok = sc.str()
			return ok && once(&seen, 3)
		case "tenant":
			r.Tenant, ok = sc.str()
			return ok && once(&seen, 4)
		case "agent":
			r.Agent, ok = sc.str()
			return ok && once(&seen, 5)
		case "dn":
			r.DN, ok = sc.str()
			return ok && once(&seen, 6)
		case "media":
			r.Media, ok = sc.str()
			return ok && once(&seen, 7)
		case "reason":
			r.Reason, ok = sc.str()
			return ok && once(&seen, 8)
		case "call_id":
			r.CallID, ok = sc.str()
			return ok && once(&seen, 9)
		case "interaction_id":
			r.InteractionID, ok = sc.str()
			return ok && once(&seen, 10)
		}
		return false
	})
	return ok && sc.end()
}

// parseUTCMillis reads the common form of an event time,
// YYYY-MM-DDTHH:MM:SS[.fraction]Z, without time.Parse; any other form (an
// offset, a lower-case z, a value out of range) says no and parseTime
// reads it.
func parseUTCMillis(v string) (int64, bool) {
	if len(v) < 20 || v[len(v)-1] != 'Z' || v[4] != '-' || v[7] != '-' || v[10] != 'T' || v[13] != ':' || v[16] != ':' {
		return 0, false
	}
	num := func(s string) (int, bool) {
		n := 0
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return 0, false
			}
			n = n*10 + int(s[i]-'0')
		}
		return n, true
	}
	year, ok1 := num(v[0:4])
	month, ok2 := num(v[5:7])
	day, ok3 := num(v[8:10])
	hour, ok4 := num(v[11:13])
	minute, ok5 := num(v[14:16])
	sec, ok6 := num(v[17:19])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || sec > 59 {
		return 0, false
	}
	if day > daysIn(time.Month(month), year) {
		return 0, false
	}
	ms := 0
	if frac := v[19 : len(v)-1]; frac != "" {
		if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 {
			return 0, false
		}
		for i := 1; i < len(frac); i++ {
			c := frac[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			if i <= 3 {
				ms = ms*10 + int(c-'0')
			}
		}
		for i := len(frac); i <= 3; i++ {
			ms *= 10
		}
	}
	days := daysFromCivil(year, month, day)
	return ((days*24+int64(hour))*60+int64(minute))*60000 + int64(sec)*1000 + int64(ms), true
}

func daysIn(m time.Month, year int) int {
	switch m {
	case time.February:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// daysFromCivil is the number of days from 1970-01-01 to the date
// (Howard Hinnant's algorithm), for years from 0 on.
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}
