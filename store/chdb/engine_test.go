package chdb

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/store"
)

var testEngine *Engine

// TestMain boots the engine itself rather than through store/storetest:
// that package imports this one, so these in-package tests (which reach
// unexported names) cannot import it, and Open is what they test. It leaves
// migrating to the tests that pin it.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "logmart-chdb-test-")
	if err != nil {
		panic(err)
	}
	cfg := Default()
	cfg.Path = dir
	testEngine, err = Open(cfg, "chdb_test", nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "the chdb tests need the embedded engine:", err)
		os.Exit(1)
	}
	code := m.Run()
	testEngine.Close()
	os.RemoveAll(dir)
	os.Exit(code)
}

func TestQueryColumnsAndStats(t *testing.T) {
	ctx := context.Background()
	res, err := testEngine.Query(ctx, store.Query{SQL: "SELECT number AS n, toString(number) AS s FROM numbers(1000) WHERE number < 3"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Columns) != 2 || res.Columns[0].Name != "n" || res.Columns[0].Type != "UInt64" {
		t.Fatalf("columns = %+v", res.Columns)
	}
	if len(res.Rows) != 3 || res.Rows[2][0] != json.Number("2") || res.Rows[2][1] != "2" {
		t.Fatalf("rows = %v", res.Rows)
	}
	// Regression: rows_read came from the C ABI, which counts the result's
	// rows (1 here), not the 1000 scanned.
	res, err = testEngine.Query(ctx, store.Query{SQL: "SELECT count() FROM numbers(1000) WHERE number % 7 = 0"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats.RowsRead != 1000 || res.Stats.BytesRead != 8000 {
		t.Fatalf("stats = %+v, want 1000 rows and 8000 bytes read", res.Stats)
	}
}

func TestParamsAreNeverSpliced(t *testing.T) {
	ctx := context.Background()
	f := func(v string) {
		t.Helper()
		res, err := testEngine.Query(ctx, store.Query{
			SQL:    "SELECT {v:String} AS v, length({v:String}) AS n",
			Params: map[string]string{"v": v},
		})
		if err != nil {
			t.Fatalf("value %q: %v", v, err)
		}
		if got := res.Rows[0][0]; got != v {
			t.Fatalf("value %q came back as %q", v, got)
		}
	}
	f("plain")
	f("it's")
	f(`'; DROP TABLE x; --`)
	f(`\' OR 1=1`)
	f("tab\there\nnewline\\backslash")
	f("x' UNION ALL SELECT name, 1 FROM system.tables --")
	f("ünïcødé \u202e rtl")
	f(strings.Repeat("A", 100000))
}

func TestParamTypeErrorNamesTheValue(t *testing.T) {
	_, err := testEngine.Query(context.Background(), store.Query{
		SQL:    "SELECT {n:UInt32} + 1",
		Params: map[string]string{"n": "1; DROP TABLE t"},
	})
	if err == nil {
		t.Fatal("want a parse error for a non-number bound as UInt32")
	}
	if store.KindOf(err) != fault.BadInput {
		t.Fatalf("kind = %v for %v", store.KindOf(err), err)
	}
}

func TestReadOnlyIsEnforcedByTheEngine(t *testing.T) {
	ctx := context.Background()
	if err := testEngine.Exec(ctx, store.Query{SQL: "CREATE TABLE IF NOT EXISTS ro (a UInt32) ENGINE = MergeTree ORDER BY a"}); err != nil {
		t.Fatal(err)
	}
	ro := store.Settings{ReadOnly: true, MaxResultRows: 5}
	for _, sql := range []string{
		"INSERT INTO ro VALUES (1)",
		"DROP TABLE ro",
		"SELECT 1 SETTINGS readonly = 0",
		"SELECT number FROM numbers(10) SETTINGS max_result_rows = 0",
	} {
		_, err := testEngine.Query(ctx, store.Query{SQL: sql, Settings: ro})
		if err == nil {
			t.Fatalf("%q ran on a read-only session", sql)
		}
		if k := store.KindOf(err); k != fault.Forbidden {
			t.Fatalf("%q: kind %v, err %v", sql, k, err)
		}
	}
	_, err := testEngine.Query(ctx, store.Query{SQL: "SELECT number FROM numbers(100)", Settings: ro})
	if store.KindOf(err) != fault.Limit {
		t.Fatalf("100 rows with max_result_rows=5: %v", err)
	}
	res, err := testEngine.Query(ctx, store.Query{SQL: "SELECT count() FROM ro", Settings: ro})
	if err != nil || res.Rows[0][0] != json.Number("0") {
		t.Fatalf("count on read-only: %v %v", res, err)
	}
}

func TestTableFiltersNarrowEveryRead(t *testing.T) {
	ctx := context.Background()
	must(t, testEngine.Exec(ctx, store.Query{SQL: "CREATE TABLE IF NOT EXISTS scoped (stream String, n UInt32) ENGINE = MergeTree ORDER BY n"}))
	must(t, testEngine.Exec(ctx, store.Query{SQL: "TRUNCATE TABLE scoped"}))
	must(t, testEngine.Exec(ctx, store.Query{SQL: "INSERT INTO scoped VALUES ('payments', 1), ('payments', 2), ('web', 3)"}))
	s := store.Settings{ReadOnly: true, TableFilters: map[string]string{"scoped": "stream IN ('payments')"}}
	for _, sql := range []string{
		"SELECT count() FROM scoped",
		"SELECT count() FROM scoped WHERE stream = 'web' OR 1 = 1",
		"SELECT count() FROM (SELECT * FROM scoped UNION ALL SELECT * FROM scoped WHERE stream = 'web')",
	} {
		res, err := testEngine.Query(ctx, store.Query{SQL: sql, Settings: s})
		if err != nil {
			t.Fatal(err)
		}
		if n := res.Rows[0][0].(json.Number); n == "3" || n == "4" || n == "6" {
			t.Fatalf("%q saw %s rows outside the scope", sql, n)
		}
	}
}

func TestInsertNativeBlock(t *testing.T) {
	ctx := context.Background()
	must(t, testEngine.Exec(ctx, store.Query{SQL: `CREATE TABLE IF NOT EXISTS ins (
		ts DateTime64(3), svc LowCardinality(String), body String, attrs Map(String, String),
		n UInt64, code UInt32, lat Float64, d Int32) ENGINE = MergeTree ORDER BY ts
		SETTINGS non_replicated_deduplication_window = 100`}))
	must(t, testEngine.Exec(ctx, store.Query{SQL: "TRUNCATE TABLE ins"}))
	ts := &store.Int64Column{Name: "ts", Type: "DateTime64(3)"}
	svc := &store.StringColumn{Name: "svc"}
	body := &store.StringColumn{Name: "body"}
	attrs := &store.MapColumn{Name: "attrs"}
	n := &store.UInt64Column{Name: "n"}
	code := &store.UInt32Column{Name: "code"}
	lat := &store.Float64Column{Name: "lat"}
	d := &store.Int32Column{Name: "d"}
	b := &store.Block{Cols: []store.BlockColumn{ts, svc, body, attrs, n, code, lat, d}}
	base := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC).UnixMilli()
	for i := range 1000 {
		ts.Append(base + int64(i))
		svc.Append(fmt.Sprintf("svc-%d", i%3))
		body.Append(fmt.Sprintf("line %d with 'quotes' and \\ and \t", i))
		attrs.Add("k", fmt.Sprint(i))
		if i%2 == 0 {
			attrs.Add("even", "yes")
		}
		attrs.EndRow()
		n.Append(uint64(i))
		code.Append(200)
		lat.Append(float64(i) / 10)
		d.Append(int32(-i))
	}
	must(t, testEngine.Insert(ctx, "ins", b, "test-batch-1"))
	// The same token again is a retried batch: ClickHouse drops it.
	must(t, testEngine.Insert(ctx, "ins", b, "test-batch-1"))
	res, err := testEngine.Query(ctx, store.Query{SQL: "SELECT count(), sum(n), countIf(attrs['even'] = 'yes'), max(ts), min(d), any(body) FROM ins WHERE n = 7"})
	must(t, err)
	res2, err := testEngine.Query(ctx, store.Query{SQL: "SELECT count(), sum(n), countIf(attrs['even'] = 'yes'), toString(max(ts)) FROM ins"})
	must(t, err)
	got := fmt.Sprint(res2.Rows[0])
	if got != "[1000 499500 500 2026-11-21 10:00:00.999]" {
		t.Fatalf("after two inserts with one token: %s", got)
	}
	if body := res.Rows[0][5]; body != "line 7 with 'quotes' and \\ and \t" {
		t.Fatalf("body = %q", body)
	}
}

func TestErrorsCarryCodeAndName(t *testing.T) {
	_, err := testEngine.Query(context.Background(), store.Query{SQL: "SELEC 1"})
	var e *store.Error
	if !asError(err, &e) || e.Code != 62 || e.Name != "SYNTAX_ERROR" {
		t.Fatalf("err = %#v", err)
	}
	_, err = testEngine.Query(context.Background(), store.Query{SQL: "SELECT * FROM no_such_table"})
	if !asError(err, &e) || e.Code != 60 {
		t.Fatalf("err = %#v", err)
	}
}

func TestConnectionsRunInParallel(t *testing.T) {
	// A slow statement holds one connection; the others keep answering.
	ctx := context.Background()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		testEngine.Query(ctx, store.Query{SQL: "SELECT sleep(1)"})
	}()
	for range 20 {
		if _, err := testEngine.Query(ctx, store.Query{SQL: "SELECT 1"}); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
}

func TestNilPointerStillPanicsInGo(t *testing.T) {
	// Regression: the engine installs its own SIGSEGV handler at boot, which
	// turned a Go nil dereference into a process crash instead of a panic.
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	var p *int
	_ = *p
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func asError(err error, e **store.Error) bool {
	x, ok := err.(*store.Error)
	if ok {
		*e = x
	}
	return ok
}

func TestInsertBinaryHoldingNewlines(t *testing.T) {
	// Regression: blocks were inlined after FORMAT Native in the statement
	// text, where the engine ends the data at the first newline byte; a
	// 10-byte string (length byte 0x0a) or a value with a 0x0a byte cut the
	// block short with CANNOT_READ_ALL_DATA.
	ctx := context.Background()
	must(t, testEngine.Exec(ctx, store.Query{SQL: "CREATE TABLE IF NOT EXISTS nl (n Int64, s String) ENGINE = MergeTree ORDER BY n"}))
	n := &store.Int64Column{Name: "n"}
	s := &store.StringColumn{Name: "s"}
	for i := range 5000 {
		n.Append(int64(i) | 0x0a0a)
		s.Append(strings.Repeat("\n", i%20))
	}
	must(t, testEngine.Insert(ctx, "nl", &store.Block{Cols: []store.BlockColumn{n, s}}, ""))
	res, err := testEngine.Query(ctx, store.Query{SQL: "SELECT count(), sum(length(s)) FROM nl"})
	must(t, err)
	if fmt.Sprint(res.Rows[0]) != "[5000 47500]" {
		t.Fatalf("got %v", res.Rows[0])
	}
}

func TestIdenticalBlocksWithoutTokenAreKept(t *testing.T) {
	// Tables logmart writes without a token (query_log, ingest_batches) have
	// no deduplication window, so identical blocks both land. (On a table
	// with non_replicated_deduplication_window the engine deduplicates by
	// the data's hash whatever insert_deduplicate says; logmart gives every
	// insert into such tables a token.)
	ctx := context.Background()
	must(t, testEngine.Exec(ctx, store.Query{SQL: "CREATE TABLE IF NOT EXISTS twice (s String) ENGINE = MergeTree ORDER BY s"}))
	b := &store.Block{Cols: []store.BlockColumn{store.Strings("s", "same", "rows")}}
	must(t, testEngine.Insert(ctx, "twice", b, ""))
	must(t, testEngine.Insert(ctx, "twice", b, ""))
	res, err := testEngine.Query(ctx, store.Query{SQL: "SELECT count() FROM twice"})
	must(t, err)
	if fmt.Sprint(res.Rows[0][0]) != "4" {
		t.Fatalf("count = %v, want 4", res.Rows[0][0])
	}
}

// LowCardinality columns and map keys go over as dictionaries; whatever the
// dictionary's size (positions of one, two or four bytes), the rows read back
// as they were appended, into LowCardinality and plain String columns alike.
func TestInsertLowCardinality(t *testing.T) {
	ctx := context.Background()
	must(t, testEngine.Exec(ctx, store.Query{SQL: `CREATE TABLE IF NOT EXISTS lc (
		n UInt64, lc LowCardinality(String), plain String, attrs Map(LowCardinality(String), String),
		plain_attrs Map(String, String)) ENGINE = MergeTree ORDER BY n`}))
	for _, distinct := range []int{1, 3, 300, 70000} {
		must(t, testEngine.Exec(ctx, store.Query{SQL: "TRUNCATE TABLE lc"}))
		n := &store.UInt64Column{Name: "n"}
		lc, plain := &store.LowCardinalityColumn{Name: "lc"}, &store.LowCardinalityColumn{Name: "plain"}
		attrs, plainAttrs := &store.MapColumn{Name: "attrs"}, &store.MapColumn{Name: "plain_attrs"}
		b := &store.Block{Cols: []store.BlockColumn{n, lc, plain, attrs, plainAttrs}}
		const rows = 100000
		var want uint64
		nonEmpty, seen := 0, map[string]bool{}
		for i := range rows {
			v := fmt.Sprintf("v%d", i%distinct)
			if i%7 == 0 {
				v = "" // the empty string is a value like any other
			}
			seen[v] = true
			n.Append(uint64(i))
			lc.Append(v)
			plain.Append(v)
			if distinct > 1 { // with one distinct value, every map is empty
				attrs.Add("k"+v, v)
				plainAttrs.Add("k"+v, v)
			}
			attrs.EndRow()
			plainAttrs.EndRow()
			if v != "" {
				want += uint64(i)
				nonEmpty++
			}
		}
		must(t, testEngine.Insert(ctx, "lc", b, fmt.Sprintf("lc-%d", distinct)))
		res, err := testEngine.Query(ctx, store.Query{SQL: `SELECT count(), uniqExact(lc), sumIf(n, lc != ''),
			countIf(lc != concat('v', toString(n % ` + fmt.Sprint(distinct) + `)) AND lc != ''), countIf(lc != plain),
			countIf(attrs['k' || lc] != lc), countIf(plain_attrs['k' || lc] != lc), sum(length(attrs)) FROM lc`})
		must(t, err)
		// Rows whose map lacks their key: none, but where every map is empty.
		wantMaps, missing := rows, 0
		if distinct == 1 {
			wantMaps, missing = 0, nonEmpty
		}
		wantUniq := len(seen)
		got := fmt.Sprint(res.Rows[0])
		if exp := fmt.Sprintf("[%d %d %d 0 0 %d %d %d]", rows, wantUniq, want, missing, missing, wantMaps); got != exp {
			t.Fatalf("%d distinct values: got %s, want %s", distinct, got, exp)
		}
	}
}

func TestFailedInsertReleasesItsPipe(t *testing.T) {
	ctx := context.Background()
	must(t, testEngine.Exec(ctx, store.Query{SQL: "CREATE TABLE IF NOT EXISTS pipes (n UInt64) ENGINE = MergeTree ORDER BY n"}))
	must(t, testEngine.Exec(ctx, store.Query{SQL: "TRUNCATE TABLE pipes"}))
	// Blocks larger than a pipe's buffer, so that a writer the engine
	// stops reading from would wait for ever.
	const rows = 300000
	nums, strs, other := &store.UInt64Column{Name: "n"}, &store.StringColumn{Name: "n"}, &store.UInt64Column{Name: "no_such_column"}
	for i := range rows {
		nums.Append(uint64(i))
		strs.Append(fmt.Sprintf("not a number %d", i))
		other.Append(uint64(i))
	}
	before := runtime.NumGoroutine()
	// Several rounds: whether the engine fails before or after the writer
	// reaches its open is a race, and each order must end cleanly.
	for range 10 {
		for _, c := range []struct {
			name, table string
			b           *store.Block
		}{
			{"a table that does not exist", "no_such_table", &store.Block{Cols: []store.BlockColumn{nums}}},
			{"a column that does not exist", "pipes", &store.Block{Cols: []store.BlockColumn{other}}},
			{"text where a number belongs", "pipes", &store.Block{Cols: []store.BlockColumn{strs}}},
		} {
			done := make(chan error, 1)
			go func() { done <- testEngine.Insert(ctx, c.table, c.b, "") }()
			select {
			case err := <-done:
				if err == nil {
					t.Fatalf("%s: the insert succeeded", c.name)
				}
			case <-time.After(30 * time.Second):
				t.Fatalf("%s: the failed insert has not returned after 30s: its pipe writer is stuck", c.name)
			}
		}
	}
	must(t, testEngine.Insert(ctx, "pipes", &store.Block{Cols: []store.BlockColumn{nums}}, ""))
	res, err := testEngine.Query(ctx, store.Query{SQL: "SELECT count() FROM pipes"})
	must(t, err)
	if got := fmt.Sprint(res.Rows[0][0]); got != fmt.Sprint(rows) {
		t.Fatalf("after the failed inserts and a good one: %s rows, want %d", got, rows)
	}
	left, err := os.ReadDir(testEngine.spool)
	must(t, err)
	if len(left) > 0 {
		t.Fatalf("pipes left behind: %v", left)
	}
	for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > before; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines before the inserts, %d after: a pipe writer is stuck", before, runtime.NumGoroutine())
		}
	}
}

// A new part's skip indexes wait for its merge (store.DeferSkipIndexes);
// lookups find the rows before and after, and the merged part has them.
func TestSkipIndexesBuiltAtMerge(t *testing.T) {
	ctx := context.Background()
	must(t, testEngine.Exec(ctx, store.Query{SQL: `CREATE TABLE IF NOT EXISTS traced (
		ts DateTime64(3), trace_id String, INDEX idx_trace trace_id TYPE bloom_filter(0.01) GRANULARITY 1
		) ENGINE = MergeTree ORDER BY ts SETTINGS index_granularity = 64`}))
	must(t, testEngine.Exec(ctx, store.Query{SQL: "TRUNCATE TABLE traced"}))
	for part := range 2 {
		ts := &store.Int64Column{Name: "ts", Type: "DateTime64(3)"}
		tr := &store.StringColumn{Name: "trace_id"}
		for i := range 5000 {
			ts.Append(int64(part*5000 + i))
			tr.Append(fmt.Sprintf("%032x", part*5000+i))
		}
		must(t, testEngine.Insert(ctx, "traced", &store.Block{Cols: []store.BlockColumn{ts, tr}}, fmt.Sprintf("traced-%d", part)))
	}
	indexBytes := func() string {
		res, err := testEngine.Query(ctx, store.Query{SQL: `SELECT count(), sum(secondary_indices_compressed_bytes) > 0
			FROM system.parts WHERE database = currentDatabase() AND table = 'traced' AND active`})
		must(t, err)
		return fmt.Sprint(res.Rows[0])
	}
	lookup := func() string {
		res, err := testEngine.Query(ctx, store.Query{SQL: fmt.Sprintf(
			"SELECT count(), any(ts) FROM traced WHERE trace_id = '%032x'", 7777)})
		must(t, err)
		return fmt.Sprint(res.Rows[0])
	}
	if got := indexBytes(); got != "[2 0]" {
		t.Fatalf("after two inserts, parts and whether any has index data: %s, want [2 0]", got)
	}
	want := "[1 1970-01-01 00:00:07.777]"
	if got := lookup(); got != want {
		t.Fatalf("lookup before the merge: %s, want %s", got, want)
	}
	must(t, testEngine.Exec(ctx, store.Query{SQL: "OPTIMIZE TABLE traced FINAL"}))
	if got := indexBytes(); got != "[1 1]" {
		t.Fatalf("after the merge: %s, want [1 1]", got)
	}
	if got := lookup(); got != want {
		t.Fatalf("lookup after the merge: %s, want %s", got, want)
	}
}
