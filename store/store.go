// Package store is logmart's ClickHouse boundary: one interface, two engines
// (store/chdb embeds the engine in process, store/remote talks to a server or
// cluster), and the schema migrations both run at start.
package store

import (
	"context"
	"time"
)

// Store is what every capability uses to reach ClickHouse.
//
// Implementations are safe for concurrent use. Query values never reach the
// SQL text: they travel as bound parameters ({name:Type} placeholders) and the
// engine parses them. Settings are applied by the engine, so a read-only query
// is refused by ClickHouse itself, not by inspecting its text.
type Store interface {
	// Query runs one statement and returns its rows. Settings in q apply to this
	// statement only.
	Query(ctx context.Context, q Query) (*Result, error)
	// Exec runs one statement that returns no rows (DDL, INSERT … SELECT).
	Exec(ctx context.Context, q Query) error
	// Insert writes a columnar block into table in one insert, refusing what
	// CheckInsert refuses. When token is not empty, ClickHouse drops a
	// repeated insert carrying the same token, which is what makes retried
	// batches exactly-once (DedupToken states what a token must keep to).
	// Without a token deduplication is off and an identical second block is
	// kept, so a writer that retries (ingest, into logs, events, metrics and
	// dead_letters) must always give one.
	Insert(ctx context.Context, table string, b *Block, token string) error
	// Ping answers nil when the engine can run a query.
	Ping(ctx context.Context) error
	// Cluster is the cluster name for ON CLUSTER DDL, empty for a single node.
	Cluster() string
	// Engine names the engine for logs and /readyz ("chdb" or "remote").
	Engine() string
	// Close releases connections. The Store is unusable afterwards.
	Close() error
}

// Query is one statement with its bound parameters and per-query settings.
type Query struct {
	// SQL may reference parameters as {name:Type}.
	SQL string
	// Params holds each parameter's value as text; the engine parses it as the
	// type named by its placeholder.
	Params map[string]string
	// Settings apply to this statement only.
	Settings Settings
}

// Settings are the per-query ClickHouse settings logmart uses. Zero values
// mean "not set".
type Settings struct {
	// ReadOnly makes ClickHouse refuse anything but reads, and any attempt to
	// change a setting inside the query.
	ReadOnly bool
	// MaxExecutionTime stops the query after this long.
	MaxExecutionTime time.Duration
	// MaxResultRows fails the query when its result has more rows.
	MaxResultRows uint64
	// MaxRowsToRead fails the query when it would read more rows.
	MaxRowsToRead uint64
	// MaxMemoryUsage fails the query when it needs more bytes of memory.
	MaxMemoryUsage uint64
	// TableFilters restrict what a query can see, per table, as ClickHouse's
	// additional_table_filters: the filter is applied by the engine to every
	// read of that table, whatever the query text says.
	TableFilters map[string]string
	// DenyUnlisted makes the filters default-deny: every table of logmart's
	// database that TableFilters does not name reads as empty.
	DenyUnlisted bool
	// Pool names the budget of concurrent statements the statement counts
	// against (see Gated); logmart uses the caller's role.
	Pool string
	// Owner names who the statement runs for. It travels in the statement's
	// leading comment (see Marker), never as a setting.
	Owner string
	// Statement is the id the caller chose for this run, so that it can
	// follow the run's progress and cancel it (ValidStatementID says what an
	// id must be). Empty gets a fresh id. Like Owner it travels only in the
	// statement's leading comment, and Key leaves it out.
	Statement string
}

// IsZero reports whether no setting is set.
func (s Settings) IsZero() bool {
	return !s.ReadOnly && s.MaxExecutionTime == 0 && s.MaxResultRows == 0 &&
		s.MaxRowsToRead == 0 && s.MaxMemoryUsage == 0 && len(s.TableFilters) == 0 && !s.DenyUnlisted
}

// Column names a result column and its ClickHouse type.
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Stats are what ClickHouse reports about a finished query.
type Stats struct {
	RowsRead  uint64        `json:"rows_read"`
	BytesRead uint64        `json:"bytes_read"`
	Elapsed   time.Duration `json:"-"`
}

// Result is a query's full answer. Values are JSON-ready: numbers as
// json.Number, strings, bools, nil, and slices or maps of those.
type Result struct {
	Columns []Column
	Rows    [][]any
	Stats   Stats
}

// DeferSkipIndexes is the insert setting that, set to 0, leaves a new
// part's data skipping indexes (the trace_id bloom filter) to the merge
// that rewrites it (see InsertSettings). Built on insert they were a tenth
// of an insert's CPU and then thrown away: a merge builds the merged part's
// indexes from its rows anyway. A part not merged yet is read without its
// index, and such parts are the newest and smallest.
const DeferSkipIndexes = "materialize_skip_indexes_on_insert"
