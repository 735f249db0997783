// Package chdb is the embedded ClickHouse engine: libchdb.so loaded in
// process through its C ABI with purego, so logmart runs with no ClickHouse
// server. The engine boots once per process on one data path; every Engine
// opened in the process shares it.
package chdb

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/store"
)

// Config configures the embedded engine.
type Config struct {
	// Library is the path of libchdb.so. Default empty: $LOGMART_CHDB_LIB or
	// ~/.cache/logmart/chdb/<LibVersion>/libchdb.so, where `make chdb` puts
	// it, looked up when the engine opens.
	Library string `yaml:"library"`
	// Path is the data directory the engine persists to. Set from --data.
	Path string `yaml:"-"`
	// ConfigFile is a ClickHouse server config (XML or YAML) passed at boot,
	// for storage policies (hot/warm/cold disks). Empty: one logmart
	// generates, with the tier policy logmart_tiers (tiers.go).
	ConfigFile string `yaml:"config_file"`
	// Connections is how many read-write connections run statements at once.
	// One connection serializes its statements; more let a slow statement run
	// beside fast ones. Default 4.
	Connections int `yaml:"connections"`
	// ReadConnections caps the read-only connections (each holds a settings
	// profile: read-only mode, limits, row filters). Default 8.
	ReadConnections int `yaml:"read_connections"`
}

// Default returns the defaults documented on Config.
func Default() Config {
	return Config{Connections: 4, ReadConnections: 8}
}

// Validate reports the first field a user must fix.
func (c Config) Validate() error {
	if c.Connections < 1 || c.Connections > 64 {
		return fmt.Errorf("store.chdb.connections must be between 1 and 64, got %d", c.Connections)
	}
	if c.ReadConnections < 1 || c.ReadConnections > 256 {
		return fmt.Errorf("store.chdb.read_connections must be between 1 and 256, got %d", c.ReadConnections)
	}
	return nil
}

// conn is one chDB connection: a ClickHouse session that runs one statement
// at a time.
type conn struct {
	pp unsafe.Pointer // chdb_connection*, for chdb_close_conn
	// broken is set when any statement on the session failed or was
	// cancelled. A statement that fails after it began producing output
	// leaves that output in the session, and the engine hands it to the
	// session's next statement as that statement's result; so a session
	// that saw any error is closed, never reused, whatever the error's kind.
	broken  bool
	ptr     unsafe.Pointer // chdb_connection, for queries
	profile string
}

// Engine is a store.Store on the embedded engine.
type Engine struct {
	lib      *lib
	database string
	log      *slog.Logger

	rw       chan *conn    // idle read-write connections
	readSlot chan struct{} // one token per read connection that may exist

	spool string // folder of the named pipes inserts stream through

	// control runs KILL QUERY for statements whose caller went away; it
	// runs nothing else, so it is free when a kill is needed.
	controlMu sync.Mutex
	control   *conn

	tableList store.TableList // the database's tables, for default-deny scopes

	mu     sync.Mutex
	idle   map[string][]*conn // idle read connections by settings profile
	all    []*conn
	closed bool
	done   chan struct{} // closed by Close
}

var (
	bootMu   sync.Mutex
	bootPath string
	keeper   *conn // never closed: closing the last connection shuts the engine down
)

