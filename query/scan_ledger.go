package query

import (
	"context"
	"fmt"
	"time"

	"github.com/logmart/logmart/store"
)

// ScanLedger counts the bytes callers' queries read, from the query audit
// (query_log.bytes_read), for daily scan budgets. The embedded engine
// keeps no ClickHouse quotas (it runs without access management, and
// CREATE QUOTA is refused), and a ClickHouse server's quotas count per
// ClickHouse user, where logmart runs every caller as one: so the audit,
// which names the caller of every run, is the count on both engines.
//
// The audit is written in batches about a second apart: a run is counted
// once its entry is written, so a burst of queries within that second may
// read past a budget before the next one is refused.
type ScanLedger struct {
	st store.Store
}

// NewScanLedger reads st's query_log.
func NewScanLedger(st store.Store) *ScanLedger { return &ScanLedger{st: st} }

// BytesRead returns the bytes read by the queries run since since, by user
// when user is set, else by every caller with role.
func (l *ScanLedger) BytesRead(ctx context.Context, user, role string, since time.Time) (uint64, error) {
	who, val := "user", user
	if user == "" {
		who, val = "role", role
	}
	res, err := l.st.Query(ctx, store.Query{
		SQL:    "SELECT sum(bytes_read) FROM query_log WHERE time >= {since:DateTime64(3)} AND " + who + " = {who:String}",
		Params: map[string]string{"since": since.UTC().Format("2006-01-02 15:04:05.000"), "who": val},
	})
	if err != nil {
		return 0, fmt.Errorf("cannot count the bytes read today by %s %q: %w", who, val, err)
	}
	if len(res.Rows) == 0 || len(res.Rows[0]) == 0 {
		return 0, nil
	}
	return store.CellUint64(res.Rows[0][0]), nil
}
