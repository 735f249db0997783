package ingest

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/logmart/logmart/ingest/archive"
	"github.com/logmart/logmart/ingest/archive/archivetest"
	"github.com/logmart/logmart/store"
)

// archiveMix is records of every kind the archive must keep: log lines,
// lines of other hours and days, one older than its stream's retention,
// one that is not JSON and one that is not UTF-8 (both dead letters), in
// the order produced.
func archiveMix(n int) []*kgo.Record {
	recs := logRecords(n, 7)
	now := time.Now().UTC()
	for i, at := range []time.Time{now.Add(-3 * time.Hour), now.Add(-26 * time.Hour), now.Add(-2 * 365 * 24 * time.Hour)} {
		recs = append(recs, &kgo.Record{Topic: "logs",
			Value: fmt.Appendf(nil, `{"ts":%q,"level":"info","service":"archive-test","message":"at %d"}`, at.Format(time.RFC3339Nano), i)})
	}
	recs = append(recs,
		&kgo.Record{Topic: "logs", Value: []byte(`{"not json`)},
		&kgo.Record{Topic: "logs", Value: []byte{'{', 0xff, 0xfe, '}'}},
	)
	return recs
}

// archived reads every object of the archive and returns its lines by
// "partition/offset", failing on a record archived twice or an object
// whose name disagrees with its lines.
func archived(t *testing.T, tg archive.Target) map[string]archive.Line {
	t.Helper()
	ctx := context.Background()
	objs, err := tg.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]archive.Line{}
	for _, o := range objs {
		err := archive.Scan(ctx, tg, o.Key, func(l archive.Line) error {
			k := fmt.Sprintf("%d/%d", l.Partition, l.Offset)
			if _, dup := out[k]; dup {
				return fmt.Errorf("record %s archived twice (again in %s)", k, o.Key)
			}
			out[k] = l
			if want := l.Time.UTC().Format("stream=" + l.Stream + "/dt=2006-01-02/hour=15/"); !strings.HasPrefix(o.Key, want) {
				return fmt.Errorf("object %s holds a record of %s, stream %s", o.Key, l.Time, l.Stream)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// checkArchive compares the archive with the records produced (their
// Partition and Offset set by the produce), and the manifest with the
// archive.
func checkArchive(t *testing.T, st store.Store, tg archive.Target, recs []*kgo.Record) map[string]archive.Line {
	t.Helper()
	got := archived(t, tg)
	if len(got) != len(recs) {
		t.Errorf("%d records archived, %d produced", len(got), len(recs))
	}
	for _, r := range recs {
		l, ok := got[fmt.Sprintf("%d/%d", r.Partition, r.Offset)]
		if !ok {
			t.Errorf("record %d/%d is not archived", r.Partition, r.Offset)
			continue
		}
		v, err := l.Value()
		if err != nil || string(v) != string(r.Value) {
			t.Errorf("record %d/%d archived as %q, %v; produced %q", r.Partition, r.Offset, v, err, r.Value)
		}
	}
	objs, err := tg.List(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, st, "SELECT count() FROM (SELECT object FROM archive_manifests LIMIT 1 BY object)"); n != len(objs) {
		t.Errorf("the manifest lists %d objects, the archive holds %d", n, len(objs))
	}
	if n := count(t, st, "SELECT sum(records) FROM (SELECT * FROM archive_manifests LIMIT 1 BY object)"); n != len(recs) {
		t.Errorf("the manifest counts %d records, %d produced", n, len(recs))
	}
	return got
}

func TestArchiveEveryRecordToFolder(t *testing.T) {
	st := newStore(t)
	_, opts := newKafka(t)
	recs := archiveMix(20000)
	produce(t, opts, recs)
	cfg := testConfig("g-archive-folder")
	cfg.Archive = archive.Default()
	cfg.Archive.Enabled, cfg.Archive.URL = true, t.TempDir()
	stop := runIngester(t, cfg, st, opts, nil)
	waitCount(t, st, "SELECT count() FROM logs", 20000+2)
	waitCount(t, st, "SELECT count() FROM dead_letters", 3)
	stop()

	tg, err := archive.OpenFolder(cfg.Archive.URL)
	if err != nil {
		t.Fatal(err)
	}
	got := checkArchive(t, st, tg, recs)
	// The record older than its retention is archived at its own time,
	// which names its folder, though its row was not stored.
	old := recs[20002]
	l := got[fmt.Sprintf("%d/%d", old.Partition, old.Offset)]
	if age := time.Since(l.Time); age < 700*24*time.Hour || l.Stream != "default" {
		t.Errorf("the record older than retention is archived at %s in %q", l.Time, l.Stream)
	}
	bad := recs[len(recs)-1]
	if l := got[fmt.Sprintf("%d/%d", bad.Partition, bad.Offset)]; !l.RawBase64 || !l.KafkaTime.Equal(l.Time) {
		t.Errorf("the record that is not UTF-8: raw_base64 %v, time %s, Kafka time %s", l.RawBase64, l.Time, l.KafkaTime)
	}
	days, err := archive.NewCatalog(st).Days(context.Background(), archive.DayFilter{Stream: "default"}, store.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	var total uint64
	for _, d := range days {
		total += d.Records
		if d.Oldest.Format(time.DateOnly) != d.Day || d.Newest.Format(time.DateOnly) != d.Day {
			t.Errorf("day %s holds records from %s to %s", d.Day, d.Oldest, d.Newest)
		}
	}
	if total != uint64(len(recs)) || len(days) < 3 {
		t.Errorf("archive days %+v: %d records, want %d over at least 3 days", days, total, len(recs))
	}
}

// TestArchiveDownHoldsIngestBack: while the archive's S3 store fails
// every request, no row is stored and no offset committed; a consumer
// that starts after the store is back stores and archives every record
// exactly once.
func TestArchiveDownHoldsIngestBack(t *testing.T) {
	st := newStore(t)
	_, opts := newKafka(t)
	s3 := archivetest.NewS3(t, "archive")
	s3.SetFail(func(*http.Request) bool { return true })
	recs := archiveMix(5000)
	produce(t, opts, recs)
	cfg := testConfig("g-archive-down")
	cfg.Archive = archive.Default()
	cfg.Archive.Enabled, cfg.Archive.URL, cfg.Archive.Endpoint, cfg.Archive.PathStyle = true, "s3://archive/logmart", s3.URL, true
	stop := runIngester(t, cfg, st, opts, nil)
	deadline := time.Now().Add(60 * time.Second)
	for len(s3.Requests()) < 20 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if len(s3.Requests()) < 20 {
		t.Fatalf("the ingester tried the archive %d times in a minute", len(s3.Requests()))
	}
	stop()
	for _, table := range []string{"logs", "dead_letters", "archive_manifests"} {
		if n := count(t, st, "SELECT count() FROM "+table); n != 0 {
			t.Fatalf("%d rows in %s while the archive was down", n, table)
		}
	}

	s3.SetFail(nil)
	stop = runIngester(t, cfg, st, opts, nil)
	defer stop()
	waitCount(t, st, "SELECT count() FROM logs", 5000+2)
	waitCount(t, st, "SELECT count() FROM dead_letters", 3)
	tg, err := archive.Open(context.Background(), cfg.Archive)
	if err != nil {
		t.Fatal(err)
	}
	checkArchive(t, st, tg, recs)
}