// Open boots the engine on cfg.Path (or joins it, if this process already
// booted it there), creates database if needed and returns an Engine whose
// statements default to that database.
func Open(cfg Config, database string, log *slog.Logger) (*Engine, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := store.CheckDatabase(database); err != nil {
		return nil, err
	}
	if cfg.Library == "" {
		cfg.Library = DefaultLibPath()
	}
	l, err := loadLib(cfg.Library)
	if err != nil {
		return nil, err
	}
	path, err := filepath.Abs(cfg.Path)
	if err != nil || cfg.Path == "" {
		return nil, fmt.Errorf("store.chdb data path %q is not usable", cfg.Path)
	}
	if err := os.MkdirAll(path, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create the engine data path %q: %w", path, err)
	}
	bootMu.Lock()
	defer bootMu.Unlock()
	if keeper == nil {
		// The engine runs as clickhouse-local, which does not confine file()
		// to user_files_path; the folders are set to empty ones of logmart's
		// own all the same, and ad-hoc SQL may name no function that reads
		// files (query.checkAdHoc).
		confined := []string{filepath.Join(path, "user_files"), filepath.Join(path, "user_scripts")}
		for _, d := range confined {
			if err := os.MkdirAll(d, 0o700); err != nil {
				return nil, fmt.Errorf("cannot create the engine folder %q: %w", d, err)
			}
		}
		args := []string{"--path=" + path, "--user_files_path=" + confined[0] + "/", "--user_scripts_path=" + confined[1] + "/"}
		conf := cfg.ConfigFile
		if conf == "" {
			if conf, err = writeTierConfig(path); err != nil {
				return nil, err
			}
		}
		args = append(args, "--config-file="+conf)
		saved := saveSignals()
		keeper, err = connect(l, args)
		restoreSignals(saved)
		if err != nil {
			return nil, fmt.Errorf("cannot start the embedded ClickHouse engine on %q: %w", path, err)
		}
		bootPath = path
		// Pipes left by a process that was killed mid-insert.
		os.RemoveAll(filepath.Join(path, pipeDir))
		log.Info("embedded ClickHouse engine started", "path", path, "library", cfg.Library)
	} else if bootPath != path {
		return nil, fmt.Errorf("the embedded engine already runs on %q in this process; cannot open %q too", bootPath, path)
	}

	e := &Engine{
		lib:      l,
		database: database,
		log:      log,
		rw:       make(chan *conn, cfg.Connections),
		readSlot: make(chan struct{}, cfg.ReadConnections),
		idle:     map[string][]*conn{},
		done:     make(chan struct{}),
		spool:    filepath.Join(path, pipeDir),
	}
	if err := os.MkdirAll(e.spool, 0o700); err != nil {
		return nil, fmt.Errorf("cannot create the insert pipe folder %q: %w", e.spool, err)
	}
	if err := e.run(keeper, "CREATE DATABASE IF NOT EXISTS "+database); err != nil {
		return nil, fmt.Errorf("cannot create database %q: %w", database, err)
	}
	if e.control, err = e.newConn(store.Settings{}); err != nil {
		e.Close()
		return nil, err
	}
	for range cfg.Connections {
		c, err := e.newConn(store.Settings{})
		if err != nil {
			e.Close()
			return nil, err
		}
		e.rw <- c
	}
	return e, nil
}

func connect(l *lib, args []string) (*conn, error) {
	argv := make([]*byte, 0, len(args)+1)
	argv = append(argv, cString("clickhouse"))
	for _, a := range args {
		argv = append(argv, cString(a))
	}
	p := l.connect(int32(len(argv)), &argv[0])
	if p == nil || *(*unsafe.Pointer)(p) == nil {
		return nil, fmt.Errorf("chdb_connect failed with arguments %q", args)
	}
	return &conn{pp: p, ptr: *(*unsafe.Pointer)(p)}, nil
}

// newConn opens a session on the booted engine and fixes its settings. A
// read-only profile ends with SET readonly=1, after which ClickHouse refuses
// writes and any change of setting for the session's whole life.
func (e *Engine) newConn(s store.Settings) (*conn, error) {
	return e.newConnTables(s, nil)
}

func (e *Engine) newConnTables(s store.Settings, tables []string) (*conn, error) {
	c, err := connect(e.lib, []string{"--path=" + bootPath})
	if err != nil {
		return nil, err
	}
	stmts := []string{"USE " + e.database, "SET output_format_json_quote_64bit_integers = 0, output_format_json_quote_denormals = 1, session_timezone = 'UTC'"}
	stmts = append(stmts, profileStatements(s, tables)...)
	for _, q := range stmts {
		if err := e.run(c, q); err != nil {
			e.lib.closeConn(c.pp)
			return nil, fmt.Errorf("cannot prepare engine session (%s): %w", q, err)
		}
	}
	c.profile = profileKey(s, tables)
	e.mu.Lock()
	e.all = append(e.all, c)
	e.mu.Unlock()
	return c, nil
}

