package remote

import (
	"context"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/logmart/logmart/store"
)

// querySettings turns store.Settings into the per-query settings sent with
// the statement. ClickHouse applies them before it parses the statement, so
// a SETTINGS clause or SET inside a read-only statement is refused. tables
// are the database's tables, for default-deny scopes.
func querySettings(s store.Settings, tables []string) clickhouse.Settings {
	if s.IsZero() {
		return nil
	}
	out := clickhouse.Settings{}
	for _, set := range s.List(tables) {
		if lit, ok := set.Value.(store.Literal); ok {
			out[set.Name] = string(lit)
		} else {
			out[set.Name] = set.Value
		}
	}
	return out
}

// queryParameters prepares q.Params for clickhouse.WithParameters, each
// value written by store.EscapeParam.
func queryParameters(p map[string]string) clickhouse.Parameters {
	if len(p) == 0 {
		return nil
	}
	out := make(clickhouse.Parameters, len(p))
	for k, v := range p {
		out[k] = store.EscapeParam(v)
	}
	return out
}

// statementContext attaches q's parameters and settings (and extra options)
// to ctx. When the statement has its own max_execution_time, the caller's
// deadline is detached (its cancellation is kept): clickhouse-go otherwise
// replaces max_execution_time with the time left on the deadline, and the
// limit would surface as a cancelled context instead of ClickHouse's
// TIMEOUT_EXCEEDED.
func statementContext(ctx context.Context, q store.Query, tables []string, extra ...clickhouse.QueryOption) (context.Context, context.CancelFunc) {
	cancel := context.CancelFunc(func() {})
	if _, ok := ctx.Deadline(); ok && q.Settings.MaxExecutionTime > 0 {
		ctx, cancel = withoutDeadline(ctx)
	}
	opts := make([]clickhouse.QueryOption, 0, 2+len(extra))
	if p := queryParameters(q.Params); p != nil {
		opts = append(opts, clickhouse.WithParameters(p))
	}
	if s := querySettings(q.Settings, tables); s != nil {
		opts = append(opts, clickhouse.WithSettings(s))
	}
	opts = append(opts, extra...)
	return clickhouse.Context(ctx, opts...), cancel
}

// withoutDeadline returns a context with parent's values and cancellation
// but no deadline; it is cancelled when parent is done.
func withoutDeadline(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(context.WithoutCancel(parent))
	stop := context.AfterFunc(parent, func() { cancel(context.Cause(parent)) })
	return ctx, func() {
		stop()
		cancel(context.Canceled)
	}
}
