package ingest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// benchBatchRows is the batch size production writes at (ingest.batch.rows).
const benchBatchRows = 100_000

// BenchmarkBatchAdd measures the ingest hot path per record: one demo log
// line from a fetched record to a row of the logs batch (decode, route,
// column appends). Batches are cut and their columns recycled every
// benchBatchRows records, as the ingester does after a write.
func BenchmarkBatchAdd(b *testing.B) {
	lines, mean := benchLines(8192)
	routes, err := CompileStreams(DefaultStreams())
	if err != nil {
		b.Fatal(err)
	}
	t := TopicConfig{Topic: "logs", Table: "logs", Format: "json", Stream: "default"}
	sent := time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)
	recs := make([]kgo.Record, len(lines))
	for i, l := range lines {
		recs[i] = kgo.Record{Topic: "logs", Value: l, Timestamp: sent}
	}
	now := sent.Add(time.Second) // the lines' time: within the retention
	pb := newPartBatch(t, 0, 1<<20, routes)
	add := func(i int) {
		if pb.n == benchBatchRows {
			if len(pb.deadRecs) > 0 {
				b.Fatalf("%d dead letters", len(pb.deadRecs))
			}
			pb.release()
			pb = newPartBatch(t, 0, 1<<20, routes)
		}
		r := &recs[i%len(recs)]
		r.Offset = int64(i)
		pb.add(r, now)
	}
	// One batch first, so the timed ones reuse grown columns as in steady
	// state.
	for i := range benchBatchRows {
		add(i)
	}
	b.SetBytes(int64(mean))
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		add(benchBatchRows + i)
	}
	b.StopTimer()
	if len(pb.deadRecs) > 0 {
		b.Fatalf("%d dead letters", len(pb.deadRecs))
	}
	pb.release()
}

// deadReason adds one record to a fresh logs batch and returns why it was
// refused ("" when it became a row) and the error text.
func deadReason(t *testing.T, value string, headers ...kgo.RecordHeader) (string, string) {
	t.Helper()
	routes, err := CompileStreams(DefaultStreams())
	if err != nil {
		t.Fatal(err)
	}
	b := newPartBatch(TopicConfig{Topic: "logs", Table: "logs", Format: "json", Stream: "default"}, 0, 1<<20, routes)
	defer b.release()
	// Kafka gives every record a time; the row takes it when the value has none.
	b.add(&kgo.Record{Topic: "logs", Value: []byte(value), Headers: headers, Timestamp: time.Now()}, time.Now())
	if len(b.deadRecs) == 0 {
		if b.logs.block().Rows() != 1 {
			t.Fatalf("%q: neither a row nor a dead letter", value)
		}
		return "", ""
	}
	if b.logs.block().Rows() != 0 {
		t.Fatalf("%q: both a row and a dead letter", value)
	}
	return header(b.deadRecs[0], "logmart-dead-reason"), header(b.deadRecs[0], "logmart-dead-error")
}

// A record that is not valid UTF-8 is refused as such wherever the bad
// bytes are and whatever else is wrong with it, now that JSON records are
// checked string by string rather than as a whole first.
func TestPartBatchInvalidUTF8(t *testing.T) {
	format := func(f string) kgo.RecordHeader { return kgo.RecordHeader{Key: HeaderFormat, Value: []byte(f)} }
	for _, c := range []struct {
		value   string
		headers []kgo.RecordHeader
	}{
		{"{\"message\":\"a\xffb\"}", nil},
		{"{\"message\":\"a\\n\xc3\"}", nil},                                    // after an escape
		{"{\"m\xe9\":\"x\"}", nil},                                             // in a key
		{"{\"message\":\"" + strings.Repeat("é", 40) + "\xed\xa0\x80\"}", nil}, // a surrogate, past the fast path
		{"{\"a\":[\"\xff\"]}", nil},                                            // in an array
		{"{\"a\":1}\xff", nil},                                                 // outside any string
		{"\xff{\"a\":1}", nil},
		{"{\"a\":1\xff}", nil},
		{"{\"a\" \xff:1}", nil},
		{"{\"a\":\xff\"x\"}", nil},
		{"{\"a\":tr\xffue}", nil},
		{"{\"a\":1,, \xff}", nil},                                       // malformed before the bad byte
		{"{\"a\":\"x\xff", nil},                                         // unterminated
		{"{\"level\":[\"\xff\"]}", nil},                                 // wrong type as well
		{"{\"message\":\"ok\"}\xff", []kgo.RecordHeader{format("xml")}}, // a bad header as well
		{"msg=\"a\xffb\"", []kgo.RecordHeader{format("logfmt")}},
		{"2023-11-14T22:13:20Z INFO \xff", []kgo.RecordHeader{format("text")}},
	} {
		reason, text := deadReason(t, c.value, c.headers...)
		if reason != ReasonInvalidUTF8 || text != "record is not valid UTF-8" {
			t.Errorf("%q: refused as %q (%s), want %q", c.value, reason, text, ReasonInvalidUTF8)
		}
	}
	// Valid UTF-8 of every width, escaped or not, is a row.
	for _, v := range []string{
		`{"message":"é中😀","k\u00e9":"\u00e9\ud83d\ude00","` + strings.Repeat("日本", 50) + `":"x"}`,
		"{\"message\":\"\u2028\u2029\ufeff\"}",
	} {
		if reason, text := deadReason(t, v); reason != "" {
			t.Errorf("%q: refused as %q (%s)", v, reason, text)
		}
	}
	// Other failures keep their reasons.
	for v, want := range map[string]string{`{"a":1`: ReasonMalformed, `{"host":["x"]}`: ReasonWrongType, `[é]`: ReasonMalformed} {
		if reason, _ := deadReason(t, v); reason != want {
			t.Errorf("%q: refused as %q, want %q", v, reason, want)
		}
	}
}

