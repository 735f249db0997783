package ingest

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// FieldMap names, per column, the source key that fills it on one topic,
// for producers whose keys are not among the built-in names. Every key is
// optional; an empty one keeps the built-in names for that column.
//
// For json a name is the flattened path ("http.ts" for {"http":{"ts":…}});
// for logfmt it is the key; for text it is a named group of text.pattern.
// Names match exactly (case-sensitive), at any depth. The mapped key takes
// priority: it fills the column whether it comes before or after a built-in
// name (which then lands in attributes), and the built-in names still fill
// the column in records without the mapped key. A mapped key fills its
// column once, and for json and logfmt stays an attribute under its own
// name too, so that queries written against the source's keys (CloudTrail's
// eventTime or eventSource) still find it (text's group names are the
// pattern's, not the source's, and fill the column only); a repeat of it, a value that is not a string
// or number, or a timestamp that does not parse is an attribute only, so
// nothing is lost. The built-in names fill their column only, except the
// record-time keys of particular sources (eventTime, date, datetime),
// which stay attributes as well.
type FieldMap struct {
	// Timestamp is the key read as the record time (RFC 3339 and the other
	// layouts of the built-in names, or epoch s, ms, µs or ns, told apart
	// by magnitude). Built-in: timestamp, time, ts, @timestamp, and
	// eventTime (CloudTrail), date, datetime, in any case.
	Timestamp string `yaml:"timestamp"`
	// Message is the key read as the body. Built-in: message, msg, log.
	Message string `yaml:"message"`
	// Service is the key read as the service. Built-in: service,
	// service.name, app.
	Service string `yaml:"service"`
	// Host is the key read as the host. Built-in: host, hostname.
	Host string `yaml:"host"`
	// Level is the key read as the level, normalized like the built-in ones
	// (warning → warn, W → warn, a syslog severity 4 → warn; see
	// normalizeLevel). Built-in: level, severity, lvl.
	Level string `yaml:"level"`
	// TraceID is the key read as the trace ID. Built-in: trace_id, traceid,
	// trace.id.
	TraceID string `yaml:"trace_id"`
}

// maxFieldName bounds a mapped key name, in bytes.
const maxFieldName = 128

// column is a logRow column a FieldMap can fill.
type column uint8

const (
	colNone column = iota
	colTimestamp
	colMessage
	colService
	colHost
	colLevel
	colTraceID
	numColumns
)

// yamlName returns the column's key in FieldMap, for errors.
func (c column) yamlName() string {
	return [...]string{"", "timestamp", "message", "service", "host", "level", "trace_id"}[c]
}

func (m FieldMap) names() [numColumns]string {
	return [numColumns]string{colTimestamp: m.Timestamp, colMessage: m.Message, colService: m.Service,
		colHost: m.Host, colLevel: m.Level, colTraceID: m.TraceID}
}

// validate checks the names; where is the map's config path
// ("ingest.topics[0].fields").
func (m FieldMap) validate(where string) error {
	names := m.names()
	for c := colTimestamp; c < numColumns; c++ {
		name := names[c]
		if name == "" {
			continue
		}
		key := where + "." + c.yamlName()
		switch {
		case len(name) > maxFieldName:
			return fmt.Errorf("%s is %d bytes, more than %d", key, len(name), maxFieldName)
		case strings.TrimSpace(name) == "":
			return fmt.Errorf("%s %q is blank", key, name)
		case !utf8.ValidString(name):
			return fmt.Errorf("%s %q is not valid UTF-8", key, name)
		case strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }):
			return fmt.Errorf("%s %q holds a control character", key, name)
		}
		for o := colTimestamp; o < c; o++ {
			if names[o] == name {
				return fmt.Errorf("%s %q is already mapped to %s.%s", key, name, where, o.yamlName())
			}
		}
	}
	return nil
}

