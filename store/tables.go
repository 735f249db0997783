package store

import (
	"context"
	"sync"
	"time"
)

// TablesSQL lists the database's tables: a default-deny scope
// (Settings.DenyUnlisted) hides each one it does not name.
const TablesSQL = "SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name"

// tablesTTL is how long a table list is reused: tables appear at start, by
// schema steps, so a short cache costs nothing in correctness there.
const tablesTTL = 30 * time.Second

// TableList caches an engine's table names for default-deny scopes, so a
// scoped statement does not list them first. The zero value is ready; it is
// safe for concurrent use.
type TableList struct {
	mu      sync.Mutex
	names   []string
	fetched time.Time
}

// Get returns the names, calling fetch (which runs TablesSQL on the engine)
// when there are none yet or they are 30 seconds old. Callers wait for one
// fetch at a time; an error is returned as fetch wrote it and not cached.
func (l *TableList) Get(ctx context.Context, fetch func(context.Context) ([]string, error)) ([]string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.names != nil && time.Since(l.fetched) < tablesTTL {
		return l.names, nil
	}
	names, err := fetch(ctx)
	if err != nil {
		return nil, err
	}
	l.names, l.fetched = names, time.Now()
	return names, nil
}

// Reset drops the cached names: the next Get fetches them.
func (l *TableList) Reset() {
	l.mu.Lock()
	l.names = nil
	l.mu.Unlock()
}
