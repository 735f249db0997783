package ingest

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/logmart/logmart/ingest/archive"
	"github.com/logmart/logmart/internal/demo"
	"github.com/logmart/logmart/store"
	"github.com/logmart/logmart/store/storetest"
)

// TestRehydrate ingests records with the archive on, empties the logs
// table (as retention would), and reads the records back: every archived
// log record of the range is stored again once, marked with the job and
// kept for rehydrated_ttl; a second run stores nothing; records still in
// the table are not doubled; a filter and a record limit bound the job.
func TestRehydrate(t *testing.T) {
	st := newStore(t)
	_, opts := newKafka(t)
	const n = 3000
	recs := archiveMix(n)
	produce(t, opts, recs)
	cfg := testConfig("g-rehydrate")
	cfg.Archive = archive.Default()
	cfg.Archive.Enabled, cfg.Archive.URL = true, t.TempDir()
	stop := runIngester(t, cfg, st, opts, nil)
	waitCount(t, st, "SELECT count() FROM logs", n+2)
	stop()
	ctx := context.Background()
	rh, err := NewRehydrator(cfg, st, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	all := RehydrateRequest{Stream: "default", From: now.Add(-3 * 365 * 24 * time.Hour), To: now.Add(time.Hour)}
	run := func(req RehydrateRequest) RehydrateProgress {
		t.Helper()
		var calls int
		p, err := rh.Run(ctx, req, func(RehydrateProgress) { calls++ })
		if err != nil {
			t.Fatal(err)
		}
		if calls != p.Done+1 || (p.Done != p.Objects && !p.Truncated) {
			t.Errorf("%d progress calls for %d objects, %d done", calls, p.Objects, p.Done)
		}
		return p
	}
	check := func(p RehydrateProgress, records, stored, already, filtered int) {
		t.Helper()
		if p.Records != records || p.Stored != stored || p.AlreadyStored != already || p.Filtered != filtered {
			t.Errorf("%+v: want %d records, %d rows stored, %d already stored, %d filtered", p, records, stored, already, filtered)
		}
	}

	// The live rows are there and are not stored twice; only the record
	// older than its stream's retention, which live ingest set aside, is
	// stored, for the rehydration's retention counted from now.
	p := run(all)
	check(p, 1, 1, n+2, 0)
	if p.Undecodable != 2 {
		t.Errorf("%d undecodable records, want the 2 dead letters", p.Undecodable)
	}

	if err := st.Exec(ctx, store.Query{SQL: "TRUNCATE TABLE logs"}); err != nil {
		t.Fatal(err)
	}
	p = run(all)
	check(p, n+3, n+3, 0, 0)
	if got := count(t, st, "SELECT count() FROM logs"); got != n+3 {
		t.Fatalf("%d rows after rehydrating, want %d", got, n+3)
	}
	if got := count(t, st, "SELECT countIf(rehydrate_job = '"+p.Job+"' AND retention_days = 7 AND retention_from_ingest = 1) FROM logs"); got != n+3 {
		t.Errorf("%d of %d rows carry the job %s and its retention", got, n+3, p.Job)
	}
	again := run(all)
	check(again, 0, 0, n+3, 0)
	if again.Job != p.Job {
		t.Errorf("the same request got job %s, then %s", p.Job, again.Job)
	}
	if got := count(t, st, "SELECT count() FROM logs"); got != n+3 {
		t.Fatalf("%d rows after rehydrating twice, want %d", got, n+3)
	}

	// A filter, then the rest; a limit.
	if err := st.Exec(ctx, store.Query{SQL: "TRUNCATE TABLE logs"}); err != nil {
		t.Fatal(err)
	}
	some := all
	some.Filter = `service == "archive-test"`
	check(run(some), 3, 3, 0, n)
	check(run(all), n, n, 3, 0)
	if err := st.Exec(ctx, store.Query{SQL: "TRUNCATE TABLE logs"}); err != nil {
		t.Fatal(err)
	}
	limited := all
	limited.MaxRecords = 100
	if p := run(limited); p.Records != 100 || !p.Truncated || p.Stored != 100 {
		t.Errorf("with max_records 100: %+v", p)
	}

	// Requests a user must fix.
	f := func(req RehydrateRequest, want string) {
		t.Helper()
		_, err := rh.Run(ctx, req, nil)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%+v: error %v, want %q", req, err, want)
		}
	}
	bad := all
	bad.From, bad.To = all.To, all.From
	f(bad, "must be before to")
	bad = all
	bad.Stream = "nosuch"
	f(bad, `stream "nosuch" is not in streams.yaml and has nothing archived`)
	bad = all
	bad.Filter = `service ==`
	f(bad, `filter "service ==":`)
	bad = all
	bad.Stream = "Bad Name"
	f(bad, `stream "Bad Name" is not a stream name`)
}

// BenchmarkRehydrate measures storing 1M archived log lines again (the
// issue's aim: 300k lines a second), from a folder archive written by the
// archive's own Batch, into an emptied logs table each time.
func BenchmarkRehydrate(b *testing.B) {
	st := storetest.Database(b)
	dir := b.TempDir()
	folder, err := archive.OpenFolder(dir)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	const n, perObject = 1_000_000, 100_000
	r := rand.New(rand.NewPCG(1, 1))
	start := time.Now().Add(-time.Hour).Truncate(time.Hour)
	for first := 0; first < n; first += perObject {
		var bt archive.Batch
		for i := first; i < first+perObject; i++ {
			at := start.Add(time.Duration(i) * time.Millisecond)
			bt.Add("default", at.UnixMilli(), &kgo.Record{Topic: "logs", Offset: int64(i), Timestamp: at, Value: demo.LogLine(r, at, nil)}, at.UnixMilli())
		}
		for _, o := range bt.Objects("logs", 0) {
			if err := folder.Put(ctx, o.Key, o.Body); err != nil {
				b.Fatal(err)
			}
		}
	}
	cfg := Default()
	cfg.Archive.Enabled, cfg.Archive.URL = true, dir
	rh, err := NewRehydrator(cfg, st, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	req := RehydrateRequest{Stream: "default", From: start, To: start.Add(2 * time.Hour)}
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		if err := st.Exec(ctx, store.Query{SQL: "TRUNCATE TABLE logs"}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		p, err := rh.Run(ctx, req, nil)
		if err != nil {
			b.Fatal(err)
		}
		if p.Stored != n {
			b.Fatalf("%d rows stored, want %d", p.Stored, n)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "lines/s")
}
