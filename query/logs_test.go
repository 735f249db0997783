package query

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/store"
)

// insertLogLines writes n lines of service on host web-1, level by index
// (every fifth an error), two lines per millisecond so that a page ends in
// the middle of a millisecond, with an attribute route, ingested at
// ingested+i ms from Kafka partition 0 offsets base+i; attribute n is
// the line's index, a field of many values.
func insertLogLines(t *testing.T, service string, at, ingested time.Time, n, base int) {
	t.Helper()
	var vals []string
	for i := range n {
		level := "info"
		if i%5 == 0 {
			level = "error"
		}
		vals = append(vals, fmt.Sprintf("('%s', 'test', '%s', 'web-1', '%s', 'line %d of %s', map('route', '/r%d', 'user', 'u', 'n', '%d'), '%s', 'logs', 0, %d)",
			fmtTime(at.Add(time.Duration(i/2)*time.Millisecond)), service, level, i, service, i%3, i,
			fmtTime(ingested.Add(time.Duration(i)*time.Millisecond)), base+i))
	}
	err := testStore.Exec(context.Background(), store.Query{SQL: "INSERT INTO logs (timestamp, stream, service, host, level, body, attributes, ingest_time, kafka_topic, kafka_partition, kafka_offset) SETTINGS insert_deduplicate = 0 VALUES " + strings.Join(vals, ", ")})
	if err != nil {
		t.Fatal(err)
	}
}