// profileStatements are the SET statements that give a session settings s.
// Read-only comes last, in a statement of its own: after it ClickHouse
// refuses any change of setting for the session's whole life.
func profileStatements(s store.Settings, tables []string) []string {
	var set []string
	var out []string
	for _, x := range s.List(tables) {
		if x.Name == "readonly" {
			continue
		}
		set = append(set, x.Name+" = "+x.Render())
	}
	if len(set) > 0 {
		out = append(out, "SET "+strings.Join(set, ", "))
	}
	if s.ReadOnly {
		out = append(out, "SET readonly = 1")
	}
	return out
}

// profileKey names the sessions that can run a statement with settings s.
func profileKey(s store.Settings, tables []string) string {
	if s.IsZero() {
		return ""
	}
	k := s.Key()
	if s.DenyUnlisted {
		k += ";tables=" + strings.Join(tables, ",")
	}
	return k
}

// tables lists the database's tables for default-deny scopes.
func (e *Engine) tables(ctx context.Context) ([]string, error) {
	return e.tableList.Get(ctx, func(ctx context.Context) ([]string, error) {
		res, err := e.Query(ctx, store.Query{SQL: store.TablesSQL})
		if err != nil {
			return nil, fmt.Errorf("cannot list the tables a scope denies: %w", err)
		}
		names := make([]string, 0, len(res.Rows))
		for _, r := range res.Rows {
			if n, ok := r[0].(string); ok {
				names = append(names, n)
			}
		}
		return names, nil
	})
}

// acquire takes a connection able to run a statement with settings s.
func (e *Engine) acquire(ctx context.Context, s store.Settings) (*conn, error) {
	var tables []string
	if s.DenyUnlisted {
		var err error
		if tables, err = e.tables(ctx); err != nil {
			return nil, err
		}
	}
	if s.IsZero() {
		select {
		case c := <-e.rw:
			return c, nil
		case <-e.done:
			return nil, store.ErrUnavailable
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	select {
	case e.readSlot <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	key := profileKey(s, tables)
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		<-e.readSlot
		return nil, store.ErrUnavailable
	}
	if list := e.idle[key]; len(list) > 0 {
		c := list[len(list)-1]
		e.idle[key] = list[:len(list)-1]
		e.mu.Unlock()
		return c, nil
	}
	// Make room: a slot is free, so an idle connection of another profile may
	// be closed to keep the number of sessions bounded.
	e.evictIdleLocked()
	e.mu.Unlock()
	c, err := e.newConnTables(s, tables)
	if err != nil {
		<-e.readSlot
		return nil, err
	}
	return c, nil
}

func (e *Engine) evictIdleLocked() {
	n := 0
	for _, l := range e.idle {
		n += len(l)
	}
	if n < cap(e.readSlot) {
		return
	}
	for k, l := range e.idle {
		if len(l) == 0 {
			continue
		}
		c := l[0]
		e.idle[k] = l[1:]
		e.closeConnLocked(c)
		return
	}
}

func (e *Engine) closeConnLocked(c *conn) {
	e.lib.closeConn(c.pp)
	for i, x := range e.all {
		if x == c {
			e.all = append(e.all[:i], e.all[i+1:]...)
			break
		}
	}
}

// release returns c to its pool, or closes it when it saw an error: see
// conn.broken. A broken read-write session is replaced at once, so the pool
// keeps its size.
func (e *Engine) release(c *conn) {
	if c.broken && c.profile == "" {
		e.mu.Lock()
		e.closeConnLocked(c)
		e.mu.Unlock()
		fresh, err := e.newConn(store.Settings{})
		if err != nil {
			e.log.Warn("cannot replace an engine session; retrying", "err", err)
			go e.replaceRW()
			return
		}
		c = fresh
	}
	e.mu.Lock()
	if c.profile == "" {
		if e.closed {
			e.closeConnLocked(c)
		} else {
			e.rw <- c
		}
		e.mu.Unlock()
		return
	}
	if e.closed || c.broken {
		e.closeConnLocked(c)
	} else {
		e.idle[c.profile] = append(e.idle[c.profile], c)
	}
	e.mu.Unlock()
	<-e.readSlot
}

// replaceRW opens a read-write session in place of a closed broken one,
// retrying until it can or the Engine closes.
func (e *Engine) replaceRW() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-e.done:
			return
		case <-t.C:
		}
		c, err := e.newConn(store.Settings{})
		if err != nil {
			continue
		}
		e.mu.Lock()
		if e.closed {
			e.closeConnLocked(c)
		} else {
			e.rw <- c
		}
		e.mu.Unlock()
		return
	}
}

