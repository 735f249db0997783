package remote

import (
	"context"
	"sync"
	"time"
)

// tableList caches the names of the database's tables, which default-deny
// scopes filter to nothing unless the scope names them.
type tableList struct {
	mu      sync.Mutex
	names   []string
	fetched time.Time
}

// tablesTTL is how long a table list is reused: tables appear at start, by
// schema steps, so a short cache costs nothing in correctness there.
const tablesTTL = 30 * time.Second

func (e *Engine) tables(ctx context.Context) ([]string, error) {
	e.tableList.mu.Lock()
	defer e.tableList.mu.Unlock()
	if e.tableList.names != nil && time.Since(e.tableList.fetched) < tablesTTL {
		return e.tableList.names, nil
	}
	rows, err := e.conn.Query(ctx, "SELECT name FROM system.tables WHERE database = currentDatabase()")
	if err != nil {
		return nil, fail(ctx, err)
	}
	defer rows.Close()
	names := []string{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fail(ctx, err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fail(ctx, err)
	}
	e.tableList.names, e.tableList.fetched = names, time.Now()
	return names, nil
}
