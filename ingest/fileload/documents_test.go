package fileload

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// cloudTrailFile is a CloudTrail log file as delivered to S3, pretty-printed:
// one Records envelope around n records.
func cloudTrailFile(n int) ([]byte, []string) {
	var b bytes.Buffer
	var want []string
	b.WriteString("{\n  \"Records\": [\n")
	for i := range n {
		rec := fmt.Sprintf(`{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","userName":"user%d"},"eventTime":"2024-02-14T10:%02d:%02dZ","eventSource":"s3.amazonaws.com","eventName":"GetObject","requestParameters":{"bucketName":"logs","key":"a \"b\" \u00e9"},"resources":[{"ARN":"arn:aws:s3:::logs"}]}`, i, i/60%60, i%60)
		var v any
		if err := json.Unmarshal([]byte(rec), &v); err != nil {
			panic(err)
		}
		pretty, _ := json.MarshalIndent(v, "    ", "  ")
		var compact bytes.Buffer
		_ = json.Compact(&compact, pretty)
		want = append(want, compact.String())
		b.WriteString("    ")
		b.Write(pretty)
		if i < n-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("  ]\n}\n")
	return b.Bytes(), want
}

func gz(b []byte) []byte {
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	_, _ = w.Write(b)
	_ = w.Close()
	return out.Bytes()
}

// A delivered CloudTrail file, gzip-compressed and pretty-printed, arrives
// as one record per element of Records, each compact JSON. Before, every
// line of it was sent as a record, and the server made 793 dead letters of
// a 793-record file.
func TestSendCloudTrailFile(t *testing.T) {
	kopts := newKafka(t)
	cl := newProducer(t, kopts)
	file, want := cloudTrailFile(300)
	for _, format := range []string{"cloudtrail", "json"} {
		topic := "events"
		if format == "json" {
			topic = "logs"
		}
		p, err := Send(context.Background(), cl, Options{Topic: topic, Stream: "audit", Format: format}, bytes.NewReader(gz(file)), nil)
		if err != nil {
			t.Fatal(err)
		}
		if p.Lines != int64(len(want)) || p.Acked != int64(len(want)) {
			t.Fatalf("%s: sent %+v, want %d records", format, p, len(want))
		}
		var got []string
		for _, r := range consume(t, kopts, topic, len(want)) {
			got = append(got, string(r.Value))
		}
		// The topic's partitions interleave the records.
		slices.Sort(got)
		want := slices.Sorted(slices.Values(want))
		if !slices.Equal(got, want) {
			t.Fatalf("%s: got records\n%s\nwant\n%s", format, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// Arrays, envelopes and documents that follow one another are split into
// their elements; NDJSON stays one record per line; anything else is read
// as lines.
func TestSendDocuments(t *testing.T) {
	kopts := newKafka(t)
	cl := newProducer(t, kopts)
	topics := []string{"logs", "events", "metrics", "logs.dead"}
	n := 0
	f := func(format, in string, want ...string) {
		t.Helper()
		topic := topics[n%len(topics)]
		n++
		if n > len(topics) {
			t.Fatal("add a topic")
		}
		p, err := Send(context.Background(), cl, Options{Topic: topic, Stream: "s", Format: format}, strings.NewReader(in), nil)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if p.Acked != int64(len(want)) {
			t.Fatalf("%q: sent %d records, want %d", in, p.Acked, len(want))
		}
		var got []string
		for _, r := range consume(t, kopts, topic, len(want)) {
			got = append(got, string(r.Value))
		}
		slices.Sort(got)
		if want := slices.Sorted(slices.Values(want)); !slices.Equal(got, want) {
			t.Fatalf("%q: got records %q, want %q", in, got, want)
		}
	}
	f("json", "\xef\xbb\xbf[\n {\"a\": 1},\n {\"b\": [1, 2]}\n]\n[{\"c\":3}]", `{"a":1}`, `{"b":[1,2]}`, `{"c":3}`)
	f("json", `{"Records":[{"a":1},{"a":2}]}`+"\n"+`{"Records":[{"a":3}]}`, `{"a":1}`, `{"a":2}`, `{"a":3}`)
	f("json", "{\n  \"a\": 1\n}\n{\n  \"records\": 2\n}\n", `{"a":1}`, `{"records":2}`)
	f("json", "{\"a\":1}\n{\"b\":2}\nnot json\n", `{"a":1}`, `{"b":2}`, `not json`)
}

// A document that is not well-formed stops the send with an error naming
// it; what came before was sent.
func TestSendBadDocument(t *testing.T) {
	kopts := newKafka(t)
	cl := newProducer(t, kopts)
	p, err := Send(context.Background(), cl, Options{Topic: "logs", Stream: "s", Format: "json"}, strings.NewReader("[{\"a\":1},\n{\"b\":}]"), nil)
	if err == nil || !strings.Contains(err.Error(), "cannot read JSON document 1: invalid character '}' looking for beginning of value (at byte") {
		t.Fatalf("got %v", err)
	}
	if p.Acked != 1 {
		t.Fatalf("sent %d records, want 1", p.Acked)
	}
}

func TestIsDocument(t *testing.T) {
	f := func(in string, want bool) {
		t.Helper()
		if got := isDocument([]byte(in)); got != want {
			t.Fatalf("isDocument(%q) = %v", in, got)
		}
	}
	f(`[{"a":1}]`, true)
	f("  \n[", true)
	f(`{"Records" : [`, true)
	f("{\n", true)
	f("{\"a\":1,\n\"b\":2}\n", true)
	f(`{"a":1}`+"\n"+`{"a":2}`, false)
	f(`{"a":1}`, false) // one line, its end not in sight: lines
	f(`{"Records":{}}`+"\n", false)
	f("plain\n", false)
	f("", false)
}
