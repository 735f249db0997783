package ingest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/store"
)

// Refusals. Most failed inserts are passing trouble (the engine busy,
// short of memory, a network hiccup, a table being altered) and are
// retried until they succeed. An insert ClickHouse refuses for what the
// batch holds fails the same way every time, and retried for ever it
// blocked its partition for good (a backfill touching more than 100
// partitions did, across restarts). After maxRefusals such answers in a
// row the batch's records are set aside as dead letters, reason
// insert_refused with the engine's error, and the partition moves on.
//
// Exactly once holds: the dead letters are written with the batch's
// dead_letters token, so a consumer that takes the partition over and meets
// the same refusal writes the same set, and ClickHouse drops the repeat.

// maxRefusals is how many times in a row an insert is refused before its
// batch is set aside: more than once, in case a refusal was passing after
// all, and few, so the partition waits well under a second.
const maxRefusals = 3

// notTheBatch are the codes of errors that say nothing against the batch,
// though ClickHouse counts them with the statement's faults: the schema is
// not (yet) what this build writes, which a migration or a deployment
// fixes. They are retried.
var notTheBatch = map[int]bool{
	8:   true, // THERE_IS_NO_COLUMN
	10:  true, // NOT_FOUND_COLUMN_IN_BLOCK
	16:  true, // NO_SUCH_COLUMN_IN_TABLE
	47:  true, // UNKNOWN_IDENTIFIER
	60:  true, // UNKNOWN_TABLE
	81:  true, // UNKNOWN_DATABASE
	218: true, // TABLE_IS_DROPPED
	473: true, // DEADLOCK_AVOIDED
}

// refusal reports whether err is ClickHouse refusing the rows themselves,
// which retrying cannot change.
func refusal(err error) bool {
	var se *store.Error
	if !errors.As(err, &se) || se.Kind() != fault.BadInput || notTheBatch[se.Code] {
		return false
	}
	if se.Code == 252 { // TOO_MANY_PARTS
		// The same code says the table has too many parts while merges
		// catch up (passing) and that the block spans too many partitions
		// (the batch's own doing).
		return tooManyPartitions(err)
	}
	return true
}

// tooManyPartitions reports whether err refuses an insert for touching
// more than max_partitions_per_insert_block partitions.
func tooManyPartitions(err error) bool {
	var se *store.Error
	return errors.As(err, &se) && se.Code == 252 && strings.Contains(se.Message, "partitions for single INSERT block")
}

// split stores a batch whose rows span more daily partitions than one
// insert may touch, in several inserts of at most maxBatchDays days each.
// Batches are cut at that many days, so only a batch whose range an
// earlier build recorded (a backfill it could not store, retried since)
// or one whose records each carry many days gets here. The records are
// read again from Kafka and decoded into parts in offset order, each
// written with the token of its own offset range, so a consumer that
// splits the batch again after a crash makes the same parts and
// ClickHouse drops the repeats. Their dead letters, the batch's own
// among them, are then written as the batch's.
func (g *Ingester) split(ctx context.Context, b *partBatch) error {
	recs, err := g.reread(ctx, b)
	if err != nil {
		return err
	}
	dead := newDeadColumns()
	var deadRecs []*kgo.Record
	var parts []*partBatch
	defer func() {
		for _, p := range parts {
			p.dead = nil // dead's, released with the batch
			p.release()
		}
	}()
	now := time.Now()
	var cur *partBatch
	for _, r := range recs {
		if cur == nil {
			cur = newPartBatch(b.t, b.partition, b.maxBytes, b.routes)
			cur.budgets = b.budgets
			cur.dead = dead
			parts = append(parts, cur)
		}
		cur.add(r, now)
		if len(cur.days) >= maxBatchDays {
			cur = nil
		}
	}
	for _, p := range parts {
		deadRecs = append(deadRecs, p.deadRecs...)
		p.dead = newDeadColumns() // written below, as the batch's
		if err := p.write(ctx, g.st); err != nil {
			return err
		}
	}
	b.dead.block().Reset()
	b.dead, b.deadRecs, b.refused = dead, deadRecs, true
	rg := b.rangeOf()
	g.log.Warn("a batch spanned more daily partitions than one insert may touch; stored in parts of at most 50 days",
		"topic", b.topic, "partition", b.partition, "first", rg.first, "last", rg.last, "parts", len(parts))
	return nil
}

// setAside turns the records of a batch whose rows ClickHouse refused into
// dead letters carrying the engine's error, beside the batch's own dead
// letters: the rows were made from the records and are not kept in a form
// fit to read back, so the records are read again from Kafka. The batch
// then writes only its dead letters.
func (g *Ingester) setAside(ctx context.Context, b *partBatch, cause error) error {
	recs, err := g.reread(ctx, b)
	if err != nil {
		return err
	}
	dead := slices.Clone(b.dead.offset.Data)
	slices.Sort(dead)
	nowMs := time.Now().UnixMilli()
	n := 0
	for _, r := range recs {
		if _, found := slices.BinarySearch(dead, r.Offset); found {
			continue // set aside already, for its own reason
		}
		invalidTotal.WithLabelValues(r.Topic, ReasonInsertRefused).Inc()
		b.dead.add(ReasonInsertRefused, cause.Error(), r.Value, nowMs, r.Topic, r.Partition, r.Offset)
		b.deadRecs = append(b.deadRecs, deadLetter(r, ReasonInsertRefused, cause))
		n++
	}
	b.refused = true
	rg := b.rangeOf()
	g.log.Error("ClickHouse refused a batch for what it holds; its records are set aside as dead letters (insert_refused) and the partition moves on",
		"topic", b.topic, "partition", b.partition, "first", rg.first, "last", rg.last, "records", n, "err", cause)
	return nil
}

// reread fetches the batch's offset range from Kafka again, as the
// Ingester read it (committed records only).
func (g *Ingester) reread(ctx context.Context, b *partBatch) ([]*kgo.Record, error) {
	rg := b.rangeOf()
	fail := func(err error) error {
		return fmt.Errorf("cannot read %s/%d offsets %d-%d again to set them aside: %w", b.topic, b.partition, rg.first, rg.last, err)
	}
	opts := append(slices.Clone(g.kopts),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{b.topic: {b.partition: kgo.NewOffset().At(rg.first)}}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
	)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fail(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var out []*kgo.Record
	for {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return nil, fail(err)
		}
		var ferr error
		fs.EachError(func(_ string, _ int32, err error) { ferr = err })
		if ferr != nil {
			return nil, fail(ferr)
		}
		done := false
		fs.EachRecord(func(r *kgo.Record) {
			if r.Offset <= rg.last {
				out = append(out, r)
			}
			done = done || r.Offset >= rg.last
		})
		if done {
			return out, nil
		}
	}
}
