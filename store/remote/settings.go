package remote

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/logmart/logmart/store"
)

// querySettings turns store.Settings into the per-query settings sent with
// the statement. ClickHouse applies them before it parses the statement, so
// a SETTINGS clause or SET inside a read-only statement is refused.
func querySettings(s store.Settings) clickhouse.Settings {
	if s.IsZero() {
		return nil
	}
	out := clickhouse.Settings{}
	if s.ReadOnly {
		out["readonly"] = 1
	}
	if s.MaxExecutionTime > 0 {
		out["max_execution_time"] = seconds(s.MaxExecutionTime)
	}
	if s.MaxResultRows > 0 {
		out["max_result_rows"] = s.MaxResultRows
		out["result_overflow_mode"] = "throw"
	}
	if s.MaxRowsToRead > 0 {
		out["max_rows_to_read"] = s.MaxRowsToRead
		out["read_overflow_mode"] = "throw"
	}
	if s.MaxMemoryUsage > 0 {
		out["max_memory_usage"] = s.MaxMemoryUsage
	}
	if len(s.TableFilters) > 0 {
		out["additional_table_filters"] = tableFiltersLiteral(s.TableFilters)
	}
	return out
}

// seconds renders a duration as the decimal seconds ClickHouse's timespan
// settings parse ("30", "1.5"); a positive duration never renders as 0,
// which would mean "no limit".
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
}

// tableFiltersLiteral renders additional_table_filters as the Map(String,
// String) text ClickHouse parses the setting from: {'table': 'filter', …},
// keys sorted so equal settings render equally. The filters come from
// logmart's configuration (token scopes), never from a query's caller; they
// are quoted as string literals all the same.
func tableFiltersLiteral(f map[string]string) string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteString(k))
		b.WriteString(": ")
		b.WriteString(quoteString(f[k]))
	}
	b.WriteByte('}')
	return b.String()
}

// literalEscaper escapes what ends or alters a single-quoted ClickHouse
// string: the quote and the backslash. Every other byte, newlines and NULs
// included, is read back as itself.
var literalEscaper = strings.NewReplacer(`\`, `\\`, `'`, `\'`)

// quoteString writes s as a single-quoted ClickHouse string literal.
func quoteString(s string) string {
	return "'" + literalEscaper.Replace(s) + "'"
}

// paramEscaper escapes a bound parameter's value the way the server reads
// it: as a tab-separated field, where backslash, tab, newline, carriage
// return and NUL are escaped. Without it "a\tb" would end the field at the
// tab and `\n` typed by a user would arrive as a newline.
var paramEscaper = strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`, "\x00", `\0`)

// queryParameters prepares q.Params for clickhouse.WithParameters.
func queryParameters(p map[string]string) clickhouse.Parameters {
	if len(p) == 0 {
		return nil
	}
	out := make(clickhouse.Parameters, len(p))
	for k, v := range p {
		out[k] = paramEscaper.Replace(v)
	}
	return out
}

// statementContext attaches q's parameters and settings (and extra options)
// to ctx. When the statement has its own max_execution_time, the caller's
// deadline is detached (its cancellation is kept): clickhouse-go otherwise
// replaces max_execution_time with the time left on the deadline, and the
// limit would surface as a cancelled context instead of ClickHouse's
// TIMEOUT_EXCEEDED.
func statementContext(ctx context.Context, q store.Query, extra ...clickhouse.QueryOption) (context.Context, context.CancelFunc) {
	cancel := context.CancelFunc(func() {})
	if _, ok := ctx.Deadline(); ok && q.Settings.MaxExecutionTime > 0 {
		ctx, cancel = withoutDeadline(ctx)
	}
	opts := make([]clickhouse.QueryOption, 0, 2+len(extra))
	if p := queryParameters(q.Params); p != nil {
		opts = append(opts, clickhouse.WithParameters(p))
	}
	if s := querySettings(q.Settings); s != nil {
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