// result is one finished statement's output, valid until free.
type result struct {
	l   *lib
	ptr unsafe.Pointer
}

func (r result) bytes() []byte {
	n := r.l.length(r.ptr)
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(r.l.buffer(r.ptr)), n)
}

func (r result) free() { r.l.destroy(r.ptr) }

// exec runs sql on c with format and returns the result, or the engine's
// error as *store.Error. Any error marks c broken (see conn.broken): the
// session never runs another statement.
func (e *Engine) exec(c *conn, sql []byte, format string, params map[string]string) (result, error) {
	f := cString(format)
	var p unsafe.Pointer
	if len(params) == 0 {
		p = e.lib.queryN(c.ptr, unsafe.Pointer(unsafe.SliceData(sql)), uintptr(len(sql)), f, uintptr(len(format)))
	} else {
		n := len(params)
		names, values := make([]*byte, 0, n), make([]*byte, 0, n)
		nameLens, valueLens := make([]uintptr, 0, n), make([]uintptr, 0, n)
		for k, v := range params {
			v = store.EscapeParam(v)
			names = append(names, cString(k))
			nameLens = append(nameLens, uintptr(len(k)))
			values = append(values, cString(v))
			valueLens = append(valueLens, uintptr(len(v)))
		}
		p = e.lib.queryParamsN(c.ptr, unsafe.Pointer(unsafe.SliceData(sql)), uintptr(len(sql)), f, uintptr(len(format)),
			&names[0], &nameLens[0], &values[0], &valueLens[0], uintptr(n))
		runtime.KeepAlive(names)
		runtime.KeepAlive(values)
	}
	runtime.KeepAlive(sql)
	runtime.KeepAlive(f)
	if p == nil {
		c.broken = true
		return result{}, fmt.Errorf("the embedded engine returned no result: %w", store.ErrUnavailable)
	}
	r := result{l: e.lib, ptr: p}
	if msg := e.lib.errorMsg(p); msg != nil {
		text := goString(msg)
		r.free()
		c.broken = true
		return result{}, store.ParseError(text)
	}
	return r, nil
}

// statement runs one caller's statement on c. The text goes with a leading
// store.Marker, so that when ctx ends before the statement does, the
// control session kills exactly this run; a killed statement's session is
// broken like any failed one.
func (e *Engine) statement(ctx context.Context, c *conn, s store.Settings, sql []byte, format string, params map[string]string) (result, error) {
	marker := s.Mark()
	text := make([]byte, 0, len(marker)+len(sql))
	text = append(append(text, marker...), sql...)
	finished := make(chan struct{})
	var killed atomic.Bool
	stop := context.AfterFunc(ctx, func() {
		killed.Store(true)
		e.kill(marker, finished)
	})
	r, err := e.exec(c, text, format, params)
	close(finished)
	stop()
	if killed.Load() {
		if err == nil {
			r.free()
		}
		c.broken = true
		queriesCancelled.Inc()
		return result{}, fault.Wrap(fault.Unavailable, fmt.Errorf("the statement was stopped: %w", context.Cause(ctx)))
	}
	return r, store.Unmark(err, len(marker))
}

