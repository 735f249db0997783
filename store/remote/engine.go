package remote

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/logmart/logmart/store"
)

// Engine is a store.Store on a ClickHouse server or cluster. It holds a pool
// of native-protocol connections (Config.MaxOpenConns) and is safe for
// concurrent use.
type Engine struct {
	conn     driver.Conn
	database string
	cluster  string
	log      *slog.Logger
	closed   atomic.Bool
	// deferIndexes says the server knows store.DeferSkipIndexes's setting
	// (ClickHouse 25.x and later); older servers build indexes on insert.
	deferIndexes bool
	// tableList is the database's tables, for default-deny scopes.
	tableList store.TableList
}

var _ store.Store = (*Engine)(nil)

// errClosed is returned by every call after Close.
var errClosed = fmt.Errorf("the ClickHouse engine is closed: %w", store.ErrUnavailable)

// ddlTimeout bounds the statements Open runs itself. CREATE DATABASE ON
// CLUSTER waits for every host, so it gets more than a dial.
const ddlTimeout = 3 * time.Minute

// Open connects to the servers in cfg.Addr, checks that one answers and
// that cfg.Cluster (if set) is defined there, creates database when it is
// missing (ON CLUSTER with a cluster) and returns an Engine whose statements
// default to database. A server that cannot be reached fails Open with an
// error wrapping store.ErrUnavailable; log defaults to discarding.
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
	tlsCfg, err := cfg.TLS.tlsConfig()
	if err != nil {
		return nil, err
	}
	addr := strings.Join(cfg.Addr, ",")
	openErr := func(err error) (*Engine, error) {
		return nil, fmt.Errorf("cannot open ClickHouse at %q: %w", addr, convertError(err))
	}

	// The database may not exist yet, and a connection whose default
	// database is missing is refused; so the first connection has none.
	boot, err := clickhouse.Open(cfg.options("", tlsCfg))
	if err != nil {
		return openErr(err)
	}
	defer boot.Close()
	if err := ping(boot, cfg.DialTimeout); err != nil {
		return openErr(err)
	}
	version, err := boot.ServerVersion()
	if err != nil {
		return openErr(err)
	}
	if err := prepare(boot, cfg.Cluster, database); err != nil {
		return nil, fmt.Errorf("cannot prepare ClickHouse at %q: %w", addr, err)
	}

	conn, err := clickhouse.Open(cfg.options(database, tlsCfg))
	if err != nil {
		return openErr(err)
	}
	if err := ping(conn, cfg.DialTimeout); err != nil {
		conn.Close()
		return openErr(err)
	}
	deferIndexes, err := knowsSetting(conn, cfg.DialTimeout, store.DeferSkipIndexes)
	if err != nil {
		conn.Close()
		return openErr(err)
	}
	log.Info("connected to ClickHouse", "addr", addr, "database", database, "cluster", cfg.Cluster,
		"version", version.Version.String(), "tls", cfg.TLS.Enabled)
	return &Engine{conn: conn, database: database, cluster: cfg.Cluster, log: log, deferIndexes: deferIndexes}, nil
}

// options builds the driver's options; database is the connections'
// default database, empty for the server's.
func (c Config) options(database string, tlsCfg *tls.Config) *clickhouse.Options {
	var comp *clickhouse.Compression
	if m := compressions[c.Compression]; m != nil {
		cp := *m
		comp = &cp
	}
	return &clickhouse.Options{
		Protocol: clickhouse.Native,
		Addr:     append([]string(nil), c.Addr...),
		Auth: clickhouse.Auth{
			Database: database,
			Username: c.Username,
			Password: c.Password,
		},
		TLS:              tlsCfg,
		DialTimeout:      c.DialTimeout,
		MaxOpenConns:     c.MaxOpenConns,
		MaxIdleConns:     min(5, c.MaxOpenConns),
		ConnOpenStrategy: clickhouse.ConnOpenRoundRobin,
		Compression:      comp,
	}
}

// knowsSetting says whether the server has a query setting by this name.
func knowsSetting(conn driver.Conn, dial time.Duration, name string) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*dial)
	defer cancel()
	var n uint64
	q := clickhouse.Context(ctx, clickhouse.WithParameters(clickhouse.Parameters{"n": name}))
	if err := conn.QueryRow(q, "SELECT count() FROM system.settings WHERE name = {n:String}").Scan(&n); err != nil {
		return false, fmt.Errorf("cannot look up setting %q: %w", name, convertError(err))
	}
	return n > 0, nil
}

// ping checks that a server answers, bounded by twice the dial timeout
// (one dial plus the round trip).
func ping(conn driver.Conn, dial time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*dial)
	defer cancel()
	return conn.Ping(ctx)
}