func column(res *store.Result, name string) int {
	for i, c := range res.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// TestSearchCursorPagesThroughEveryLineOnce pages a search of 103 lines,
// two to a millisecond, 10 at a time: every line comes once, newest first,
// and the last page says there is no more.
func TestSearchCursorPagesThroughEveryLineOnce(t *testing.T) {
	ctx := context.Background()
	r := NewRunner(testStore, nil)
	at := time.Now().UTC().Add(-10 * time.Minute).Truncate(time.Second)
	insertLogLines(t, "pager", at, at, 103, 1000)

	q := LogSearch{From: at.Add(-time.Minute), To: at.Add(time.Minute), Service: "pager", Limit: 10}
	seen := map[int64]bool{}
	pages := 0
	var last time.Time
	for {
		page, err := r.SearchLogs(ctx, alice, q, store.Settings{})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		off, ts := column(page.Result, "kafka_offset"), column(page.Result, "timestamp")
		for _, row := range page.Rows {
			o := store.CellInt64(row[off])
			if seen[o] {
				t.Fatalf("offset %d came twice", o)
			}
			seen[o] = true
			tm := store.CellTime(row[ts])
			if !last.IsZero() && tm.After(last) {
				t.Fatalf("line at %s came after one at %s: not newest first", tm, last)
			}
			last = tm
		}
		if page.Next == "" {
			break
		}
		q.Cursor = page.Next
		if pages > 20 {
			t.Fatal("the cursor does not end")
		}
	}
	if len(seen) != 103 || pages != 11 {
		t.Fatalf("%d lines in %d pages, want 103 in 11", len(seen), pages)
	}

	q.Cursor = "not-a-cursor"
	if _, err := r.SearchLogs(ctx, alice, q, store.Settings{}); fault.KindOf(err) != fault.BadInput || !strings.Contains(err.Error(), "cursor") {
		t.Fatalf("a forged cursor = %v, want bad input naming the cursor", err)
	}
}

func TestSearchFilters(t *testing.T) {
	ctx := context.Background()
	r := NewRunner(testStore, nil)
	at := time.Now().UTC().Add(-20 * time.Minute).Truncate(time.Second)
	insertLogLines(t, "filtered", at, at, 30, 5000)
	base := LogSearch{From: at.Add(-time.Minute), To: at.Add(time.Minute), Service: "filtered", Limit: 100}

	f := func(name string, q LogSearch, want int) {
		t.Helper()
		page, err := r.SearchLogs(ctx, alice, q, store.Settings{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(page.Rows) != want {
			t.Fatalf("%s: %d lines, want %d", name, len(page.Rows), want)
		}
	}
	f("service", base, 30)
	q := base
	q.Level = "error"
	f("level", q, 6)
	q = base
	q.Host = "web-2"
	f("host", q, 0)
	q = base
	q.Attrs = map[string]string{"route": "/r1"}
	f("attribute", q, 10)
	q.Attrs["user"] = "u"
	f("two attributes", q, 10)
	q.Attrs["user"] = "' OR 1=1 --"
	f("a hostile attribute value is a value", q, 0)

	bad := base
	bad.Attrs = map[string]string{"": "x"}
	if _, err := r.SearchLogs(ctx, alice, bad, store.Settings{}); fault.KindOf(err) != fault.BadInput || !strings.Contains(err.Error(), "attr") {
		t.Fatalf("empty attribute key = %v", err)
	}
	bad.Attrs = map[string]string{"k": strings.Repeat("x", 300)}
	if _, err := r.SearchLogs(ctx, alice, bad, store.Settings{}); fault.KindOf(err) != fault.BadInput || !strings.Contains(err.Error(), `attr "k"`) {
		t.Fatalf("oversized attribute value = %v", err)
	}
}

func TestHistogramFacetsContext(t *testing.T) {
	ctx := context.Background()
	r := NewRunner(testStore, nil)
	at := time.Now().UTC().Add(-30 * time.Minute).Truncate(time.Second)
	insertLogLines(t, "tools", at, at, 40, 9000)
	q := LogSearch{From: at.Add(-5 * time.Minute), To: at.Add(5 * time.Minute), Service: "tools", Limit: 1}

	h, err := r.LogHistogram(ctx, alice, q, store.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if h.StepMS != 5000 {
		t.Errorf("step for 10 minutes = %d ms, want 5000 (120 buckets at most)", h.StepMS)
	}
	var errs, all int64
	for _, b := range h.Buckets {
		errs += b.Levels["error"]
		for _, n := range b.Levels {
			all += n
		}
	}
	if all != 40 || errs != 8 {
		t.Errorf("histogram counts %d lines, %d errors; want 40, 8", all, errs)
	}

	fs, err := r.LogFacets(ctx, alice, q, store.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range fs.Fields {
		var vs []string
		for _, v := range f.Values {
			vs = append(vs, fmt.Sprintf("%s=%d", v.Value, v.Count))
		}
		got[f.Field] = strings.Join(vs, ",")
	}
	if fs.Sampled != 40 || got["level"] != "info=32,error=8" || got["attr.route"] != "/r0=14,/r1=13,/r2=13" || got["host"] != "web-1=40" {
		t.Errorf("facets = %d sampled, %v", fs.Sampled, got)
	}
	if fs.Fields[0].Field != "level" {
		t.Errorf("first facet %q, want level", fs.Fields[0].Field)
	}
	for _, f := range fs.Fields {
		if (f.Field == "attr.route" || f.Field == "attr.n" || f.Field == "host") && f.Lines != 40 {
			t.Errorf("facet %s counts %d lines, want 40", f.Field, f.Lines)
		}
		if f.Field == "attr.n" && len(f.Values) != 10 {
			t.Errorf("facet attr.n lists %d values, want the top 10 of 40", len(f.Values))
		}
	}

	// Line 20 is at +10 ms; two lines share each millisecond.
	c, err := r.LogContext(ctx, alice, LogContextRequest{At: at.Add(10 * time.Millisecond), Service: "tools", Host: "web-1", Stream: "test", Lines: 3}, store.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	off := column(c, "kafka_offset")
	var offs []int64
	for _, row := range c.Rows {
		offs = append(offs, store.CellInt64(row[off]))
	}
	if fmt.Sprint(offs) != "[9018 9019 9020 9021 9022 9023 9024]" {
		t.Errorf("context offsets = %v, want 3 lines up to the anchor's millisecond's last, and 3 after", offs)
	}
	if _, err := r.LogContext(ctx, alice, LogContextRequest{At: at, Lines: 1000}, store.Settings{}); fault.KindOf(err) != fault.BadInput {
		t.Errorf("1000 context lines = %v, want bad input", err)
	}
}

// TestTailFollowsIngestOrder: a tail without a cursor gives the newest
// lines; the next call gives only lines ingested since, whatever their
// timestamp, and nothing twice.
func TestTailFollowsIngestOrder(t *testing.T) {
	ctx := context.Background()
	r := NewRunner(testStore, nil)
	now := time.Now().UTC()
	insertLogLines(t, "tailed", now.Add(-5*time.Minute), now.Add(-2*time.Second), 6, 100)
	q := LogSearch{Service: "tailed", Limit: 4}
	page, err := r.TailLogs(ctx, alice, q, now, store.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	off := column(page.Result, "kafka_offset")
	if len(page.Rows) != 4 || store.CellInt64(page.Rows[0][off]) != 102 || store.CellInt64(page.Rows[3][off]) != 105 {
		t.Fatalf("first tail = %v, want offsets 102..105 oldest first", page.Rows)
	}
	q.Cursor = page.Next
	if page, err = r.TailLogs(ctx, alice, q, now, store.Settings{}); err != nil || len(page.Rows) != 0 {
		t.Fatalf("tail with nothing new = %v, %v", page, err)
	}
	// A line stamped earlier than the others but ingested later follows.
	insertLogLines(t, "tailed", now.Add(-30*time.Minute), now.Add(time.Second), 1, 200)
	page, err = r.TailLogs(ctx, alice, q, now.Add(2*time.Second), store.Settings{})
	if err != nil || len(page.Rows) != 1 || store.CellInt64(page.Rows[0][off]) != 200 {
		t.Fatalf("tail after a new line = %v, %v; want offset 200", page, err)
	}
}