// kill stops the statement whose text starts with marker, from the control
// session, until finished closes: a statement not yet registered with the
// engine when ctx ended is killed on the next try.
func (e *Engine) kill(marker string, finished <-chan struct{}) {
	q := []byte("KILL QUERY WHERE startsWith(query, " + store.Quote(marker) + ") ASYNC")
	for {
		e.controlMu.Lock()
		select {
		case <-e.done:
			e.controlMu.Unlock()
			return
		default:
		}
		if e.control == nil || e.control.broken {
			if e.control != nil {
				e.mu.Lock()
				e.closeConnLocked(e.control)
				e.mu.Unlock()
			}
			e.control, _ = e.newConn(store.Settings{})
		}
		if e.control != nil {
			if r, err := e.exec(e.control, q, "TSV", nil); err == nil {
				r.free()
			} else {
				e.log.Warn("cannot kill an abandoned statement", "err", err)
			}
		}
		e.controlMu.Unlock()
		select {
		case <-finished:
			return
		case <-time.After(killRetry):
		case <-e.done:
			return
		}
	}
}

// killRetry is how often kill tries again while the statement runs on.
const killRetry = 100 * time.Millisecond

func (e *Engine) run(c *conn, sql string) error {
	r, err := e.exec(c, []byte(sql), "TSV", nil)
	if err != nil {
		return err
	}
	r.free()
	return nil
}

// Query implements store.Store.
func (e *Engine) Query(ctx context.Context, q store.Query) (*store.Result, error) {
	c, err := e.acquire(ctx, q.Settings)
	if err != nil {
		return nil, err
	}
	defer e.release(c)
	r, err := e.statement(ctx, c, q.Settings, []byte(q.SQL), "JSONCompact", q.Params)
	if err != nil {
		return nil, err
	}
	defer r.free()
	res, err := decodeJSONCompact(r.bytes())
	if err != nil {
		c.broken = true
		return nil, err
	}
	if res.Stats.Elapsed == 0 {
		res.Stats.Elapsed = time.Duration(e.lib.elapsed(r.ptr) * float64(time.Second))
	}
	return res, nil
}

// decodeJSONCompact reads ClickHouse's JSONCompact output.
func decodeJSONCompact(b []byte) (*store.Result, error) {
	res := &store.Result{}
	if len(bytes.TrimSpace(b)) == 0 {
		return res, nil
	}
	var out struct {
		Meta       []store.Column `json:"meta"`
		Data       [][]any        `json:"data"`
		Rows       *uint64        `json:"rows"`
		Statistics struct {
			Elapsed   float64 `json:"elapsed"`
			RowsRead  uint64  `json:"rows_read"`
			BytesRead uint64  `json:"bytes_read"`
		} `json:"statistics"`
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&out); err != nil {
		return nil, fmt.Errorf("cannot decode the engine's result: %w", err)
	}
	// One statement gives one document whose row count is its own: output
	// left over from another statement shows as a second document or as a
	// count that does not match.
	if _, err := d.Token(); err != io.EOF {
		return nil, fmt.Errorf("cannot decode the engine's result: more than one result document: %w", store.ErrUnavailable)
	}
	if out.Rows != nil && *out.Rows != uint64(len(out.Data)) {
		return nil, fmt.Errorf("cannot decode the engine's result: it says %d rows and holds %d: %w", *out.Rows, len(out.Data), store.ErrUnavailable)
	}
	res.Columns, res.Rows = out.Meta, out.Data
	// The output's own statistics count what the query scanned; the C ABI's
	// rows_read counts the result.
	res.Stats = store.Stats{
		RowsRead:  out.Statistics.RowsRead,
		BytesRead: out.Statistics.BytesRead,
		Elapsed:   time.Duration(out.Statistics.Elapsed * float64(time.Second)),
	}
	if res.Rows == nil {
		res.Rows = [][]any{}
	}
	return res, nil
}

