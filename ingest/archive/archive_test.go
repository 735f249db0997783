package archive

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestLineRoundTrip(t *testing.T) {
	ts := time.Date(2025, 3, 14, 15, 9, 26, 535_000_000, time.UTC)
	kts := ts.Add(2 * time.Second)
	now := ts.Add(time.Minute)
	f := func(value []byte, headers []kgo.RecordHeader, wantB64 bool, wantHeaders map[string]string) {
		t.Helper()
		r := &kgo.Record{Topic: "logs.in", Partition: 3, Offset: 1234567, Timestamp: kts, Value: value, Headers: headers}
		line := appendLine(nil, "payments", ts.UnixMilli(), r, []byte(now.Format(timeLayout)))
		if !bytes.HasSuffix(line, []byte("}\n")) || bytes.Count(line, []byte("\n")) != 1 {
			t.Fatalf("line %q is not one line", line)
		}
		if !json.Valid(line) {
			t.Fatalf("line %q is not JSON", line)
		}
		l, err := ParseLine(line)
		if err != nil {
			t.Fatal(err)
		}
		got, err := l.Value()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, value) {
			t.Errorf("value %q came back as %q", value, got)
		}
		if l.RawBase64 != wantB64 {
			t.Errorf("value %q: raw_base64 = %v, want %v", value, l.RawBase64, wantB64)
		}
		if !l.Time.Equal(ts) || !l.KafkaTime.Equal(kts) || !l.IngestTime.Equal(now) {
			t.Errorf("times %v %v %v, want %v %v %v", l.Time, l.KafkaTime, l.IngestTime, ts, kts, now)
		}
		if l.Stream != "payments" || l.Topic != "logs.in" || l.Partition != 3 || l.Offset != 1234567 {
			t.Errorf("line %+v lost where the record came from", l)
		}
		if len(l.Headers) != len(wantHeaders) {
			t.Errorf("headers %v, want %v", l.Headers, wantHeaders)
		}
		for k, v := range wantHeaders {
			if l.Headers[k] != v {
				t.Errorf("header %q = %q, want %q", k, l.Headers[k], v)
			}
		}
	}
	f([]byte(`{"msg":"hello"}`), nil, false, nil)
	f([]byte("tab\there \"quoted\" back\\slash\nnew line \x00\x1f é ✓ 😀"), nil, false, nil)
	f([]byte{0xff, 0xfe, 'a', 0x80}, nil, true, nil)
	f([]byte("é"[:1]), nil, true, nil) // a cut multi-byte character
	f([]byte{}, nil, false, nil)
	f([]byte("x"), []kgo.RecordHeader{
		{Key: "logmart-format", Value: []byte("logfmt")},
		{Key: "binary", Value: []byte{0xff}},
		{Key: "quote\"d", Value: []byte("a\nb")},
	}, false, map[string]string{"logmart-format": "logfmt", "quote\"d": "a\nb"})
}

func TestAppendTime(t *testing.T) {
	for _, at := range []time.Time{
		time.Date(2026, 12, 31, 23, 59, 59, 999e6, time.UTC),
		time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC),
		time.Date(1970, 1, 1, 0, 0, 0, 1e6, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 59, 999e6, time.UTC),
		time.Date(1900, 1, 1, 12, 30, 5, 50e6, time.UTC),
		time.Date(2299, 7, 4, 9, 8, 7, 6e6, time.UTC),
	} {
		if got, want := string(appendTime(nil, at.UnixMilli())), at.Format(timeLayout); got != want {
			t.Errorf("appendTime(%d) = %s, want %s", at.UnixMilli(), got, want)
		}
	}
}

func TestKey(t *testing.T) {
	f := func(ms int64, want string) {
		t.Helper()
		start := time.UnixMilli(hourOf(ms) * hourMs)
		if got := Key("edge", start, "logs", 2, 10, 99); got != want {
			t.Errorf("Key at %d = %q, want %q", ms, got, want)
		}
	}
	f(time.Date(2026, 1, 2, 23, 59, 59, 999e6, time.UTC).UnixMilli(), "stream=edge/dt=2026-01-02/hour=23/logs-2-10-99.ndjson.zst")
	f(time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC).UnixMilli(), "stream=edge/dt=2026-01-03/hour=00/logs-2-10-99.ndjson.zst")
	// Before 1970 the hour still rounds down, not toward zero.
	f(-1, "stream=edge/dt=1969-12-31/hour=23/logs-2-10-99.ndjson.zst")
}