// prepare checks the cluster and creates the database when it is missing.
// Checking first lets logmart run as a user without CREATE DATABASE once
// the database exists.
func prepare(conn driver.Conn, cluster, database string) error {
	ctx, cancel := context.WithTimeout(context.Background(), ddlTimeout)
	defer cancel()
	if cluster != "" {
		var n uint64
		q := clickhouse.Context(ctx, clickhouse.WithParameters(clickhouse.Parameters{"c": store.EscapeParam(cluster)}))
		if err := conn.QueryRow(q, "SELECT count() FROM system.clusters WHERE cluster = {c:String}").Scan(&n); err != nil {
			return fmt.Errorf("cannot look up store.remote.cluster %q: %w", cluster, convertError(err))
		}
		if n == 0 {
			return fmt.Errorf("store.remote.cluster %q is not defined on the server (see system.clusters)", cluster)
		}
	}
	var n uint64
	q := clickhouse.Context(ctx, clickhouse.WithParameters(clickhouse.Parameters{"db": database}))
	if err := conn.QueryRow(q, "SELECT count() FROM system.databases WHERE name = {db:String}").Scan(&n); err != nil {
		return fmt.Errorf("cannot look up database %q: %w", database, convertError(err))
	}
	if n > 0 {
		return nil
	}
	sql := "CREATE DATABASE IF NOT EXISTS " + database
	if cluster != "" {
		sql += " ON CLUSTER `" + cluster + "`"
	}
	if err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("cannot create database %q: %w", database, convertError(err))
	}
	return nil
}

// fail converts err and, when the caller's own context ended the call,
// returns the context's error so the caller sees why.
func fail(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return ctxErr
	}
	return convertError(err)
}

// Query implements store.Store. Rows are read whole; q.Settings'
// max_result_rows is what bounds them.
func (e *Engine) Query(ctx context.Context, q store.Query) (*store.Result, error) {
	if e.closed.Load() {
		return nil, errClosed
	}
	var rowsRead, bytesRead atomic.Uint64
	progress := clickhouse.WithProgress(func(p *clickhouse.Progress) {
		rowsRead.Add(p.Rows)
		bytesRead.Add(p.Bytes)
	})
	var tables []string
	if q.Settings.DenyUnlisted {
		var err error
		if tables, err = e.tables(ctx); err != nil {
			return nil, err
		}
	}
	qctx, cancel := statementContext(ctx, q, tables, progress)
	defer cancel()
	start := time.Now()
	marker := q.Settings.Mark()
	rows, err := e.conn.Query(qctx, marker+q.SQL)
	if err != nil {
		return nil, store.Unmark(fail(ctx, err), len(marker))
	}
	res, err := readRows(rows)
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fail(ctx, err)
	}
	res.Stats = store.Stats{RowsRead: rowsRead.Load(), BytesRead: bytesRead.Load(), Elapsed: time.Since(start)}
	return res, nil
}

// readRows scans every row into JSON-ready values. Each row gets fresh scan
// targets: the driver may fill a map or JSON target in place, and a reused
// one would carry keys from the row before.
func readRows(rows driver.Rows) (*store.Result, error) {
	types := rows.ColumnTypes()
	res := &store.Result{Columns: make([]store.Column, len(types)), Rows: [][]any{}}
	for i, t := range types {
		res.Columns[i] = store.Column{Name: t.Name(), Type: t.DatabaseTypeName()}
	}
	for rows.Next() {
		dest := make([]any, len(types))
		for i, t := range types {
			dest[i] = scanTarget(t.ScanType())
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("cannot read a result row: %w", err)
		}
		row := make([]any, len(dest))
		for i, d := range dest {
			row[i] = jsonValue(reflect.ValueOf(d).Elem().Interface(), res.Columns[i].Type)
		}
		res.Rows = append(res.Rows, row)
	}
	return res, rows.Err()
}

func scanTarget(t reflect.Type) any {
	if t == nil {
		return new(any)
	}
	return reflect.New(t).Interface()
}

// Exec implements store.Store.
func (e *Engine) Exec(ctx context.Context, q store.Query) error {
	if e.closed.Load() {
		return errClosed
	}
	var tables []string
	if q.Settings.DenyUnlisted {
		var err error
		if tables, err = e.tables(ctx); err != nil {
			return err
		}
	}
	qctx, cancel := statementContext(ctx, q, tables)
	defer cancel()
	marker := q.Settings.Mark()
	if err := e.conn.Exec(qctx, marker+q.SQL); err != nil {
		return store.Unmark(fail(ctx, err), len(marker))
	}
	return nil
}

// Ping implements store.Store: nil when a server answers.
func (e *Engine) Ping(ctx context.Context) error {
	if e.closed.Load() {
		return errClosed
	}
	return fail(ctx, e.conn.Ping(ctx))
}

// Cluster implements store.Store: Config.Cluster, empty for a single node.
func (e *Engine) Cluster() string { return e.cluster }

// Engine implements store.Store.
func (e *Engine) Engine() string { return "remote" }

// Database is the database statements run in when they name none.
func (e *Engine) Database() string { return e.database }

// Close closes the connection pool; statements running on it fail. Calls
// after Close return an error wrapping store.ErrUnavailable.
func (e *Engine) Close() error {
	if e.closed.Swap(true) {
		return nil
	}
	return e.conn.Close()
}