// fieldMap applies a topic's FieldMap and text.timestamp_layout while a
// decoder files fields (logRow.setField consults it first). It is nil for
// topics without either, which keeps their path to one nil check. It holds
// per-record state, so each decoder has its own; attach resets it.
type fieldMap struct {
	names   [numColumns]string // mapped key per column; "" for none
	layout  string             // timestamp layout tried before the built-in ones
	now     func() time.Time   // for layouts without a year; time.Now but in tests
	managed uint8              // bit per column whose built-in names are filed here
	// keep keeps a mapped key an attribute as well as its column: the
	// keys of json and logfmt records, not text's group names.
	keep bool

	// Per record.
	fromMap     uint8            // columns filled by their mapped key
	hasFallback uint8            // columns filled by a built-in name, so far
	fallback    [numColumns]attr // that built-in key and its raw value
}

// newFieldMap resolves a topic's mapping; nil when there is nothing to do.
func newFieldMap(fields FieldMap, layout string) *fieldMap {
	m := &fieldMap{names: fields.names(), layout: layout, now: time.Now}
	for c := colTimestamp; c < numColumns; c++ {
		if m.names[c] != "" {
			m.managed |= 1 << c
		}
	}
	if layout != "" {
		m.managed |= 1 << colTimestamp
	}
	if m.managed == 0 {
		return nil
	}
	return m
}

// keepKeys makes m keep mapped keys as attributes too (see fieldMap.keep);
// it returns m, nil included.
func (m *fieldMap) keepKeys() *fieldMap {
	if m != nil {
		m.keep = true
	}
	return m
}

// attach points row at m (nil included) and starts a record.
func (m *fieldMap) attach(row *logRow) {
	row.fm = m
	if m == nil {
		return
	}
	if m.hasFallback != 0 {
		m.fallback = [numColumns]attr{}
	}
	m.fromMap, m.hasFallback = 0, 0
}

// file files one field if it concerns a mapped column and reports whether
// it did; otherwise setField carries on with the built-in names. f is the
// key's built-in field (fieldNone unless top).
func (m *fieldMap) file(r *logRow, key string, f field, val string, k valueKind, top bool) bool {
	for c := colTimestamp; c < numColumns; c++ {
		if m.names[c] == "" || m.names[c] != key {
			continue
		}
		bit := uint8(1) << c
		if k == kindNull {
			return true
		}
		filled := m.fromMap&bit == 0 && m.fill(r, c, val, k)
		if filled {
			m.fromMap |= bit
			if m.hasFallback&bit != 0 {
				m.hasFallback &^= bit
				r.attrs = append(r.attrs, m.fallback[c])
				m.fallback[c] = attr{}
			}
		}
		// Findable under its own name as well: queries written against
		// the source's keys keep working.
		if !filled || m.keep {
			r.attrs = append(r.attrs, attr{key, val})
		}
		return true
	}
	if !top {
		return false
	}
	c := f.column()
	if c == colNone || m.managed&(1<<c) == 0 {
		return false
	}
	bit := uint8(1) << c
	switch {
	case k == kindNull:
	case m.fromMap&bit != 0 || m.hasFallback&bit != 0 || !r.empty(c) || (k != kindString && c != colTimestamp) || !m.fill(r, c, val, k):
		r.attrs = append(r.attrs, attr{key, val})
	default:
		m.hasFallback |= bit
		m.fallback[c] = attr{key, val}
	}
	return true
}

// fill sets column c from val, overwriting it, and reports whether val
// suits it: a string or number, a timestamp that parses.
func (m *fieldMap) fill(r *logRow, c column, val string, k valueKind) bool {
	if k != kindString && k != kindNumber {
		return false
	}
	switch c {
	case colTimestamp:
		ms, ok := m.parseTime(r, val, k)
		if !ok {
			return false
		}
		r.ts = ms
	case colMessage:
		r.body = val
	case colService:
		r.service = val
	case colHost:
		r.host = val
	case colLevel:
		r.level = normalizeLevel(val)
	case colTraceID:
		r.traceID = val
	}
	return true
}