// The batch's columns hold copies: the JSON decoder's strings point into
// the record (jsonDecoder.alias), and the record may be overwritten once
// added.
func TestPartBatchCopiesRecord(t *testing.T) {
	routes, err := CompileStreams(DefaultStreams())
	if err != nil {
		t.Fatal(err)
	}
	b := newPartBatch(TopicConfig{Topic: "logs", Table: "logs", Format: "json", Stream: "default"}, 0, 1<<20, routes)
	defer b.release()
	lines, _ := benchLines(50)
	lines = append(lines, []byte(`{"message":"a \"quoted\" word","level":"ERROR","service":"new-svc","k\u00e9":"v\n","n":[1,"x"]}`))
	var recs []*kgo.Record
	for _, l := range lines {
		r := &kgo.Record{Topic: "logs", Value: append([]byte(nil), l...), Timestamp: time.Now()}
		recs = append(recs, r)
		// Ingested as the demo lines were made, within their retention.
		b.add(r, time.Date(2025, 3, 14, 15, 10, 0, 0, time.UTC))
	}
	if len(b.deadRecs) != 0 {
		t.Fatalf("%d dead letters", len(b.deadRecs))
	}
	values := func() string {
		var s strings.Builder
		for _, c := range b.logs.block().Cols {
			fmt.Fprintf(&s, "%s=%v\n", c.ColName(), c.Values())
		}
		return s.String()
	}
	before := values()
	for _, r := range recs {
		for i := range r.Value {
			r.Value[i] = '#'
		}
	}
	if after := values(); after != before {
		t.Fatalf("the batch changed with its records:\n before %.300s\n after  %.300s", before, after)
	}
	if !strings.Contains(before, `a "quoted" word`) || !strings.Contains(before, "ké:v\n") {
		t.Fatalf("unexpected batch:\n%s", before)
	}
}

func TestNewColumnsSizedLikeTheLastBatch(t *testing.T) {
	last := newLogColumns()
	row := logRow{ts: 1, service: "svc", host: "h", level: "info", body: "a body of some length", traceID: "0123456789abcdef",
		attrs: []attr{{"region", "eu-west-1"}, {"user", "someone"}}}
	for i := range 1000 {
		last.add(&row, keeping{stream: "default", days: 30}, "logs", 2, "logs", 0, int64(i))
	}
	c := newLogColumns()
	c.grow(last.sizes())
	caps := func() [4]int {
		return [4]int{cap(c.ts.Data), cap(c.offset.Data), cap(c.attrs.Offsets), c.body.Size()}
	}
	before := caps()
	for i := range 1000 {
		c.add(&row, keeping{stream: "default", days: 30}, "logs", 2, "logs", 0, int64(i))
	}
	after := caps()
	if before[0] != after[0] || before[1] != after[1] || before[2] != after[2] {
		t.Fatalf("columns grew while filling to the hinted size: capacities %v, then %v", before[:3], after[:3])
	}
	if got, want := c.sizes(), last.sizes(); got != want {
		t.Fatalf("sizes %+v, want %+v", got, want)
	}
}
