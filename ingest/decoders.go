package ingest

import (
	"errors"
	"strconv"
	"time"
	"unicode/utf8"
)

// What the decoders share: the interface each format implements, the kinds
// of value they hand to logRow, the errors a record is refused for, and the
// timestamp and escape rules common to several formats.

// decoder turns one record's bytes into a logRow. A decoder is used by one
// goroutine at a time and may keep scratch memory between calls; the strings
// it puts in row must not alias data, unless its caller allows it
// (jsonDecoder.alias).
type decoder interface {
	decode(data []byte, row *logRow) error
}

// newDecoder returns the decoder for a topic's format: json, logfmt, text
// or a named format (decode_formats.go). Formats are checked by
// Config.Validate; metrics topics are decoded separately.
func newDecoder(t TopicConfig) decoder {
	if d := newLineDecoder(t.Format); d != nil {
		return d
	}
	switch t.Format {
	case "cloudtrail":
		return &cloudtrailDecoder{jsonDecoder{fm: newFieldMap(cloudtrailFields, "").keepKeys()}}
	case "logfmt":
		return &logfmtDecoder{fm: newFieldMap(t.Fields, "").keepKeys()}
	case "text":
		return newTextDecoder(t.Text, t.Fields)
	default:
		return &jsonDecoder{fm: newFieldMap(t.Fields, "").keepKeys()}
	}
}

// valueKind is what a decoded value was in its record: a string, a number,
// null, or anything else (true, false, an array kept as its JSON text).
type valueKind uint8

const (
	kindString valueKind = iota
	kindNumber
	kindNull
	kindOther
)

var errBadUTF8 = errors.New("string is not valid UTF-8")

// errWrongType is wrapped by decoders when a known field has a value of the
// wrong type (an object where a timestamp belongs, say).
var errWrongType = errors.New("value has the wrong type")

// parseTimestamp reads the time formats log shippers use: RFC 3339 with or
// without fraction or zone, "2006-01-02 15:04:05" ('.' or ',' before a
// fraction), "2006/01/02 15:04:05", access logs' "02/Jan/2006:15:04:05
// -0700", HTTP and ANSI C dates, and epoch numbers in
// seconds, milliseconds, microseconds or nanoseconds (told apart by size).
func parseTimestamp(v string, k valueKind) (int64, bool) {
	if k == kindNumber || (k == kindString && v != "" && (v[0] >= '0' && v[0] <= '9') && !hasDateSeparator(v)) {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 || f >= 1e19 { // past int64 nanoseconds (year 2262)
			return 0, false
		}
		switch {
		case f < 1e11: // seconds
			return int64(f * 1000), true
		case f < 1e14: // milliseconds
			return int64(f), true
		case f < 1e17: // microseconds
			return int64(f / 1e3), true
		default: // nanoseconds
			return int64(f / 1e6), true
		}
	}
	if k != kindString || len(v) < 10 {
		return 0, false
	}
	if ms, ok := parseRFC3339UTC(v); ok {
		return ms, true
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UnixMilli(), true
		}
	}
	return 0, false
}

// hasDateSeparator is strings.ContainsAny(v, "-:T ") without building the
// set per call: it tells a date from an epoch number in a string.
func hasDateSeparator(v string) bool {
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '-', ':', 'T', ' ':
			return true
		}
	}
	return false
}

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999Z0700",
	"2006/01/02 15:04:05.999999999",
	"02/Jan/2006:15:04:05 -0700", // access logs' time_local
	time.RFC1123Z,
	time.RFC1123, // HTTP dates
	time.ANSIC,
}

// simpleEscape maps the one-letter escapes JSON and logfmt share (\n, \t,
// \", …) to their byte.
func simpleEscape(e byte) (byte, bool) {
	switch e {
	case '"', '\\', '/':
		return e, true
	case 'b':
		return '\b', true
	case 'f':
		return '\f', true
	case 'n':
		return '\n', true
	case 'r':
		return '\r', true
	case 't':
		return '\t', true
	}
	return 0, false
}

// trimEOL drops the line ends a shipper leaves on a record.
func trimEOL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// invalidUTF8At returns the index of the first byte of b that is not valid
// UTF-8, or -1.
func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}
