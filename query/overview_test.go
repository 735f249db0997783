package query

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/store"
)

// overviewEnd ends the overview tests' window: far from the rows other
// tests write around now, so the window holds only these.
var overviewEnd = time.Date(2020, 6, 1, 12, 0, 0, 0, time.UTC)

var (
	overviewOnce sync.Once
	overviewErr  error
)

// insertOverviewRows writes rows around overviewEnd: three of stream ov-a
// in its last 15 minutes (one an error, one ingested in its last minute),
// one of ov-b two hours before it, and one of ov-b after it.
func insertOverviewRows(t *testing.T) {
	t.Helper()
	overviewOnce.Do(func() {
		at := func(d time.Duration) string { return "'" + fmtTime(overviewEnd.Add(d)) + "'" }
		rows := []string{
			"(" + at(-time.Minute) + ", " + at(-30*time.Second) + ", 'ov-a', 's1', 'info', 'a1', 65535)",
			"(" + at(-2*time.Minute) + ", " + at(-2*time.Minute) + ", 'ov-a', 's1', 'error', 'a2', 65535)",
			"(" + at(-14*time.Minute) + ", " + at(-14*time.Minute) + ", 'ov-a', 's1', 'info', 'a3', 65535)",
			"(" + at(-2*time.Hour) + ", " + at(-2*time.Hour) + ", 'ov-b', 's2', 'info', 'b1', 65535)",
			"(" + at(time.Minute) + ", " + at(time.Minute) + ", 'ov-b', 's2', 'info', 'b2', 65535)",
		}
		// retention_days keeps rows of 2020 from the table's TTL.
		overviewErr = testStore.Exec(context.Background(), store.Query{SQL: "INSERT INTO logs (timestamp, ingest_time, stream, service, level, body, retention_days) SETTINGS insert_deduplicate = 0 VALUES " +
			strings.Join(rows, ", ")})
		if overviewErr == nil {
			overviewErr = testStore.Exec(context.Background(), store.Query{SQL: "INSERT INTO events (timestamp, ingest_time, stream, type, retention_days) SETTINGS insert_deduplicate = 0 VALUES (" +
				at(-3*time.Minute) + ", " + at(-3*time.Minute) + ", 'ov-e', 'audit', 65535), (" + at(-4*time.Minute) + ", " + at(-4*time.Minute) + ", 'ov-e', 'audit', 65535)"})
		}
	})
	if overviewErr != nil {
		t.Fatal(overviewErr)
	}
}

func newOverviewReader(st store.Store, audit *Audit) *OverviewReader {
	o := NewOverviewReader(NewRunner(st, audit), time.Minute)
	o.now = func() time.Time { return overviewEnd.Add(5 * time.Second) }
	return o
}

