package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/store"
)

// The contract tests run the behaviours store/chdb's tests pin against a
// real ClickHouse server, so both engines keep one contract. They need:
//
//	LOGMART_CLICKHOUSE_ADDR      host:port[,host:port…] of the native protocol
//	LOGMART_CLICKHOUSE_USERNAME  optional, default "default"
//	LOGMART_CLICKHOUSE_PASSWORD  optional
//
// for example with `docker run -p 9000:9000 clickhouse/clickhouse-server`
// and LOGMART_CLICKHOUSE_ADDR=127.0.0.1:9000. They work in the database
// logmart_remote_test, which they create.
const contractDatabase = "logmart_remote_test"

var (
	contractOnce   sync.Once
	contractEngine *Engine
	contractErr    error
)

// serverEngine returns the shared engine on the server the environment
// names, or skips the test (counted, and said once in TestMain) when none
// is named.
func serverEngine(t *testing.T) *Engine {
	t.Helper()
	addr := os.Getenv("LOGMART_CLICKHOUSE_ADDR")
	if addr == "" {
		skipped.Add(1)
		t.Skip(skipReason)
	}
	contractOnce.Do(func() {
		cfg := Default()
		cfg.Addr = strings.Split(addr, ",")
		if u := os.Getenv("LOGMART_CLICKHOUSE_USERNAME"); u != "" {
			cfg.Username = u
		}
		cfg.Password = os.Getenv("LOGMART_CLICKHOUSE_PASSWORD")
		contractEngine, contractErr = Open(cfg, contractDatabase, nil)
	})
	if contractErr != nil {
		t.Fatalf("LOGMART_CLICKHOUSE_ADDR=%s is set but the server cannot be used: %v", addr, contractErr)
	}
	return contractEngine
}

// skipReason is why a contract test skips. No ClickHouse server can run
// where `make test` runs, so there the contract tests always skip; this is
// the one documented exception to "a test never skips quietly".
const skipReason = "no ClickHouse server to run against: set LOGMART_CLICKHOUSE_ADDR=host:port (a server's native port) to run the remote engine's contract tests"

// skipped counts the contract tests that skipped for want of a server.
var skipped atomic.Int32

func TestMain(m *testing.M) {
	code := m.Run()
	if contractEngine != nil {
		contractEngine.Close()
	}
	if n := skipped.Load(); n > 0 {
		announce(fmt.Sprintf("store/remote: %d contract tests skipped: %s\n", n, skipReason))
	}
	os.Exit(code)
}

// announce writes line to the test binary's stderr and, when that is
// another file and -v is off, to the stderr of the process that started
// it. `go test ./...` keeps a passing package's output (skip messages
// included) to itself unless -v; the go command is the binary's parent, and
// its stderr is where `make test` prints, so a skip said there is not a
// quiet one.
//
// A regular file the parent writes without O_APPEND (`make test >log`) is
// left alone: the parent's next write would land on this line, at an
// offset it does not know moved.
func announce(line string) {
	fmt.Fprint(os.Stderr, line)
	fd := fmt.Sprintf("/proc/%d/fd/2", os.Getppid())
	parent, err := os.OpenFile(fd, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return
	}
	defer parent.Close()
	own, err := os.Stderr.Stat()
	if err != nil {
		return
	}
	theirs, err := parent.Stat()
	if err != nil || os.SameFile(own, theirs) || testing.Verbose() {
		return
	}
	if theirs.Mode().IsRegular() && !appends(fmt.Sprintf("/proc/%d/fdinfo/2", os.Getppid())) {
		return
	}
	parent.WriteString(line)
}

// appends reports whether the descriptor fdinfo describes was opened with
// O_APPEND.
func appends(fdinfo string) bool {
	b, err := os.ReadFile(fdinfo)
	if err != nil {
		return false
	}
	for l := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(l, "flags:"); ok {
			flags, err := strconv.ParseUint(strings.TrimSpace(v), 8, 64)
			return err == nil && flags&syscall.O_APPEND != 0
		}
	}
	return false
}

func TestContractPing(t *testing.T) {
	e := serverEngine(t)
	if err := e.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	if e.Engine() != "remote" || e.Cluster() != "" || e.Database() != contractDatabase {
		t.Fatalf("engine %q cluster %q database %q", e.Engine(), e.Cluster(), e.Database())
	}
}

