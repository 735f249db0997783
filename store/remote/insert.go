package remote

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/logmart/logmart/store"
)

// tokenRe is the deduplication tokens the embedded engine accepts; the
// remote engine accepts the same, so a token valid on one is valid on both.
var tokenRe = regexp.MustCompile(`^[A-Za-z0-9_.:/-]{1,256}$`)

// Insert implements store.Store. The block goes to the server as one native
// INSERT: the statement names the columns, and each column's values are
// appended whole (batch.Column(i).Append), so no text is parsed. With a
// token, insert_deduplicate and insert_deduplication_token are set on the
// insert, and a retried block carrying the same token is dropped by the
// server (on a non-replicated MergeTree only when the table sets
// non_replicated_deduplication_window).
func (e *Engine) Insert(ctx context.Context, table string, b *store.Block, token string) error {
	if err := b.Check(); err != nil {
		return fmt.Errorf("cannot insert into %s: %w", table, err)
	}
	if b.Rows() == 0 {
		return nil
	}
	if !identRe.MatchString(table) {
		return fmt.Errorf("cannot insert into %q: not a table name", table)
	}
	if token != "" && !tokenRe.MatchString(token) {
		return fmt.Errorf("cannot insert into %s: deduplication token %q has characters outside [A-Za-z0-9_.:/-]", table, token)
	}
	values := make([]any, len(b.Cols))
	for i, c := range b.Cols {
		if !identRe.MatchString(c.ColName()) {
			return fmt.Errorf("cannot insert into %s: %q is not a column name", table, c.ColName())
		}
		v, err := columnValues(c)
		if err != nil {
			return fmt.Errorf("cannot insert into %s: %w", table, err)
		}
		values[i] = v
	}
	if e.closed.Load() {
		return errClosed
	}
	n := b.Rows()
	// Without a token, deduplication by the data's hash would drop a second,
	// legitimately identical block: it is off.
	settings := clickhouse.Settings{"insert_deduplicate": 0}
	if token != "" {
		settings = clickhouse.Settings{"insert_deduplicate": 1, "insert_deduplication_token": token}
	}
	if e.deferIndexes {
		settings["materialize_skip_indexes_on_insert"] = 0 // store.DeferSkipIndexes
	}
	ictx := clickhouse.Context(ctx, clickhouse.WithSettings(settings))
	batch, err := e.conn.PrepareBatch(ictx, insertStatement(table, b.Names()))
	if err != nil {
		return fmt.Errorf("cannot insert %d rows into %s: %w", n, table, fail(ctx, err))
	}
	defer func() {
		// Abort drops the connection, so the server discards the rows
		// already sent; nothing half-written is committed.
		if !batch.IsSent() {
			batch.Abort()
		}
	}()
	if got := len(batch.Columns()); got != len(values) {
		return fmt.Errorf("cannot insert %d rows into %s: the server expects %d columns, the block has %d", n, table, got, len(values))
	}
	for i, v := range values {
		if err := batch.Column(i).Append(v); err != nil {
			return fmt.Errorf("cannot insert %d rows into %s: column %q (%s): %w", n, table, b.Cols[i].ColName(), b.Cols[i].ColType(), fail(ctx, err))
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("cannot insert %d rows into %s: %w", n, table, fail(ctx, err))
	}
	return nil
}

// insertStatement is "INSERT INTO table (`a`, `b`)"; names are checked
// identifiers.
func insertStatement(table string, names []string) string {
	var sb strings.Builder
	sb.WriteString("INSERT INTO ")
	sb.WriteString(table)
	sb.WriteString(" (")
	for i, n := range names {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteByte('`')
		sb.WriteString(n)
		sb.WriteByte('`')
	}
	sb.WriteByte(')')
	return sb.String()
}

var dateTime64TypeRe = regexp.MustCompile(`^DateTime64\(\s*(\d)\s*(?:,.*)?\)$`)
var dateTimeTypeRe = regexp.MustCompile(`^DateTime(?:\(.*\))?$`)

// columnValues is a column's data as the driver appends it. Time columns
// hold numbers in the block (DateTime64(P) ticks of 10^-P seconds, DateTime
// seconds) and become []time.Time, so the driver encodes them at the
// table's precision whatever it is.
func columnValues(c store.BlockColumn) (any, error) {
	v := c.Values()
	typ := c.ColType()
	if m := dateTime64TypeRe.FindStringSubmatch(typ); m != nil {
		ticks, ok := v.([]int64)
		if !ok {
			return nil, fmt.Errorf("column %q of type %s holds %T, want []int64 ticks", c.ColName(), typ, v)
		}
		p, _ := strconv.Atoi(m[1])
		return ticksToTimes(ticks, p), nil
	}
	if dateTimeTypeRe.MatchString(typ) {
		secs, ok := v.([]uint32)
		if !ok {
			return nil, fmt.Errorf("column %q of type %s holds %T, want []uint32 seconds", c.ColName(), typ, v)
		}
		out := make([]time.Time, len(secs))
		for i, s := range secs {
			out[i] = time.Unix(int64(s), 0).UTC()
		}
		return out, nil
	}
	return v, nil
}

// ticksToTimes converts DateTime64(precision) ticks to times.
func ticksToTimes(ticks []int64, precision int) []time.Time {
	scale, nanos := int64(1), int64(1_000_000_000)
	for range precision {
		scale *= 10
		nanos /= 10
	}
	out := make([]time.Time, len(ticks))
	for i, t := range ticks {
		out[i] = time.Unix(t/scale, (t%scale)*nanos).UTC()
	}
	return out
}
