package ingest

import (
	"strings"
)

// logRow is one decoded record on its way to the logs or events table.
type logRow struct {
	ts        int64 // unix milliseconds; 0 until known
	service   string
	host      string
	level     string
	body      string
	traceID   string
	eventType string
	tenant    string
	attrs     []attr
	fm        *fieldMap // the topic's field mapping, set by the decoder; nil for none
	// kafkaMs is the record's Kafka timestamp, set by the caller before
	// decoding (0: unknown, now is used): a time read without a year takes
	// the year that puts it nearest before this.
	kafkaMs int64
}

type attr struct{ k, v string }

func (r *logRow) reset() {
	*r = logRow{attrs: r.attrs[:0]}
}

// field is what a top-level key means by the built-in names: the column its
// value fills, or fieldNone for an attribute.
type field uint8

const (
	fieldNone field = iota
	fieldTimestamp
	// fieldTimestampKept is a record-time key of one kind of source
	// (CloudTrail's eventTime, date, datetime): it fills the time and stays
	// an attribute too, so queries written against the source's own name
	// still find it.
	fieldTimestampKept
	fieldMessage
	fieldLevel
	fieldService
	fieldHost
	fieldTraceID
	fieldType
	fieldTenant
)

// fieldOf names the built-in field of a top-level key, case-insensitively.
// Decoders that see the same keys in every record (json) keep the result
// with the key rather than call it per field.
func fieldOf(key string) field {
	if f := lowerFieldOf(key); f != fieldNone || !mayLower(key) {
		return f
	}
	// Rare: keys with upper-case letters ("Message", "TS"), or non-ASCII
	// ones, which strings.ToLower may still fold to a built-in name (the
	// Kelvin sign folds to 'k').
	return lowerFieldOf(strings.ToLower(key))
}

// lowerFieldOf is fieldOf for keys already in lower case.
func lowerFieldOf(key string) field {
	switch key {
	case "timestamp", "time", "ts", "@timestamp":
		return fieldTimestamp
	case "eventtime", "date", "datetime":
		return fieldTimestampKept
	case "message", "msg", "log":
		return fieldMessage
	case "level", "severity", "lvl":
		return fieldLevel
	case "service", "service.name", "app":
		return fieldService
	case "host", "hostname":
		return fieldHost
	case "trace_id", "traceid", "trace.id":
		return fieldTraceID
	case "type":
		return fieldType
	case "tenant":
		return fieldTenant
	}
	return fieldNone
}

// mayLower reports whether strings.ToLower could change s: it holds an
// upper-case ASCII letter or a non-ASCII byte.
func mayLower(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x80 || ('A' <= c && c <= 'Z') {
			return true
		}
	}
	return false
}

// setField files one decoded field. Top-level common keys go to columns the
// first time they are seen; everything else becomes an attribute.
func (r *logRow) setField(key, val string, k valueKind, top bool) {
	f := fieldNone
	if top {
		f = fieldOf(key)
	}
	r.setKnownField(key, f, val, k, top)
}

// setKnownField is setField for a key whose field is known already
// (fieldNone unless top).
func (r *logRow) setKnownField(key string, f field, val string, k valueKind, top bool) {
	if r.fm != nil && r.fm.file(r, key, f, val, k, top) {
		return
	}
	if f != fieldNone && r.fillBuiltin(f, val, k) && f != fieldTimestampKept {
		return
	}
	if k == kindNull {
		return
	}
	r.attrs = append(r.attrs, attr{key, val})
}

// fillBuiltin fills the column of f from val, the first time only, and
// reports whether it did.
func (r *logRow) fillBuiltin(f field, val string, k valueKind) bool {
	if f == fieldTimestamp || f == fieldTimestampKept {
		// The keys of particular sources hold other things elsewhere: a
		// "date" of 20240102 is no epoch time (any is 10 digits since 2001).
		if f == fieldTimestampKept && len(val) < 10 {
			return false
		}
		if r.ts == 0 {
			if ms, ok := parseTimestamp(val, k); ok {
				r.ts = ms
				return true
			}
		}
		return false
	}
	if k != kindString && (f != fieldLevel || k != kindNumber) {
		return false
	}
	var dst *string
	switch f {
	case fieldMessage:
		dst = &r.body
	case fieldLevel:
		dst = &r.level
	case fieldService:
		dst = &r.service
	case fieldHost:
		dst = &r.host
	case fieldTraceID:
		dst = &r.traceID
	case fieldType:
		dst = &r.eventType
	case fieldTenant:
		dst = &r.tenant
	default:
		return false
	}
	if *dst != "" {
		return false
	}
	if f == fieldLevel {
		val = normalizeLevel(val)
	}
	*dst = val
	return true
}

// normalizeLevel maps the many spellings of a level to one lower-case
// word of trace, debug, info, warn, error and fatal: the names of the
// common loggers in any case, their one-letter forms (klog's I/W/E/F,
// Android's V/D/I/W/E), Java's SEVERE and FINE, syslog's severities by
// name or number (0-7, RFC 5424) and pino's and bunyan's numbers (10-60).
// Anything else is kept, in lower case.
func normalizeLevel(v string) string {
	switch strings.ToLower(v) {
	case "trace", "v", "t", "verbose", "finest", "finer", "10":
		return "trace"
	case "debug", "dbg", "d", "fine", "config", "7", "20":
		return "debug"
	case "info", "information", "informational", "notice", "i", "n", "5", "6", "30":
		return "info"
	case "warn", "warning", "w", "4", "40":
		return "warn"
	case "error", "err", "e", "severe", "3", "50":
		return "error"
	case "fatal", "critical", "crit", "panic", "emerg", "emergency", "alert", "f", "c", "0", "1", "2", "60":
		return "fatal"
	}
	return strings.ToLower(v)
}
