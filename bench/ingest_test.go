package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
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
