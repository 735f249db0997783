package remote

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/store"
)

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestOpenUnreachableIsUnavailable(t *testing.T) {
	addr := closedPort(t)
	cfg := Default()
	cfg.Addr = []string{addr}
	cfg.DialTimeout = 2 * time.Second

	type result struct {
		e   *Engine
		err error
	}
	done := make(chan result, 1)
	go func() {
		e, err := Open(cfg, "logmart", nil)
		done <- result{e, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(time.Minute):
		// A hang guard, not a speed check: a refused dial must not wait.
		t.Fatal("Open on a closed port did not return")
	}
	if r.err == nil {
		r.e.Close()
		t.Fatal("Open succeeded with nothing listening")
	}
	if !errors.Is(r.err, store.ErrUnavailable) {
		t.Fatalf("err = %v, want it to wrap store.ErrUnavailable", r.err)
	}
	if store.KindOf(r.err) != fault.Unavailable {
		t.Fatalf("kind = %v", store.KindOf(r.err))
	}
	if want := `cannot open ClickHouse at "` + addr + `": clickhouse is unavailable: `; !strings.HasPrefix(r.err.Error(), want) {
		t.Fatalf("err = %q, want prefix %q", r.err, want)
	}
}

func TestOpenRefusesBadInputBeforeDialing(t *testing.T) {
	// Every address is closed: an error that is not "unavailable" proves
	// Open stopped before dialing.
	base := Default()
	base.Addr = []string{closedPort(t)}
	f := func(edit func(*Config), database, want string) {
		t.Helper()
		cfg := base
		edit(&cfg)
		_, err := Open(cfg, database, nil)
		if err == nil || err.Error() != want {
			t.Errorf("err = %v, want %q", err, want)
		}
		if errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%v: dialed before refusing", err)
		}
	}
	f(func(c *Config) { c.Compression = "brotli" }, "logmart", `store.remote.compression must be lz4, zstd or none, got "brotli"`)
	f(func(c *Config) {}, "logs; DROP DATABASE x", `store.database "logs; DROP DATABASE x" must be a letter or _, then letters, digits and _, at most 128 in all`)
	f(func(c *Config) {}, "", `store.database "" must be a letter or _, then letters, digits and _, at most 128 in all`)
	missing := filepath.Join(t.TempDir(), "ca.pem")
	_, err := Open(func() Config { c := base; c.TLS = TLSConfig{Enabled: true, CAFile: missing}; return c }(), "logmart", nil)
	if err == nil || !strings.HasPrefix(err.Error(), `cannot read store.remote.tls.ca_file "`+missing+`"`) {
		t.Errorf("missing CA file: %v", err)
	}
}

func TestOptions(t *testing.T) {
	cfg := Default()
	cfg.Addr = []string{"a:9000", "b:9000"}
	cfg.Username, cfg.Password = "logmart", "s3cret"
	cfg.MaxOpenConns = 3
	o := cfg.options("logs", nil)
	if !reflect.DeepEqual(o.Addr, cfg.Addr) || o.Auth.Database != "logs" || o.Auth.Username != "logmart" || o.Auth.Password != "s3cret" {
		t.Fatalf("options = %+v", o)
	}
	if o.MaxOpenConns != 3 || o.MaxIdleConns != 3 || o.DialTimeout != cfg.DialTimeout {
		t.Fatalf("pool options = open %d idle %d dial %s", o.MaxOpenConns, o.MaxIdleConns, o.DialTimeout)
	}
	if o.Compression == nil || o.Compression.Method.String() != "lz4" {
		t.Fatalf("compression = %+v", o.Compression)
	}
	cfg.Compression = "none"
	if o := cfg.options("", nil); o.Compression != nil {
		t.Fatalf("compression none = %+v", o.Compression)
	}
	cfg.Compression = "zstd"
	if o := cfg.options("", nil); o.Compression.Method.String() != "zstd" {
		t.Fatalf("compression zstd = %+v", o.Compression)
	}
	// The options own their address list.
	o.Addr[0] = "changed:1"
	if cfg.Addr[0] != "a:9000" {
		t.Fatal("options share the config's address slice")
	}
}

