package ingest

import (
	"bytes"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestFieldMapJSON(t *testing.T) {
	d := newDecoder(TopicConfig{Format: "json", Fields: FieldMap{
		Timestamp: "http.ts", Message: "event.original", Service: "kubernetes.labels.app",
		Host: "node", Level: "Severity", TraceID: "ctx.trace",
	}})
	f := func(in, want string) {
		t.Helper()
		got, err := decodeString(d, in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if got != want {
			t.Errorf("%s:\n got  %s\n want %s", in, got, want)
		}
	}
	f(`{"http":{"ts":1700000000,"code":200},"event":{"original":"GET /"},"kubernetes":{"labels":{"app":"api","team":"x"}},"node":"n1","Severity":"WARNING","ctx":{"trace":"abc"}}`,
		`ts=1700000000000 service="api" host="n1" level="warn" body="GET /" trace="abc" @http.ts="1700000000" @http.code="200" @event.original="GET /" @kubernetes.labels.app="api" @kubernetes.labels.team="x" @node="n1" @Severity="WARNING" @ctx.trace="abc"`)
	// A mapped key stays an attribute under its own name as well, so that
	// queries written against the source's keys find it. Before, mapping
	// eventSource to service left attributes['eventSource'] empty.
	// The mapped key wins over a built-in name before or after it; the
	// built-in one is kept as an attribute.
	f(`{"message":"builtin","event":{"original":"mapped"}}`, `body="mapped" @message="builtin" @event.original="mapped"`)
	f(`{"event":{"original":"mapped"},"message":"builtin"}`, `body="mapped" @event.original="mapped" @message="builtin"`)
	f(`{"ts":1600000000,"http":{"ts":1700000000}}`, `ts=1700000000000 @ts="1600000000" @http.ts="1700000000"`)
	f(`{"level":"debug","Severity":"error"}`, `level="error" @level="debug" @Severity="error"`)
	// Without the mapped key the built-in names still fill the column.
	f(`{"msg":"builtin","level":"info","host":"h"}`, `host="h" level="info" body="builtin"`)
	f(`{"msg":"first","message":"second"}`, `body="first" @message="second"`)
	// A repeat of the mapped key, a value of the wrong kind, a timestamp
	// that does not parse: attributes. A null: dropped.
	f(`{"node":"a","node":"b"}`, `host="a" @node="a" @node="b"`)
	f(`{"node":["a"],"host":"h"}`, `host="h" @node="[\"a\"]"`)
	f(`{"http":{"ts":"soon"},"ts":1700000000}`, `ts=1700000000000 @http.ts="soon"`)
	f(`{"node":null,"host":"h"}`, `host="h"`)
	// Numbers fill mapped string columns.
	f(`{"node":42}`, `host="42" @node="42"`)
	// Names match exactly; unmapped columns keep their built-in names.
	f(`{"severity":"error","NODE":"x","service":"s"}`, `service="s" level="error" @NODE="x"`)
	// An empty key is not a mapped key.
	f(`{"":"x"}`, `@="x"`)
}

func TestFieldMapLogfmtAndText(t *testing.T) {
	fields := FieldMap{Message: "text", Level: "sev", Timestamp: "when"}
	d := newDecoder(TopicConfig{Format: "logfmt", Fields: fields})
	got, err := decodeString(d, `msg=old sev=ERR when=1700000000 text="new body" ts=1 level=x`)
	if err != nil {
		t.Fatal(err)
	}
	if want := `ts=1700000000000 level="error" body="new body" @sev="ERR" @when="1700000000" @msg="old" @text="new body" @ts="1" @level="x"`; got != want {
		t.Fatalf("logfmt:\n got  %s\n want %s", got, want)
	}
	// For text the names are groups of the pattern, not the source's keys:
	// they fill their column only. The layout reads the mapped timestamp.
	d = newDecoder(TopicConfig{Format: "text", Fields: fields, Text: TextConfig{
		Pattern: `(?P<when>\S+ \S+) (?P<sev>\S+) (?P<text>.*)`, TimestampLayout: "2006.01.02 15:04:05",
	}})
	got, err = decodeString(d, `2023.11.14 22:13:20 warning all good`)
	if err != nil {
		t.Fatal(err)
	}
	if want := `ts=1700000000000 level="warn" body="all good"`; got != want {
		t.Fatalf("text:\n got  %s\n want %s", got, want)
	}
}

// A decoder's field map carries state between fields of one record only.
func TestFieldMapStateIsPerRecord(t *testing.T) {
	d := newDecoder(TopicConfig{Format: "json", Fields: FieldMap{Message: "m"}})
	var row logRow
	for i, c := range []struct{ in, want string }{
		{`{"msg":"fallback"}`, `body="fallback"`},
		{`{"m":"mapped"}`, `body="mapped" @m="mapped"`},
		{`{"msg":"fallback again"}`, `body="fallback again"`},
	} {
		row.reset()
		if err := d.decode([]byte(c.in), &row); err != nil {
			t.Fatal(err)
		}
		if got := rowString(&row); got != c.want {
			t.Fatalf("record %d %s:\n got  %s\n want %s", i, c.in, got, c.want)
		}
	}
}

// builtinColumn repeats the names setField knows; they must stay equal.
func TestBuiltinColumnMatchesSetField(t *testing.T) {
	names := []string{"timestamp", "time", "ts", "@timestamp", "message", "msg", "log", "level", "severity", "lvl",
		"service", "service.name", "app", "host", "hostname", "trace_id", "traceid", "trace.id",
		"type", "tenant", "Message", "TS", "other", "http.status"}
	for _, name := range names {
		var row logRow
		row.setField(name, "1700000000", kindString, true)
		got := colNone
		switch {
		case row.ts != 0:
			got = colTimestamp
		case row.body != "":
			got = colMessage
		case row.level != "":
			got = colLevel
		case row.service != "":
			got = colService
		case row.host != "":
			got = colHost
		case row.traceID != "":
			got = colTraceID
		}
		if want := builtinColumn(name); got != want {
			t.Errorf("%q: setField fills column %d, builtinColumn says %d", name, got, want)
		}
	}
}

func TestDecodingConfigValidate(t *testing.T) {
	ok := func(tc TopicConfig) TopicConfig {
		tc.Topic, tc.Table = "t", "logs"
		if tc.Format == "" {
			tc.Format = "json"
		}
		if tc.Format == "prometheus" {
			tc.Table = "metrics"
		}
		return tc
	}
	f := func(tc TopicConfig, want string) {
		t.Helper()
		cfg := Default()
		cfg.Topics = []TopicConfig{ok(tc)}
		err := cfg.Validate()
		switch {
		case want == "" && err != nil:
			t.Fatalf("%+v: %v", tc, err)
		case want != "" && (err == nil || err.Error() != want):
			t.Fatalf("%+v:\n got  %v\n want %s", tc, err, want)
		}
	}
	f(TopicConfig{Fields: FieldMap{Timestamp: "http.ts", Message: "m", TraceID: strings.Repeat("x", 128)}}, "")
	f(TopicConfig{Format: "logfmt", Fields: FieldMap{Level: "sev"}}, "")
	f(TopicConfig{Format: "text", Text: TextConfig{Pattern: `(?P<message>.*)(?P<whatever>x)?`, TimestampLayout: "Jan _2 15:04:05"}}, "")
	f(TopicConfig{Format: "json", Text: TextConfig{Pattern: `x`}}, "") // for records with a logmart-format: text header
	f(TopicConfig{Fields: FieldMap{TraceID: strings.Repeat("x", 129)}}, "ingest.topics[0].fields.trace_id is 129 bytes, more than 128")
	f(TopicConfig{Fields: FieldMap{Host: "  "}}, `ingest.topics[0].fields.host "  " is blank`)
	f(TopicConfig{Fields: FieldMap{Host: "a\nb"}}, `ingest.topics[0].fields.host "a\nb" holds a control character`)
	f(TopicConfig{Fields: FieldMap{Host: "\xff"}}, `ingest.topics[0].fields.host "\xff" is not valid UTF-8`)
	f(TopicConfig{Fields: FieldMap{Message: "m", Level: "m"}}, `ingest.topics[0].fields.level "m" is already mapped to ingest.topics[0].fields.message`)
	f(TopicConfig{Format: "text", Text: TextConfig{Pattern: `(?P<message>`}},
		"ingest.topics[0].text.pattern: error parsing regexp: missing closing ): `(?P<message>`")
	f(TopicConfig{Format: "text", Text: TextConfig{Pattern: `x{2000}`}},
		"ingest.topics[0].text.pattern: error parsing regexp: invalid repeat count: `{2000}`")
	f(TopicConfig{Format: "text", Text: TextConfig{TimestampLayout: "yyyy-MM-dd"}},
		`ingest.topics[0].text.timestamp_layout "yyyy-MM-dd" has no time elements (a Go layout like "2006-01-02 15:04:05")`)
	f(TopicConfig{Format: "prometheus", Fields: FieldMap{Message: "m"}}, "ingest.topics[0].fields: format prometheus takes no field mapping")
	f(TopicConfig{Format: "prometheus", Text: TextConfig{Pattern: "x"}}, "ingest.topics[0].text: format prometheus takes no text settings")
}

// The keys are spelled as documented and decode strictly.
func TestDecodingConfigYAML(t *testing.T) {
	in := `
topic: app
table: logs
format: text
fields: {timestamp: when, message: text, service: svc, host: node, level: sev, trace_id: tid}
text:
  pattern: '^(?P<when>\S+) (?P<text>.*)$'
  timestamp_layout: "2006-01-02 15:04:05"
`
	var tc TopicConfig
	dec := yaml.NewDecoder(strings.NewReader(in))
	dec.KnownFields(true)
	if err := dec.Decode(&tc); err != nil {
		t.Fatal(err)
	}
	want := TopicConfig{Topic: "app", Table: "logs", Format: "text",
		Fields: FieldMap{Timestamp: "when", Message: "text", Service: "svc", Host: "node", Level: "sev", TraceID: "tid"},
		Text:   TextConfig{Pattern: `^(?P<when>\S+) (?P<text>.*)$`, TimestampLayout: "2006-01-02 15:04:05"}}
	if tc != want {
		t.Fatalf("got %+v", tc)
	}
	dec = yaml.NewDecoder(bytes.NewReader([]byte("fields: {msg: x}\n")))
	dec.KnownFields(true)
	if err := dec.Decode(&tc); err == nil || !strings.Contains(err.Error(), "field msg not found") {
		t.Fatalf("unknown key: %v", err)
	}
}

// BenchmarkJSONDecodeMapped is BenchmarkJSONDecode with every column
// mapped, half of them to keys the demo lines have: the cost of a mapping.
func BenchmarkJSONDecodeMapped(b *testing.B) {
	lines, mean := benchLines(256)
	d := newDecoder(TopicConfig{Format: "json", Fields: FieldMap{
		Timestamp: "timestamp", Message: "message", Service: "service",
		Host: "node", Level: "severity_text", TraceID: "ctx.trace",
	}})
	var row logRow
	b.SetBytes(int64(mean))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		row.reset()
		if err := d.decode(lines[i%len(lines)], &row); err != nil {
			b.Fatal(err)
		}
	}
}
