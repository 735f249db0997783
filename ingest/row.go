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

// setField files one decoded field. Top-level common keys go to columns the
// first time they are seen; everything else becomes an attribute.
func (r *logRow) setField(key, val string, k valueKind, top bool) {
	if r.fm != nil && r.fm.file(r, key, val, k, top) {
		return
	}
	if top {
		switch strings.ToLower(key) {
		case "timestamp", "time", "ts", "@timestamp":
			if r.ts == 0 {
				if ms, ok := parseTimestamp(val, k); ok {
					r.ts = ms
					return
				}
			}
		case "message", "msg", "log":
			if r.body == "" && k == kindString {
				r.body = val
				return
			}
		case "level", "severity", "lvl":
			if r.level == "" && k == kindString {
				r.level = normalizeLevel(val)
				return
			}
		case "service", "service.name", "app":
			if r.service == "" && k == kindString {
				r.service = val
				return
			}
		case "host", "hostname":
			if r.host == "" && k == kindString {
				r.host = val
				return
			}
		case "trace_id", "traceid", "trace.id":
			if r.traceID == "" && k == kindString {
				r.traceID = val
				return
			}
		case "type":
			if r.eventType == "" && k == kindString {
				r.eventType = val
				return
			}
		case "tenant":
			if r.tenant == "" && k == kindString {
				r.tenant = val
				return
			}
		}
	}
	if k == kindNull {
		return
	}
	r.attrs = append(r.attrs, attr{key, val})
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