// Exec implements store.Store.
func (e *Engine) Exec(ctx context.Context, q store.Query) error {
	c, err := e.acquire(ctx, q.Settings)
	if err != nil {
		return err
	}
	defer e.release(c)
	r, err := e.statement(ctx, c, q.Settings, []byte(q.SQL), "TSV", q.Params)
	if err != nil {
		return err
	}
	r.free()
	return nil
}

// Insert implements store.Store. After store.CheckInsert (an empty block
// writes nothing), it streams the block in ClickHouse's Native format
// through a named pipe in the spool folder (see insertStream), and one
// INSERT … FROM INFILE statement on the read-write session reads it from
// there: the engine parses no text and the rows never land in a file. It
// runs with store.InsertSettings: with a token, a repeated insert carrying
// it is deduplicated; without one, deduplication is off, so an identical
// second block is kept. Skip indexes are left to merges
// (store.DeferSkipIndexes).
func (e *Engine) Insert(ctx context.Context, table string, b *store.Block, token string) error {
	if write, err := store.CheckInsert(table, b, token); !write {
		return err
	}
	in, err := e.stream(b)
	if err != nil {
		return fmt.Errorf("cannot stage an insert into %s: %w", table, err)
	}
	defer in.close()
	sql := make([]byte, 0, 256)
	sql = append(sql, store.InsertStatement(table, b.Names())...)
	sql = append(sql, " FROM INFILE "...)
	sql = append(sql, store.Quote(in.path)...)
	for i, s := range store.InsertSettings(token, true) {
		if i == 0 {
			sql = append(sql, " SETTINGS "...)
		} else {
			sql = append(sql, ", "...)
		}
		sql = append(sql, s.Name+" = "+s.Render()...)
	}
	sql = append(sql, " FORMAT Native"...)

	c, err := e.acquire(ctx, store.Settings{})
	if err != nil {
		return err
	}
	defer e.release(c)
	r, err := e.statement(ctx, c, store.Settings{}, sql, "TSV", nil)
	if werr := in.close(); err == nil && werr != nil {
		return fmt.Errorf("cannot stream an insert into %s: %w", table, werr)
	}
	if err != nil {
		return fmt.Errorf("cannot insert %d rows into %s: %w", b.Rows(), table, err)
	}
	r.free()
	return nil
}

// Ping implements store.Store.
func (e *Engine) Ping(ctx context.Context) error {
	_, err := e.Query(ctx, store.Query{SQL: "SELECT 1"})
	return err
}

// Cluster implements store.Store: the embedded engine is a single node.
func (e *Engine) Cluster() string { return "" }

// Engine implements store.Store.
func (e *Engine) Engine() string { return "chdb" }

// Database is the database statements run in.
func (e *Engine) Database() string { return e.database }

// Close closes this Engine's sessions. The engine itself stays booted for the
// process's life (see the keeper connection): chDB is meant to boot once.
func (e *Engine) Close() error {
	// The control session first, under its own lock alone: kill takes that
	// lock before e.mu.
	e.controlMu.Lock()
	ctl := e.control
	e.control = nil
	e.controlMu.Unlock()
	e.mu.Lock()
	defer e.mu.Unlock()
	if ctl != nil {
		e.closeConnLocked(ctl)
	}
	if e.closed {
		return nil
	}
	e.closed = true
	close(e.done)
	for {
		select {
		case c := <-e.rw:
			e.closeConnLocked(c)
			continue
		default:
		}
		break
	}
	for k, l := range e.idle {
		for _, c := range l {
			e.closeConnLocked(c)
		}
		delete(e.idle, k)
	}
	return nil
}