// TestBatchGroupsByStreamAndHour: records of one batch land in one object
// per stream and hour of their own time, in offset order, and each object
// decompresses to exactly its records.
func TestBatchGroupsByStreamAndHour(t *testing.T) {
	base := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	var b Batch
	type rec struct {
		stream string
		at     time.Time
	}
	recs := []rec{
		{"a", base.Add(5 * time.Minute)},
		{"a", base.Add(65 * time.Minute)}, // next hour
		{"b", base.Add(10 * time.Minute)},
		{"a", base.Add(1 * time.Minute)},
		{"a", base.Add(-24 * time.Hour)}, // a day late
	}
	for i, r := range recs {
		b.Add(r.stream, r.at.UnixMilli(), &kgo.Record{Topic: "logs", Partition: 1, Offset: int64(100 + i), Timestamp: base, Value: []byte{'0' + byte(i)}}, base.UnixMilli())
	}
	if b.Records() != len(recs) {
		t.Fatalf("Records = %d", b.Records())
	}
	objs := b.Objects("logs", 1)
	want := map[string][]int64{
		"stream=a/dt=2026-05-01/hour=10/logs-1-100-103.ndjson.zst": {100, 103},
		"stream=a/dt=2026-05-01/hour=11/logs-1-101-101.ndjson.zst": {101},
		"stream=b/dt=2026-05-01/hour=10/logs-1-102-102.ndjson.zst": {102},
		"stream=a/dt=2026-04-30/hour=10/logs-1-104-104.ndjson.zst": {104},
	}
	if len(objs) != len(want) {
		t.Fatalf("%d objects, want %d", len(objs), len(want))
	}
	dec, _ := zstd.NewReader(nil)
	for _, o := range objs {
		offsets, ok := want[o.Key]
		if !ok {
			t.Fatalf("unexpected object %q", o.Key)
		}
		raw, err := dec.DecodeAll(o.Body, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(raw) != o.RawBytes {
			t.Errorf("%s: %d raw bytes, manifest says %d", o.Key, len(raw), o.RawBytes)
		}
		lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
		if len(lines) != len(offsets) || o.Records != len(offsets) {
			t.Fatalf("%s: %d lines, %d records, want %d", o.Key, len(lines), o.Records, len(offsets))
		}
		for i, s := range lines {
			l, err := ParseLine([]byte(s))
			if err != nil {
				t.Fatal(err)
			}
			if l.Offset != offsets[i] {
				t.Errorf("%s line %d: offset %d, want %d", o.Key, i, l.Offset, offsets[i])
			}
			if !strings.Contains(o.Key, l.Time.UTC().Format("dt=2006-01-02/hour=15/")) {
				t.Errorf("%s holds a record of %s", o.Key, l.Time)
			}
		}
		if o.First != offsets[0] || o.Last != offsets[len(offsets)-1] {
			t.Errorf("%s: offsets %d-%d", o.Key, o.First, o.Last)
		}
	}
	if b.Records() != 0 {
		t.Errorf("Objects left %d records in the batch", b.Records())
	}
}

func TestFolderPutIsAtomicAndListed(t *testing.T) {
	dir := t.TempDir()
	// A temporary file a killed writer left behind.
	stale := filepath.Join(dir, "stream=a", "dt=2026-01-01", "hour=00", tmpPrefix+"123")
	if err := os.MkdirAll(filepath.Dir(stale), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stale, []byte("half"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := OpenFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("OpenFolder left the stale temporary file: %v", err)
	}
	ctx := context.Background()
	testTarget(t, ctx, f)
	for _, bad := range []string{"../x", "/etc/passwd", "a/../../x", ""} {
		if err := f.Put(ctx, bad, []byte("x")); err == nil {
			t.Errorf("Put(%q) wrote outside the folder", bad)
		}
	}
}

// testTarget checks what every target must do: a Put replaces the
// object, Get returns it, List lists exactly the complete objects under a
// prefix in key order, and a missing key is ErrNotFound.
func testTarget(t *testing.T, ctx context.Context, tg Target) {
	t.Helper()
	keys := []string{
		"stream=a/dt=2026-01-01/hour=00/logs-0-0-9.ndjson.zst",
		"stream=a/dt=2026-01-01/hour=01/logs-0-10-19.ndjson.zst",
		"stream=b/dt=2026-01-01/hour=00/logs-1-0-9.ndjson.zst",
	}
	for _, k := range keys {
		if err := tg.Put(ctx, k, []byte("first "+k)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tg.Put(ctx, keys[0], []byte("second")); err != nil {
		t.Fatal(err)
	}
	rc, err := tg.Get(ctx, keys[0])
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(rc)
	rc.Close()
	if buf.String() != "second" {
		t.Errorf("Get after a second Put = %q", buf.String())
	}
	list := func(prefix string, want ...string) {
		t.Helper()
		got, err := tg.List(ctx, prefix)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, o := range got {
			names = append(names, o.Key)
		}
		if strings.Join(names, " ") != strings.Join(want, " ") {
			t.Errorf("List(%q) = %v, want %v", prefix, names, want)
		}
	}
	list("stream=a/", keys[0], keys[1])
	list("stream=a/dt=2026-01-01/hour=01/", keys[1])
	list("stream=", keys...)
	list("stream=c/")
	if _, err := tg.Get(ctx, "stream=c/none"); err == nil || !strings.Contains(err.Error(), ErrNotFound.Error()) {
		t.Errorf("Get of a missing key: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	f := func(c Config, want string) {
		t.Helper()
		err := c.Validate()
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != want {
			t.Errorf("Validate(%+v) = %q, want %q", c, got, want)
		}
	}
	ok := Default()
	ok.Enabled = true
	ok.URL = "s3://bucket/some/prefix"
	f(ok, "")
	off := Default()
	off.URL = "ftp://nowhere"
	f(off, "") // off: not checked
	c := ok
	c.URL = ""
	f(c, "ingest.archive.url is required when the archive is enabled")
	c.URL = "s3:///prefix"
	f(c, `ingest.archive.url "s3:///prefix" names no bucket (s3://bucket/prefix)`)
	c.URL = "ftp://host/x"
	f(c, `ingest.archive.url "ftp://host/x" must be a folder, file:///path or s3://bucket/prefix`)
	c = ok
	c.PartBytes = 1 << 20
	f(c, "ingest.archive.part_bytes must be at least 5242880 (5 MiB), got 1048576")
	c = ok
	c.Endpoint = "localhost:9000"
	f(c, `ingest.archive.endpoint "localhost:9000" must be an http:// or https:// URL`)
}

// TestBatchSpansChunks: a group larger than a chunk, its lines straddling
// chunk ends, compresses to one frame holding every line whole.
func TestBatchSpansChunks(t *testing.T) {
	var b Batch
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	const n = 5000
	for i := range n {
		v := []byte(strings.Repeat(string(rune('a'+i%26)), 700+i%300))
		b.Add("s", at.UnixMilli(), &kgo.Record{Topic: "t", Offset: int64(i), Timestamp: at, Value: v}, at.UnixMilli())
	}
	objs := b.Objects("t", 0)
	if len(objs) != 1 || objs[0].RawBytes < 3*chunkSize {
		t.Fatalf("%d objects, %d raw bytes: want one of several chunks", len(objs), objs[0].RawBytes)
	}
	dec, _ := zstd.NewReader(nil)
	raw, err := dec.DecodeAll(objs[0].Body, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) != objs[0].RawBytes {
		t.Fatalf("%d bytes decompressed, %d written", len(raw), objs[0].RawBytes)
	}
	for i, s := range strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n") {
		l, err := ParseLine([]byte(s))
		if err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		if l.Offset != int64(i) || len(l.Raw) != 700+i%300 {
			t.Fatalf("line %d: offset %d, %d bytes", i, l.Offset, len(l.Raw))
		}
	}
}

// BenchmarkBatch measures gathering and compressing 100k log lines of
// about 250 bytes, the archive's share of ingest's CPU; it reports the
// compressed bytes a line.
func BenchmarkBatch(b *testing.B) {
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	recs := make([]*kgo.Record, 100_000)
	for i := range recs {
		v := fmt.Sprintf(`{"ts":"%s","level":"info","service":"svc-%d","host":"host-%d","region":"eu-west-1","message":"request %d handled in %d ms","trace_id":"%032x"}`,
			at.Add(time.Duration(i)*time.Millisecond).Format(time.RFC3339Nano), i%20, i%50, i, i%997, i*7919)
		recs[i] = &kgo.Record{Topic: "logs", Offset: int64(i), Timestamp: at, Value: []byte(v)}
	}
	var size int
	b.ResetTimer()
	for range b.N {
		var bt Batch
		for _, r := range recs {
			bt.Add("default", r.Timestamp.UnixMilli(), r, at.UnixMilli())
		}
		size = 0
		for _, o := range bt.Objects("logs", 0) {
			size += len(o.Body)
		}
	}
	b.ReportMetric(float64(size)/float64(len(recs)), "bytes/line")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/line")
}

// TestParseLine: lines of appendLine's layout read by its scanner equal
// what encoding/json reads from them; lines in any other layout are read
// by encoding/json.
func TestParseLine(t *testing.T) {
	at := time.Date(2026, 3, 1, 2, 3, 4, 5e6, time.UTC)
	for _, v := range []string{`{"a":1}`, "tab\tquote\" back\\ nl\n \x01 é 😀", "", "\xff\xfe"} {
		r := &kgo.Record{Topic: "logs", Partition: 2, Offset: 99, Timestamp: at, Value: []byte(v),
			Headers: []kgo.RecordHeader{{Key: "k", Value: []byte("v\"")}}}
		line := appendLine(nil, "s", at.UnixMilli(), r, []byte(at.Format(timeLayout)))
		own, ok := parseOwn(line)
		if !ok {
			t.Fatalf("the scanner refused its own line %q", line)
		}
		var want Line
		if err := json.Unmarshal(line, &want); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(own) != fmt.Sprint(want) {
			t.Errorf("line %q: scanner %+v, encoding/json %+v", line, own, want)
		}
	}
	f := func(line, wantRaw string, scanned bool) {
		t.Helper()
		if _, ok := parseOwn([]byte(line)); ok != scanned {
			t.Errorf("the scanner took %s: %v, want %v", line, ok, scanned)
		}
		l, err := ParseLine([]byte(line))
		if err != nil {
			t.Fatal(err)
		}
		if l.Raw != wantRaw || l.Offset != 7 {
			t.Errorf("%s: raw %q offset %d", line, l.Raw, l.Offset)
		}
	}
	f(`{"offset":7,"raw":"x","time":"2026-03-01T02:03:04.005Z"}`, "x", false)
	f(`{"time":"2026-03-01T02:03:04.005Z","stream":"s","topic":"t","partition":0,"offset":7,"kafka_time":"2026-03-01T02:03:04.005Z","ingest_time":"2026-03-01T02:03:04.005Z","raw":"a\/b \ud83d\ude00"}`, "a/b 😀", false)
	f(`{"time":"2026-03-01T02:03:04.005Z","stream":"s","topic":"t","partition":0,"offset":7,"kafka_time":"2026-03-01T02:03:04.005Z","ingest_time":"2026-03-01T02:03:04.005Z","raw":"\u00e9"}`, "é", true)
	if _, err := ParseLine([]byte(`{"time":"2026-13-01T02:03:04.005Z","offset":7,"raw":"x"}`)); err == nil {
		t.Error("a line of month 13 parsed")
	}
	if _, ok := parseOwn([]byte(`{"time":"2026-02-30T02:03:04.005Z","stream":"s","topic":"t","partition":0,"offset":7,"kafka_time":"2026-03-01T02:03:04.005Z","ingest_time":"2026-03-01T02:03:04.005Z","raw":"x"}`)); ok {
		t.Error("the scanner took February 30")
	}
	if _, err := ParseLine([]byte(`{"time":`)); err == nil {
		t.Error("a cut line parsed")
	}
}