// Regression: the overview's totals and streams counted every row of logs
// with no time bound (the row two hours back and the one after the window
// were in them). Every read now counts the requested window only.
func TestOverviewCountsTheWindowOnly(t *testing.T) {
	insertOverviewRows(t)
	o := newOverviewReader(testStore, nil)
	ctx := context.Background()
	who := Caller{User: "overview-window", Role: "viewer", Source: "api"}

	ov, err := o.Overview(ctx, who, 15, store.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if !ov.GeneratedAt.Equal(overviewEnd) {
		t.Errorf("generated_at %s, want the window's end %s (now rounded down to the cache's lifetime)", ov.GeneratedAt, overviewEnd)
	}
	if got, want := ov.Totals, (OverviewTotals{Rows: 3, RowsLastMinute: 1, Services: 1, BytesOnDisk: ov.Totals.BytesOnDisk}); got != want {
		t.Errorf("totals %+v, want %+v", got, want)
	}
	if ov.Totals.BytesOnDisk == 0 {
		t.Errorf("bytes_on_disk is 0")
	}
	if len(ov.Streams) != 1 || ov.Streams[0].Name != "ov-a" || ov.Streams[0].Rows != 3 || ov.Streams[0].Newest != "2020-06-01T11:59:00Z" {
		t.Errorf("streams %+v, want ov-a with 3 rows, newest 11:59:00", ov.Streams)
	}
	if len(ov.Tables) != 3 || ov.Tables[0].Table != "logs" || ov.Tables[0].Rows != 3 || ov.Tables[1].Table != "events" || ov.Tables[1].Rows != 2 || ov.Tables[2].Table != "metrics" {
		t.Errorf("tables %+v, want logs 3 rows, events 2, then metrics", ov.Tables)
	}
	if len(ov.Tables) > 0 && ov.Streams[0].BytesOnDisk != ov.Tables[0].BytesOnDisk {
		t.Errorf("the one stream's share is %d bytes, want all the logs table's %d", ov.Streams[0].BytesOnDisk, ov.Tables[0].BytesOnDisk)
	}
	if ov.Scoped {
		t.Errorf("an unscoped caller's overview says scoped")
	}
	if len(ov.Services) != 1 || ov.Services[0] != (ServiceErrors{Service: "s1", Rows: 3, Errors: 1}) {
		t.Errorf("services %+v", ov.Services)
	}
	var rate, levels uint64
	for _, p := range ov.Rate {
		rate += p.Rows
	}
	for _, p := range ov.Levels {
		levels += p.Rows
	}
	if rate != 3 || levels != 3 || len(ov.Rate) != 3 {
		t.Errorf("rate %+v and levels %+v, want 3 rows in 3 buckets each", ov.Rate, ov.Levels)
	}

	// A longer window takes the older row in, never the one after it.
	ov, err = o.Overview(ctx, who, 180, store.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if ov.Totals.Rows != 4 || ov.Totals.Services != 2 || len(ov.Streams) != 2 || ov.Streams[1].Rows != 1 {
		t.Errorf("3 hours: totals %+v, streams %+v", ov.Totals, ov.Streams)
	}

	// A scoped caller counts its streams only.
	ov, err = o.Overview(ctx, who, 180, store.Settings{TableFilters: map[string]string{"logs": "stream = 'ov-b'"}})
	if err != nil {
		t.Fatal(err)
	}
	if ov.Totals.Rows != 1 || len(ov.Streams) != 1 || ov.Streams[0].Name != "ov-b" {
		t.Errorf("scoped: totals %+v, streams %+v", ov.Totals, ov.Streams)
	}

	for _, minutes := range []int{0, -1, MaxOverviewMinutes + 1} {
		if _, err := o.Overview(ctx, who, minutes, store.Settings{}); fault.KindOf(err) != fault.BadInput || !strings.Contains(err.Error(), "minutes must be between 1 and 10080") {
			t.Errorf("minutes %d: err %v", minutes, err)
		}
	}
}

// TestOverviewIsCachedAndAudited: a second overview within the cache's
// lifetime runs no statement, and both are in query_log, read by read,
// with the caller's source.
func TestOverviewIsCachedAndAudited(t *testing.T) {
	insertOverviewRows(t)
	cs := &countingStore{Store: testStore}
	audit := NewAudit(testStore, nil)
	o := newOverviewReader(cs, audit)
	ctx := context.Background()
	who := Caller{User: "overview-audit", Role: "viewer", Source: "ui"}
	first, err := o.Overview(ctx, who, 15, store.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	ran := cs.runs.Load()
	if ran != 7 {
		t.Errorf("the overview ran %d statements, want 7", ran)
	}
	second, err := o.Overview(ctx, who, 15, store.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if n := cs.runs.Load() - ran; n != 0 {
		t.Errorf("a repeat within the cache's lifetime ran %d statements", n)
	}
	if second.Totals != first.Totals {
		t.Errorf("cached totals %+v, first %+v", second.Totals, first.Totals)
	}
	// Other settings are another caller's results.
	if _, err := o.Overview(ctx, who, 15, store.Settings{MaxRowsToRead: 1_000_000}); err != nil {
		t.Fatal(err)
	}
	if n := cs.runs.Load() - ran; n != 7 {
		t.Errorf("other settings ran %d statements, want 7", n)
	}
	audit.Close()

	res, err := testStore.Query(ctx, store.Query{SQL: "SELECT template, source, params FROM query_log WHERE user = 'overview-audit' ORDER BY template, time",
		Settings: store.Settings{}})
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, r := range res.Rows {
		count[store.CellString(r[0])]++
		if store.CellString(r[1]) != "ui" {
			t.Errorf("%s audited with source %q", r[0], r[1])
		}
		if store.CellString(r[0]) == "overview.streams" && !strings.Contains(store.CellString(r[2]), `"from":"2020-06-01 11:45:00.000"`) {
			t.Errorf("overview.streams audited with params %s, want the window's from", r[2])
		}
	}
	for _, name := range []string{"totals", "tables", "rate", "levels", "streams", "services", "disk"} {
		if count["overview."+name] != 3 {
			t.Errorf("overview.%s has %d query_log rows, want 3 (ran, reused, ran with other settings)", name, count["overview."+name])
		}
	}
}

// TestOverviewScopedHidesDisk: before, a token scoped to one stream was
// shown the whole table's size on disk and every stream's share of it.
func TestOverviewScopedHidesDisk(t *testing.T) {
	insertOverviewRows(t)
	o := newOverviewReader(testStore, nil)
	ov, err := o.Overview(context.Background(), Caller{User: "scoped", Role: "viewer"}, 15,
		store.Settings{TableFilters: map[string]string{"logs": "stream IN ('ov-a')"}, DenyUnlisted: true})
	if err != nil {
		t.Fatal(err)
	}
	if !ov.Scoped || ov.Totals.BytesOnDisk != 0 {
		t.Errorf("scoped %v, bytes_on_disk %d: want scoped and no size", ov.Scoped, ov.Totals.BytesOnDisk)
	}
	for _, tb := range ov.Tables {
		if tb.BytesOnDisk != 0 || (tb.Table != "logs" && tb.Rows != 0) {
			t.Errorf("table %+v: want no size, and no rows outside the scope", tb)
		}
	}
	for _, st := range ov.Streams {
		if st.Name != "ov-a" || st.BytesOnDisk != 0 {
			t.Errorf("stream %+v: want only ov-a, without a size", st)
		}
	}
}