func TestContractQueryColumnsAndStats(t *testing.T) {
	e := serverEngine(t)
	res, err := e.Query(context.Background(), store.Query{SQL: "SELECT number AS n, toString(number) AS s FROM numbers(1000) WHERE number < 3"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Columns) != 2 || res.Columns[0] != (store.Column{Name: "n", Type: "UInt64"}) || res.Columns[1] != (store.Column{Name: "s", Type: "String"}) {
		t.Fatalf("columns = %+v", res.Columns)
	}
	if len(res.Rows) != 3 || res.Rows[2][0] != json.Number("2") || res.Rows[2][1] != "2" {
		t.Fatalf("rows = %v", res.Rows)
	}
	if res.Stats.RowsRead == 0 {
		t.Fatalf("stats = %+v, want rows read", res.Stats)
	}
	empty, err := e.Query(context.Background(), store.Query{SQL: "SELECT 1 AS one WHERE 0"})
	if err != nil {
		t.Fatal(err)
	}
	if len(empty.Columns) != 1 || empty.Rows == nil || len(empty.Rows) != 0 {
		t.Fatalf("empty result = %+v", empty)
	}
}

func TestContractValuesMatchTheEmbeddedEngine(t *testing.T) {
	e := serverEngine(t)
	res, err := e.Query(context.Background(), store.Query{SQL: `SELECT
		toUInt64(18446744073709551615) AS u64, toInt8(-1) AS i8, 0.25 AS f, nan AS nn, toFloat32(0.1) AS f32,
		toDecimal64(1.5, 2) AS dec, true AS b, NULL AS nul, toNullable('x') AS ns,
		toDateTime64('2026-11-21 10:00:00.999', 3, 'UTC') AS ts, toDateTime('2026-11-21 10:00:00', 'UTC') AS dt,
		toDate('2026-11-21') AS d, [1, 2] AS arr, map('k', 'v') AS m, ('a', 1) AS tup,
		toUUID('61f0c404-5cb3-11e7-907b-a6006ad3dba0') AS id, toIPv4('10.1.2.3') AS ip,
		CAST('warn', 'Enum8(\'info\' = 1, \'warn\' = 2)') AS lvl, toLowCardinality('lc') AS lc`})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(res.Rows[0])
	if err != nil {
		t.Fatal(err)
	}
	want := `[18446744073709551615,-1,0.25,"nan",0.1,1.5,true,null,"x",` +
		`"2026-11-21 10:00:00.999","2026-11-21 10:00:00","2026-11-21",[1,2],{"k":"v"},["a",1],` +
		`"61f0c404-5cb3-11e7-907b-a6006ad3dba0","10.1.2.3","warn","lc"]`
	if string(b) != want {
		t.Fatalf("row encodes as\n%s\nwant\n%s", b, want)
	}
}

func TestContractParamsAreNeverSpliced(t *testing.T) {
	e := serverEngine(t)
	ctx := context.Background()
	f := func(v string) {
		t.Helper()
		res, err := e.Query(ctx, store.Query{
			SQL:    "SELECT {v:String} AS v, length({v:String}) AS n",
			Params: map[string]string{"v": v},
		})
		if err != nil {
			t.Fatalf("value %q: %v", v, err)
		}
		if got := res.Rows[0][0]; got != v {
			t.Fatalf("value %q came back as %q", v, got)
		}
		if got := res.Rows[0][1]; got != json.Number(fmt.Sprint(len(v))) {
			t.Fatalf("value %q has length %v on the server", v, got)
		}
	}
	f("plain")
	f("it's")
	f(`'; DROP TABLE x; --`)
	f(`\' OR 1=1`)
	f("tab\there\nnewline\\backslash")
	f(`\N`)
	f("x' UNION ALL SELECT name, 1 FROM system.tables --")
	f("ünïcødé \u202e rtl")
	f("")
	f(strings.Repeat("A", 100000))
}

func TestContractParamTypeErrorIsBadInput(t *testing.T) {
	e := serverEngine(t)
	_, err := e.Query(context.Background(), store.Query{
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

func TestContractReadOnlyIsEnforcedByTheServer(t *testing.T) {
	e := serverEngine(t)
	ctx := context.Background()
	must(t, e.Exec(ctx, store.Query{SQL: "CREATE TABLE IF NOT EXISTS ro (a UInt32) ENGINE = MergeTree ORDER BY a"}))
	ro := store.Settings{ReadOnly: true, MaxResultRows: 5}
	for _, sql := range []string{
		"INSERT INTO ro VALUES (1)",
		"DROP TABLE ro",
		"SELECT 1 SETTINGS readonly = 0",
		"SELECT number FROM numbers(10) SETTINGS max_result_rows = 0",
	} {
		_, err := e.Query(ctx, store.Query{SQL: sql, Settings: ro})
		if err == nil {
			t.Fatalf("%q ran read-only", sql)
		}
		if k := store.KindOf(err); k != fault.Forbidden {
			t.Fatalf("%q: kind %v, err %v", sql, k, err)
		}
		if err := e.Exec(ctx, store.Query{SQL: sql, Settings: ro}); store.KindOf(err) != fault.Forbidden {
			t.Fatalf("Exec %q read-only: %v", sql, err)
		}
	}
	_, err := e.Query(ctx, store.Query{SQL: "SELECT number FROM numbers(100)", Settings: ro})
	if store.KindOf(err) != fault.Limit {
		t.Fatalf("100 rows with max_result_rows=5: %v", err)
	}
	_, err = e.Query(ctx, store.Query{SQL: "SELECT sum(number) FROM numbers(1000000)", Settings: store.Settings{ReadOnly: true, MaxRowsToRead: 1000}})
	if store.KindOf(err) != fault.Limit {
		t.Fatalf("1e6 rows with max_rows_to_read=1000: %v", err)
	}
	res, err := e.Query(ctx, store.Query{SQL: "SELECT count() FROM ro", Settings: ro})
	if err != nil || res.Rows[0][0] != json.Number("0") {
		t.Fatalf("count on read-only: %v %v", res, err)
	}
}

func TestContractMaxExecutionTimeWinsOverTheDeadline(t *testing.T) {
	// Regression guard: clickhouse-go replaces max_execution_time with the
	// time left on the context's deadline; the engine must keep its own.
	e := serverEngine(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := e.Query(ctx, store.Query{
		SQL:      "SELECT sum(sleepEachRow(0.2)) FROM numbers(30) SETTINGS max_block_size = 1",
		Settings: store.Settings{MaxExecutionTime: time.Second},
	})
	if store.KindOf(err) != fault.Limit {
		t.Fatalf("6s of work with max_execution_time=1s: %v", err)
	}
}

func TestContractTableFiltersNarrowEveryRead(t *testing.T) {
	e := serverEngine(t)
	ctx := context.Background()
	must(t, e.Exec(ctx, store.Query{SQL: "CREATE TABLE IF NOT EXISTS scoped (stream String, n UInt32) ENGINE = MergeTree ORDER BY n"}))
	must(t, e.Exec(ctx, store.Query{SQL: "TRUNCATE TABLE scoped"}))
	must(t, e.Exec(ctx, store.Query{SQL: "INSERT INTO scoped VALUES ('payments', 1), ('payments', 2), ('web', 3), ('it''s', 4)"}))
	s := store.Settings{ReadOnly: true, TableFilters: map[string]string{"scoped": "stream IN ('payments')"}}
	for _, sql := range []string{
		"SELECT count() FROM scoped",
		"SELECT count() FROM scoped WHERE stream = 'web' OR 1 = 1",
		"SELECT count() FROM (SELECT * FROM scoped UNION ALL SELECT * FROM scoped WHERE stream = 'web')",
	} {
		res, err := e.Query(ctx, store.Query{SQL: sql, Settings: s})
		if err != nil {
			t.Fatal(err)
		}
		if n := res.Rows[0][0].(json.Number); n != "2" && n != "4" {
			t.Fatalf("%q saw %s rows, want only the 2 payments rows (or them twice)", sql, n)
		}
	}
	// A filter holding quotes and backslashes reaches the server intact.
	s.TableFilters = map[string]string{"scoped": `stream = 'it\'s' OR stream = 'a\\b'`}
	res, err := e.Query(ctx, store.Query{SQL: "SELECT count() FROM scoped", Settings: s})
	if err != nil {
		t.Fatal(err)
	}
	if n := res.Rows[0][0]; n != json.Number("1") {
		t.Fatalf("quoted filter saw %v rows, want 1", n)
	}
}

func TestContractInsertBlockWithDedupToken(t *testing.T) {
	e := serverEngine(t)
	ctx := context.Background()
	must(t, e.Exec(ctx, store.Query{SQL: `CREATE TABLE IF NOT EXISTS ins (
		ts DateTime64(3, 'UTC'), svc LowCardinality(String), body String, attrs Map(String, String),
		n UInt64, code UInt32, lat Float64, d Int32, at DateTime('UTC')) ENGINE = MergeTree ORDER BY ts
		SETTINGS non_replicated_deduplication_window = 100`}))
	must(t, e.Exec(ctx, store.Query{SQL: "TRUNCATE TABLE ins"}))
	ts := &store.Int64Column{Name: "ts", Type: "DateTime64(3)"}
	svc := &store.StringColumn{Name: "svc"}
	body := &store.StringColumn{Name: "body"}
	attrs := &store.MapColumn{Name: "attrs"}
	n := &store.UInt64Column{Name: "n"}
	code := &store.UInt32Column{Name: "code"}
	lat := &store.Float64Column{Name: "lat"}
	d := &store.Int32Column{Name: "d"}
	at := &store.UInt32Column{Name: "at", Type: "DateTime"}
	b := &store.Block{Cols: []store.BlockColumn{ts, svc, body, attrs, n, code, lat, d, at}}
	base := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	for i := range 1000 {
		ts.Append(base.UnixMilli() + int64(i))
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
		at.Append(uint32(base.Unix()) + uint32(i))
	}
	// Tokens unique to this run, so a rerun is not deduplicated against the
	// last one.
	token := fmt.Sprintf("test-batch-%d", time.Now().UnixNano())
	must(t, e.Insert(ctx, "ins", b, token+"-1"))
	// The same token again is a retried batch: ClickHouse drops it.
	must(t, e.Insert(ctx, "ins", b, token+"-1"))
	res, err := e.Query(ctx, store.Query{SQL: "SELECT count(), sum(n), countIf(attrs['even'] = 'yes'), toString(max(ts)), toString(max(at)) FROM ins"})
	must(t, err)
	if got := fmt.Sprint(res.Rows[0]); got != "[1000 499500 500 2026-11-21 10:00:00.999 2026-11-21 10:16:39]" {
		t.Fatalf("after two inserts with one token: %s", got)
	}
	res, err = e.Query(ctx, store.Query{SQL: "SELECT body, ts FROM ins WHERE n = 7"})
	must(t, err)
	if body := res.Rows[0][0]; body != "line 7 with 'quotes' and \\ and \t" {
		t.Fatalf("body = %q", body)
	}
	if ts := res.Rows[0][1]; ts != "2026-11-21 10:00:00.007" {
		t.Fatalf("ts = %v", ts)
	}
	// Another token is another batch.
	must(t, e.Insert(ctx, "ins", b, token+"-2"))
	res, err = e.Query(ctx, store.Query{SQL: "SELECT count() FROM ins"})
	must(t, err)
	if res.Rows[0][0] != json.Number("2000") {
		t.Fatalf("after a second token: %v rows", res.Rows[0][0])
	}
}

func TestContractInsertErrors(t *testing.T) {
	e := serverEngine(t)
	ctx := context.Background()
	b := &store.Block{Cols: []store.BlockColumn{store.Strings("x", "a")}}
	err := e.Insert(ctx, "no_such_table", b, "")
	var se *store.Error
	if !errors.As(err, &se) || se.Code != 60 || store.KindOf(err) != fault.BadInput {
		t.Fatalf("insert into a missing table: %#v", err)
	}
	if !strings.HasPrefix(err.Error(), "cannot insert 1 rows into no_such_table: ") {
		t.Fatalf("err = %q", err)
	}
}

func TestContractErrorsCarryCodeAndName(t *testing.T) {
	e := serverEngine(t)
	_, err := e.Query(context.Background(), store.Query{SQL: "SELEC 1"})
	var se *store.Error
	if !errors.As(err, &se) || se.Code != 62 || se.Name != "SYNTAX_ERROR" || store.KindOf(err) != fault.BadInput {
		t.Fatalf("err = %#v", err)
	}
	_, err = e.Query(context.Background(), store.Query{SQL: "SELECT * FROM no_such_table"})
	if !errors.As(err, &se) || se.Code != 60 || se.Name != "UNKNOWN_TABLE" {
		t.Fatalf("err = %#v", err)
	}
	if strings.Contains(se.Message, "Stack trace") || strings.HasSuffix(se.Message, ".") {
		t.Fatalf("message = %q", se.Message)
	}
}

func TestContractConnectionsRunInParallel(t *testing.T) {
	// A slow statement holds one connection; the others keep answering.
	e := serverEngine(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		e.Query(ctx, store.Query{SQL: "SELECT sleep(1)"})
	}()
	for range 20 {
		if _, err := e.Query(ctx, store.Query{SQL: "SELECT 1"}); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
}

func TestContractCancelStopsTheQuery(t *testing.T) {
	e := serverEngine(t)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		time.Sleep(200 * time.Millisecond)
		cancel()
	}()
	_, err := e.Query(ctx, store.Query{SQL: "SELECT sum(sleepEachRow(0.1)) FROM numbers(100) SETTINGS max_block_size = 1"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	// The pool is still usable afterwards.
	if err := e.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