// parseTime reads a timestamp with the layout, then the built-in ways.
func (m *fieldMap) parseTime(r *logRow, val string, k valueKind) (int64, bool) {
	if m.layout != "" && k == kindString {
		if ms, ok := parseLayout(m.layout, val, m.refMs(r)); ok {
			return ms, true
		}
	}
	return parseTimestamp(val, k)
}

// refMs is the time a record's year-less times are placed before: its
// Kafka timestamp, or now when it has none.
func (m *fieldMap) refMs(r *logRow) int64 {
	if r.kafkaMs != 0 {
		return r.kafkaMs
	}
	if m == nil || m.now == nil {
		return time.Now().UnixMilli()
	}
	return m.now().UnixMilli()
}

// parseLayout reads v in a Go time layout. Layouts without a zone read UTC;
// layouts without a year (syslog's "Jan _2 15:04:05") get the year that
// puts the time nearest before refMs, the record's Kafka timestamp (see
// withYear).
func parseLayout(layout, v string, refMs int64) (int64, bool) {
	t, err := time.Parse(layout, v)
	if err != nil {
		return 0, false
	}
	if t.Year() == 0 {
		t = withYear(t, refMs)
	}
	ms := t.UnixMilli()
	if ms <= 0 {
		return 0, false
	}
	return ms, true
}

// yearSkew is how far after its reference a year-less time may fall and
// still take the reference's year: the writer's clock may run ahead of
// the broker's.
const yearSkew = 24 * time.Hour

// withYear gives t, read without a year (year 0), the latest year that puts
// it no later than a day after refMs: a December line sent in January is
// last year's, a line from a clock a little ahead is this year's.
func withYear(t time.Time, refMs int64) time.Time {
	ref := time.UnixMilli(refMs).In(t.Location())
	limit := refMs + yearSkew.Milliseconds()
	y := ref.Year() + 1
	c := t.AddDate(y, 0, 0)
	for ; c.UnixMilli() > limit && y > ref.Year()-1; y-- {
		c = t.AddDate(y-1, 0, 0)
	}
	return c
}

// empty reports whether column c is still unset.
func (r *logRow) empty(c column) bool {
	switch c {
	case colTimestamp:
		return r.ts == 0
	case colMessage:
		return r.body == ""
	case colService:
		return r.service == ""
	case colHost:
		return r.host == ""
	case colLevel:
		return r.level == ""
	case colTraceID:
		return r.traceID == ""
	}
	return false
}

// builtinColumn returns the column a top-level key names by the built-in
// names of setField; TestBuiltinColumnMatchesSetField keeps the two equal.
func builtinColumn(key string) column { return fieldOf(key).column() }

// column returns the column a FieldMap can fill for f; colNone for the
// fields it cannot map (type, tenant).
func (f field) column() column {
	switch f {
	case fieldTimestamp, fieldTimestampKept:
		return colTimestamp
	case fieldMessage:
		return colMessage
	case fieldLevel:
		return colLevel
	case fieldService:
		return colService
	case fieldHost:
		return colHost
	case fieldTraceID:
		return colTraceID
	}
	return colNone
}

// validateDecoding checks the topic's fields and text settings; where is
// its config path ("ingest.topics[0]").
func (t TopicConfig) validateDecoding(where string) error {
	if t.Format == "prometheus" || t.Format == "openmetrics" {
		if t.Fields != (FieldMap{}) {
			return fmt.Errorf("%s.fields: format %s takes no field mapping", where, t.Format)
		}
		if t.Text != (TextConfig{}) {
			return fmt.Errorf("%s.text: format %s takes no text settings", where, t.Format)
		}
	}
	if err := t.Fields.validate(where + ".fields"); err != nil {
		return err
	}
	return t.Text.validate(where + ".text")
}
