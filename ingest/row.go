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
	if f != fieldNone && r.fillBuiltin(f, val, k) {
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
	if f == fieldTimestamp {
		if r.ts == 0 {
			if ms, ok := parseTimestamp(val, k); ok {
				r.ts = ms
				return true
			}
		}
		return false
	}
	if k != kindString {
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

// normalizeLevel maps the many spellings of a level to one lower-case word.
func normalizeLevel(v string) string {
	switch strings.ToLower(v) {
	case "trace":
		return "trace"
	case "debug", "dbg":
		return "debug"
	case "info", "information", "informational", "notice":
		return "info"
	case "warn", "warning":
		return "warn"
	case "error", "err":
		return "error"
	case "fatal", "critical", "crit", "panic", "emerg", "emergency", "alert":
		return "fatal"
	}
	return strings.ToLower(v)
}
