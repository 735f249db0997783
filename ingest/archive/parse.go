package archive

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"
)

// ParseLine reads one NDJSON line. Lines as appendLine writes them, keys
// in its order, are read by a scanner of that layout; anything else (a
// line edited by hand, or by another tool) by encoding/json, which took
// half of a rehydration's time on its own.
func ParseLine(b []byte) (Line, error) {
	if l, ok := parseOwn(b); ok {
		return l, nil
	}
	var l Line
	if err := json.Unmarshal(b, &l); err != nil {
		return l, fmt.Errorf("cannot read archived line: %w", err)
	}
	return l, nil
}

// lineScanner walks a line of appendLine's layout; ok turns false at the
// first byte that is not where the layout puts it.
type lineScanner struct {
	b  []byte
	ok bool
}

func (s *lineScanner) lit(p string) {
	if s.ok && bytes.HasPrefix(s.b, []byte(p)) {
		s.b = s.b[len(p):]
		return
	}
	s.ok = false
}

func (s *lineScanner) has(p string) bool {
	return s.ok && bytes.HasPrefix(s.b, []byte(p))
}

// str reads a JSON string, quotes included.
func (s *lineScanner) str() string {
	if !s.ok || len(s.b) == 0 || s.b[0] != '"' {
		s.ok = false
		return ""
	}
	escaped := false
	for i := 1; i < len(s.b); i++ {
		switch s.b[i] {
		case '\\':
			escaped = true
			i++
		case '"':
			raw := s.b[1:i]
			s.b = s.b[i+1:]
			if !escaped {
				if !utf8.Valid(raw) {
					s.ok = false
				}
				return string(raw)
			}
			v, ok := unescape(raw)
			if !ok {
				s.ok = false
			}
			return v
		}
	}
	s.ok = false
	return ""
}

func (s *lineScanner) int() int64 {
	i := 0
	if i < len(s.b) && s.b[i] == '-' {
		i++
	}
	for i < len(s.b) && s.b[i] >= '0' && s.b[i] <= '9' {
		i++
	}
	v, err := strconv.ParseInt(string(s.b[:i]), 10, 64)
	if !s.ok || err != nil {
		s.ok = false
		return 0
	}
	s.b = s.b[i:]
	return v
}

func (s *lineScanner) time() time.Time {
	// "2006-01-02T15:04:05.000Z", read in place: time.Parse was a fifth of
	// a rehydration's time.
	const n = len(timeLayout) + 2
	b := s.b
	if !s.ok || len(b) < n || b[0] != '"' || b[n-1] != '"' || b[5] != '-' || b[8] != '-' || b[11] != 'T' ||
		b[14] != ':' || b[17] != ':' || b[20] != '.' || b[24] != 'Z' {
		s.ok = false
		return time.Time{}
	}
	num := func(from, to int) int {
		v := 0
		for _, c := range b[from:to] {
			if c < '0' || c > '9' {
				s.ok = false
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	y, mo, d, h, mi, sec, ms := num(1, 5), num(6, 8), num(9, 11), num(12, 14), num(15, 17), num(18, 20), num(21, 24)
	t := time.Date(y, time.Month(mo), d, h, mi, sec, ms*1e6, time.UTC)
	if t.Day() != d || h > 23 || mi > 59 || sec > 59 || mo < 1 || mo > 12 {
		s.ok = false // out of range: time.Date would have carried it over
	}
	s.b = b[n:]
	return t
}

// parseOwn reads a line of appendLine's layout.
func parseOwn(b []byte) (Line, bool) {
	var l Line
	s := lineScanner{b: bytes.TrimRight(b, "\r\n"), ok: true}
	s.lit(`{"time":`)
	l.Time = s.time()
	s.lit(`,"stream":`)
	l.Stream = s.str()
	s.lit(`,"topic":`)
	l.Topic = s.str()
	s.lit(`,"partition":`)
	l.Partition = int32(s.int())
	s.lit(`,"offset":`)
	l.Offset = s.int()
	s.lit(`,"kafka_time":`)
	l.KafkaTime = s.time()
	s.lit(`,"ingest_time":`)
	l.IngestTime = s.time()
	if s.has(`,"headers":{`) {
		s.lit(`,"headers":{`)
		l.Headers = map[string]string{}
		for s.ok {
			k := s.str()
			s.lit(":")
			l.Headers[k] = s.str()
			if s.has(",") {
				s.lit(",")
				continue
			}
			s.lit("}")
			break
		}
	}
	s.lit(`,"raw":`)
	l.Raw = s.str()
	if s.has(`,"raw_base64":true`) {
		s.lit(`,"raw_base64":true`)
		l.RawBase64 = true
	}
	s.lit("}")
	return l, s.ok && len(s.b) == 0
}

// unescape decodes the escapes appendLine writes: \" \\ \n \r \t, and
// \u00XX for other control characters; also \/ \b \f and the rest of
// \u00XX. Other \u escapes (surrogate pairs among them) are left to
// encoding/json: ok is false.
func unescape(raw []byte) (string, bool) {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		if i+1 >= len(raw) {
			return "", false
		}
		i++
		switch raw[i] {
		case '"', '\\', '/':
			out = append(out, raw[i])
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'u':
			if i+4 > len(raw)-1 {
				return "", false
			}
			if raw[i+1] != '0' || raw[i+2] != '0' {
				return "", false
			}
			v, err := strconv.ParseUint(string(raw[i+3:i+5]), 16, 8)
			if err != nil {
				return "", false
			}
			out = utf8.AppendRune(out, rune(v))
			i += 4
		default:
			return "", false
		}
	}
	if !utf8.Valid(out) {
		return "", false
	}
	return string(out), true
}
