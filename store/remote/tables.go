package remote

import (
	"context"

	"github.com/logmart/logmart/store"
)

// tables lists the database's tables for default-deny scopes.
func (e *Engine) tables(ctx context.Context) ([]string, error) {
	return e.tableList.Get(ctx, func(ctx context.Context) ([]string, error) {
		rows, err := e.conn.Query(ctx, store.TablesSQL)
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
		return names, nil
	})
}
