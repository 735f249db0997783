package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestIngest runs the whole bench once with a small event count and checks
// that what it reports is consistent. It asserts no speed: numbers from a
// shared test machine mean nothing. The embedded engine boots once per
// process, so this is the package's only test that runs Ingest to the end.
func TestIngest(t *testing.T) {
	var log *slog.Logger
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	var prof bytes.Buffer
	polls := 0
	const events = 20000
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := Ingest(ctx, IngestOptions{
		Events:     events,
		Data:       filepath.Join(t.TempDir(), "data"),
		CPUProfile: &prof,
		Progress:   func(IngestProgress) { polls++ },
	}, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", res)

	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]float64
	if err := json.Unmarshal(b, &obj); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"cpu_seconds", "events", "events_per_sec", "freshness_p50_ms", "freshness_p95_ms",
		"mb_per_sec", "peak_rss_bytes", "rss_idle_bytes", "seconds"}
	if !slices.Equal(keys, want) {
		t.Fatalf("JSON keys = %v, want %v", keys, want)
	}

	if res.Events != events {
		t.Errorf("events = %d, want %d", res.Events, events)
	}
	for name, v := range map[string]float64{
		"seconds": res.Seconds, "events_per_sec": res.EventsPerSec, "mb_per_sec": res.MBPerSec,
		"cpu_seconds": res.CPUSeconds, "peak_rss_bytes": float64(res.PeakRSSBytes),
		"rss_idle_bytes": float64(res.RSSIdleBytes), "freshness_p95_ms": res.FreshnessP95Ms,
	} {
		if !(v > 0) {
			t.Errorf("%s = %v, want > 0", name, v)
		}
	}
	if res.FreshnessP50Ms > res.FreshnessP95Ms || res.FreshnessP95Ms > res.FreshnessMaxMs {
		t.Errorf("freshness p50 %v, p95 %v, max %v are out of order", res.FreshnessP50Ms, res.FreshnessP95Ms, res.FreshnessMaxMs)
	}
	if res.PeakRSSBytes < res.RSSIdleBytes {
		t.Errorf("peak RSS %d is below idle RSS %d", res.PeakRSSBytes, res.RSSIdleBytes)
	}
	// A compact record is about 245 bytes.
	if per := res.Bytes / events; per < 150 || per > 1000 {
		t.Errorf("%d value bytes for %d records: %d bytes each, want about 245", res.Bytes, events, per)
	}
	if res.ProduceSeconds <= 0 || res.ProduceSeconds > res.Seconds {
		t.Errorf("produce seconds %v, want in (0, %v]", res.ProduceSeconds, res.Seconds)
	}
	if res.Inserts.Rows != events || res.Inserts.Count < 1 {
		t.Errorf("insert stats %+v, want %d rows in at least one insert", res.Inserts, events)
	}
	if prof.Len() == 0 {
		t.Error("the CPU profile is empty")
	}
	if polls == 0 {
		t.Error("progress was never reported")
	}
}

func TestIngestOptionsErrors(t *testing.T) {
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	f := func(o IngestOptions, want string) {
		t.Helper()
		_, err := Ingest(context.Background(), o, nil)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("Ingest(%+v) = %v, want an error containing %q", o, err, want)
		}
	}
	f(IngestOptions{}, "events must be at least 1, got 0")
	f(IngestOptions{Events: 10, Partitions: -1}, "partitions must be between 1 and 1024, got -1")
	f(IngestOptions{Events: 10, BatchRows: -5}, "batch rows must be between 1 and 10000000, got -5")
	f(IngestOptions{Events: 10, Rate: -1}, "rate must be 0 (as fast as possible) or positive, got -1")
	f(IngestOptions{Events: 10, Data: full}, "is not empty")
}

// Freshness over runs of acks weighs each run by its records: the same
// percentiles as one duration per record.
func TestFreshnessWeighsRunsByRecords(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	r := &run{acks: newAckLog(3), vis: make([][]visStep, 3)}
	var perRecord []time.Duration
	for p := range 3 {
		var off int64
		var at time.Duration
		for off < 5000 {
			n := 1 + rng.Int64N(300)
			at += time.Duration(rng.Int64N(int64(5 * time.Millisecond)))
			r.acks.parts[p] = append(r.acks.parts[p], ackRun{from: off, upTo: off + n - 1, t: at})
			off += n
		}
		var written time.Duration
		for upTo := int64(-1); upTo < off-1; {
			upTo = min(off-1, upTo+1+rng.Int64N(1200))
			written += time.Duration(rng.Int64N(int64(40 * time.Millisecond)))
			r.vis[p] = append(r.vis[p], visStep{upTo: upTo, t: 2*time.Second + written})
		}
		// The same, record by record.
		for _, ar := range r.acks.parts[p] {
			for o := ar.from; o <= ar.upTo; o++ {
				for _, st := range r.vis[p] {
					if st.upTo >= o {
						perRecord = append(perRecord, st.t-ar.t)
						break
					}
				}
			}
		}
	}
	slices.Sort(perRecord)
	at := func(q float64) time.Duration { return perRecord[int(math.Ceil(q*float64(len(perRecord))))-1] }
	p50, p95, pmax := r.freshness()
	if p50 != at(0.5) || p95 != at(0.95) || pmax != perRecord[len(perRecord)-1] {
		t.Fatalf("freshness %v / %v / %v, record by record %v / %v / %v", p50, p95, pmax, at(0.5), at(0.95), perRecord[len(perRecord)-1])
	}
}

// Acks of consecutive offsets stamped alike share one run; an ack out of
// offset order is an error.
func TestAckLogRuns(t *testing.T) {
	a := newAckLog(2)
	a.start = time.Now()
	for o := range int64(10) {
		a.promise(&kgo.Record{Partition: 1, Offset: o, Value: []byte("x")}, nil)
	}
	if n := len(a.parts[1]); n < 1 || n > 2 || a.parts[1][0].from != 0 || a.parts[1][n-1].upTo != 9 {
		t.Fatalf("10 acks in a row made runs %+v, want one or two covering 0-9", a.parts[1])
	}
	if a.count() != 10 || a.failed() != nil {
		t.Fatalf("count %d, err %v", a.count(), a.failed())
	}
	a.promise(&kgo.Record{Partition: 1, Offset: 4}, nil)
	if err := a.failed(); err == nil || !strings.Contains(err.Error(), "offset 4") {
		t.Fatalf("an ack out of order: err %v", err)
	}
}
