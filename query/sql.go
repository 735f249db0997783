package query

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/store"
)

// MaxSQLBytes caps ad-hoc SQL text.
const MaxSQLBytes = 256 << 10

// Runner runs queries for callers and audits every run.
type Runner struct {
	st    store.Store
	audit *Audit
}

// NewRunner returns a Runner on st; audit may be nil (nothing recorded).
func NewRunner(st store.Store, audit *Audit) *Runner { return &Runner{st: st, audit: audit} }

// SQL runs one ad-hoc statement. It always runs read-only: s.ReadOnly is
// forced on, so ClickHouse refuses writes and setting changes whatever the
// text says.
func (r *Runner) SQL(ctx context.Context, who Caller, sql string, s store.Settings) (*store.Result, error) {
	sql = strings.TrimSpace(sql)
	switch {
	case sql == "":
		return nil, fault.New(fault.BadInput, "sql: statement is empty")
	case len(sql) > MaxSQLBytes:
		return nil, fault.New(fault.BadInput, "sql: statement is %d bytes, more than the %d allowed", len(sql), MaxSQLBytes)
	case !utf8.ValidString(sql):
		return nil, fault.New(fault.BadInput, "sql: statement is not valid UTF-8")
	}
	s.ReadOnly = true
	return r.run(ctx, who, store.Query{SQL: sql, Settings: s}, Entry{SQL: sql})
}

// run executes q and records it.
func (r *Runner) run(ctx context.Context, who Caller, q store.Query, e Entry) (*store.Result, error) {
	start := time.Now()
	res, err := r.st.Query(ctx, q)
	e.Time, e.Caller, e.Duration, e.Err = start, who, time.Since(start), err
	if e.SQL == "" {
		e.SQL = q.SQL
	}
	if res != nil {
		e.Stats, e.ResultRows = res.Stats, len(res.Rows)
	}
	r.audit.Record(e)
	if err != nil {
		return nil, err
	}
	return res, nil
}