func TestInsertRefusesBadInputBeforeSending(t *testing.T) {
	// No connection at all: anything that reached the driver would panic.
	e := &Engine{}
	ctx := context.Background()
	good := func() *store.Block {
		return &store.Block{Cols: []store.BlockColumn{
			store.Strings("body", "a", "b"),
			&store.UInt64Column{Name: "n", Data: []uint64{1, 2}},
		}}
	}
	// store.CheckInsert holds the cases; here, that Insert runs it first.
	bad := good()
	bad.Cols[0].(*store.StringColumn).Name = "body`, `x"
	for _, tc := range []struct {
		table, token string
		b            *store.Block
	}{{"logs; DROP TABLE x", "", good()}, {"logs", "a'b", good()}, {"logs", "", bad}} {
		_, want := store.CheckInsert(tc.table, tc.b, tc.token)
		if err := e.Insert(ctx, tc.table, tc.b, tc.token); err == nil || err.Error() != want.Error() {
			t.Errorf("Insert(%q, …, %q) = %v, want %v", tc.table, tc.token, err, want)
		}
	}

	// An empty block is a no-op, even on a closed engine.
	e.closed.Store(true)
	if err := e.Insert(ctx, "logs", &store.Block{}, "t"); err != nil {
		t.Fatalf("empty block: %v", err)
	}
	if err := e.Insert(ctx, "logs", good(), "t"); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("insert after close: %v", err)
	}
}

func TestClosedEngineIsUnavailable(t *testing.T) {
	e := &Engine{cluster: "logs-prod"}
	e.closed.Store(true)
	ctx := context.Background()
	if _, err := e.Query(ctx, store.Query{SQL: "SELECT 1"}); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Query after Close: %v", err)
	}
	if err := e.Exec(ctx, store.Query{SQL: "SELECT 1"}); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Exec after Close: %v", err)
	}
	if err := e.Ping(ctx); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Ping after Close: %v", err)
	}
	if err := e.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if e.Engine() != "remote" || e.Cluster() != "logs-prod" {
		t.Errorf("Engine() = %q, Cluster() = %q", e.Engine(), e.Cluster())
	}
}

func TestColumnValues(t *testing.T) {
	f := func(c store.BlockColumn, want any) {
		t.Helper()
		got, err := columnValues(c)
		if err != nil {
			t.Fatalf("%s: %v", c.ColName(), err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s (%s): %#v, want %#v", c.ColName(), c.ColType(), got, want)
		}
	}
	base := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	f(&store.Int64Column{Name: "ts", Type: "DateTime64(3)", Data: []int64{base.UnixMilli() + 999, -1}},
		[]time.Time{base.Add(999 * time.Millisecond), time.Unix(0, 0).UTC().Add(-time.Millisecond)})
	f(&store.Int64Column{Name: "ts", Type: "DateTime64(6, 'UTC')", Data: []int64{base.UnixMicro() + 7}},
		[]time.Time{base.Add(7 * time.Microsecond)})
	f(&store.Int64Column{Name: "ts", Type: "DateTime64(9)", Data: []int64{base.UnixNano() + 1}},
		[]time.Time{base.Add(time.Nanosecond)})
	f(&store.Int64Column{Name: "ts", Type: "DateTime64(0)", Data: []int64{base.Unix()}},
		[]time.Time{base})
	f(&store.UInt32Column{Name: "at", Type: "DateTime", Data: []uint32{uint32(base.Unix())}},
		[]time.Time{base})
	f(&store.UInt32Column{Name: "at", Type: "DateTime('UTC')", Data: []uint32{0}},
		[]time.Time{time.Unix(0, 0).UTC()})
	// Plain numbers and everything else go as the column holds them.
	f(&store.Int64Column{Name: "n", Data: []int64{-1}}, []int64{-1})
	f(&store.UInt32Column{Name: "code", Data: []uint32{200}}, []uint32{200})
	f(store.Strings("s", "x"), []string{"x"})
	m := &store.MapColumn{Name: "attrs"}
	m.Add("k", "v")
	m.EndRow()
	m.EndRow()
	f(m, []map[string]string{{"k": "v"}, {}})

	_, err := columnValues(&store.UInt64Column{Name: "n"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = columnValues(&oddTime{})
	if err == nil || err.Error() != `column "odd" of type DateTime64(3) holds []string, want []int64 ticks` {
		t.Fatalf("err = %v", err)
	}
}

// oddTime is a BlockColumn that claims a time type but holds text.
type oddTime struct{ store.StringColumn }

func (oddTime) ColName() string { return "odd" }
func (oddTime) ColType() string { return "DateTime64(3)" }
func (oddTime) Values() any     { return []string{"2026-11-21"} }
