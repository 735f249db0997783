package fileload

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/logmart/logmart/ingest"
	"github.com/logmart/logmart/store"
	"github.com/logmart/logmart/store/storetest"
)

func TestMain(m *testing.M) {
	storetest.Main(m, "fileload_test", nil)
}

// Regression: lines older than their stream's retention were stored,
// counted as sent, and deleted by the table's TTL within seconds; the
// summary of ingest file said nothing. The server now sets them aside as
// dead letters, and Await tells the run how many and why. With Backfill
// the same lines are stored.
func TestAwaitCountsDeadLetters(t *testing.T) {
	kopts := newKafka(t)
	st := storetest.Database(t)
	cfg := ingest.Default()
	cfg.Group = "logmart-ingest"
	cfg.Batch.Interval = 200 * time.Millisecond
	g, err := ingest.New(cfg, st, kopts, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); g.Run(ctx) }()
	defer func() { cancel(); <-done }()

	var file bytes.Buffer
	now := time.Now().UTC()
	for i := range 545 { // a line a day, back 545 days
		fmt.Fprintf(&file, "{\"ts\":%q,\"message\":\"day %d\"}\n", now.Add(-time.Duration(i)*24*time.Hour).Format(time.RFC3339), i)
	}
	file.WriteString("not json\n")
	send := func(backfill bool) (Progress, Outcome) {
		t.Helper()
		cl := newProducer(t, kopts)
		since := time.Now()
		opts := Options{Stream: "imported", Format: "json", Backfill: backfill, Run: NewRun()}
		p, err := Send(context.Background(), cl, opts, bytes.NewReader(file.Bytes()), nil)
		if err != nil {
			t.Fatal(err)
		}
		wctx, wcancel := context.WithTimeout(context.Background(), time.Minute)
		defer wcancel()
		out, err := Await(wctx, cl, DefaultTopic, opts.Run, since, p.Spans, Server{})
		if err != nil {
			t.Fatal(err)
		}
		return p, out
	}

	// The stream is not in the (default) stream rules: 30 days, the
	// default stream's retention. Days 0 to 29 are within it.
	p, out := send(false)
	want := map[string]int64{ingest.ReasonOlderThanRetention: 545 - 30, ingest.ReasonMalformed: 1}
	if p.Acked != 546 || !out.Done || !maps.Equal(out.Dead, want) {
		t.Fatalf("acked %d, outcome %+v, want done with %v", p.Acked, out, want)
	}
	if got := DeadText(out.Dead); got != "515 older_than_retention, 1 malformed" {
		t.Fatalf("DeadText = %q", got)
	}
	if n := rows(t, st, "SELECT count() FROM logs WHERE stream = 'imported'"); n != 30 {
		t.Fatalf("%d rows stored, want 30", n)
	}

	p, out = send(true)
	want = map[string]int64{ingest.ReasonMalformed: 1}
	if p.Acked != 546 || !out.Done || !maps.Equal(out.Dead, want) {
		t.Fatalf("backfill: acked %d, outcome %+v, want done with %v", p.Acked, out, want)
	}
	if n := rows(t, st, "SELECT count() FROM logs WHERE stream = 'imported' AND retention_from_ingest = 1"); n != 545 {
		t.Fatalf("backfill: %d rows stored, want 545", n)
	}
}

func rows(t *testing.T, st store.Store, sql string) int {
	t.Helper()
	res, err := st.Query(context.Background(), store.Query{SQL: sql})
	if err != nil {
		t.Fatal(err)
	}
	return int(store.CellInt64(res.Rows[0][0]))
}
