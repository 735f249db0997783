package remote

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/logmart/logmart/store"
)

// Insert implements store.Store. The block goes to the server as one native
// INSERT: the statement names the columns, and each column's values are
// appended whole (batch.Column(i).Append), so no text is parsed. With a
// token, insert_deduplicate and insert_deduplication_token are set on the
// insert, and a retried block carrying the same token is dropped by the
// server (on a non-replicated MergeTree only when the table sets
// non_replicated_deduplication_window).
func (e *Engine) Insert(ctx context.Context, table string, b *store.Block, token string) error {
	if write, err := store.CheckInsert(table, b, token); !write {
		return err
	}
	values := make([]any, len(b.Cols))
	for i, c := range b.Cols {
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
	settings := clickhouse.Settings{}
	for _, s := range store.InsertSettings(token, e.deferIndexes) {
		settings[s.Name] = s.Value
	}
	ictx := clickhouse.Context(ctx, clickhouse.WithSettings(settings))
	batch, err := e.conn.PrepareBatch(ictx, store.InsertStatement(table, b.Names()))
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
