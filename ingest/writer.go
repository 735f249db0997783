package ingest

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/logmart/logmart/store"
)

// Inserter is what the Ingester writes through: the one method of
// store.Store it needs for writes.
//
// Exactly once rests on the token. Insert writes block into table as one
// insert. token names the batch and the table
// ("topic.partition.first-last.table", see partBatch.token, made by
// store.DedupToken): an insert whose token the table already holds must
// store nothing and return nil, as long as the token is
// among the table's most recent inserts (non_replicated_deduplication_window,
// 10000 inserts for logs, events, metrics and dead_letters). A batch written
// again, after a crash, a rebalance or an answer lost on its way back, then
// leaves one copy. An error may come after the rows were stored: the
// Ingester retries with the same block and token until Insert returns nil,
// and only then moves the partition's committed offset past the batch. An
// error that refuses the rows themselves (a *store.Error of kind BadInput,
// refused.go) makes dead letters of the batch's records instead.
//
// Insert is called by several partitions' writers at once (up to
// Config.MaxConcurrentInserts), and must not keep block or its buffers
// after it returns: they hold the next batch.
type Inserter interface {
	Insert(ctx context.Context, table string, block *store.Block, token string) error
}

// partWriter writes one partition's batches in order, so the consumer can
// decode the next batch while ClickHouse stores this one. Its queue holds
// one batch: when ClickHouse is slower than Kafka, handing over the next
// batch blocks the consumer, which then stops polling (back-pressure).
// Writers of all partitions share the Ingester's insert slots.
type partWriter struct {
	ch   chan *partBatch
	done chan struct{}
}

// send records the due batches' offset ranges, then hands the batches to
// their partitions' writers, in offset order. Batches whose range cannot be
// recorded (the writers' context ended, or the group fenced this consumer
// out) are not written: the partitions' next owner reads them again.
func (g *Ingester) send(ready map[tp][]*partBatch) {
	ctx := g.wctx
	for backoff := 100 * time.Millisecond; ; backoff = min(backoff*2, 10*time.Second) {
		err := g.record(ctx, ready)
		if err == nil {
			break
		}
		if errors.Is(err, errFenced) || ctx.Err() != nil {
			g.log.Warn("batches not written: their ranges cannot be recorded, and the partitions' next owner reads them again", "err", err)
			return
		}
		// The partitions wait: their health says so until a batch of
		// theirs is written.
		for k := range ready {
			g.healthOf(k).noteFailure(err)
		}
		g.log.Warn("cannot record batch ranges; retrying", "backoff", backoff, "err", err)
		select {
		case <-ctx.Done():
		case <-g.stopping:
			g.log.Warn("batches not written: the ingester is stopping, and the partitions' next owner reads them again", "err", err)
			return
		case <-time.After(backoff):
		}
	}
	for k, list := range ready {
		w := g.writerFor(k)
		for _, b := range list {
			select {
			case w.ch <- b:
			case <-g.wctx.Done():
				return
			}
		}
	}
}

// writerFor returns the partition's writer, started on first use.
func (g *Ingester) writerFor(k tp) *partWriter {
	g.wmu.Lock()
	defer g.wmu.Unlock()
	if w := g.writers[k]; w != nil {
		return w
	}
	w := &partWriter{ch: make(chan *partBatch, 1), done: make(chan struct{})}
	g.writers[k] = w
	go func() {
		defer close(w.done)
		abandoned := false
		for b := range w.ch {
			// Once a batch is left unwritten at stop, the ones after it
			// must not be committed past it.
			if abandoned || !g.writeOne(b) {
				abandoned = true
				b.release()
			}
		}
	}()
	return w
}

// writeOne writes a batch whose range is recorded, archives its records
// first (archiving.go), copies its dead letters to the topic and commits,
// and reports whether it did. Failed steps are
// retried until they succeed, the Ingester stops or the writers' context
// ends; a batch ClickHouse keeps refusing for what it holds is written as
// dead letters instead (refused.go). Nothing is dropped and nothing is
// committed that is not stored. While the write fails the partition shows
// as failing in its health, and as stalled once that lasts (stalledAfter).
func (g *Ingester) writeOne(b *partBatch) bool {
	ctx := g.wctx
	h := g.healthOf(tp{b.topic, b.partition})
	if g.archive(ctx, b, h) != nil {
		return false
	}
	refusals := 0
	err := g.retry(ctx, "write a batch", h, func() error {
		select {
		case g.inserts <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		defer func() { <-g.inserts }()
		err := b.write(ctx, g.st)
		if err == nil || b.refused || !refusal(err) {
			return err
		}
		if tooManyPartitions(err) && refusals < maxRefusals {
			if err = g.split(ctx, b); err == nil {
				return b.write(ctx, g.st)
			}
			if !refusal(err) {
				return err // passing trouble: split again
			}
		}
		if refusals++; refusals < maxRefusals {
			return err
		}
		if err := g.setAside(ctx, b, err); err != nil {
			return err
		}
		return b.write(ctx, g.st)
	})
	if err != nil {
		return false
	}
	if g.onWritten != nil {
		g.onWritten(b.topic, b.partition, b.last)
	}
	g.produceDead(b)
	g.committed(ctx, b)
	g.noteWritten(b)
	b.release()
	return true
}

// errStopping ends the retries of a failing step when the Ingester stops.
var errStopping = errors.New("the ingester is stopping")

// retry calls fn until it returns nil, ctx ends or the Ingester stops,
// waiting 100ms after the first failure and twice as long after each next
// one, up to 10s. With h, the failures show in the partition's health
// until fn succeeds.
func (g *Ingester) retry(ctx context.Context, what string, h *partHealth, fn func() error) error {
	backoff := 100 * time.Millisecond
	for {
		err := fn()
		if err == nil {
			h.noteSuccess()
			return nil
		}
		h.noteFailure(err)
		g.log.Warn("cannot "+what+"; retrying", "backoff", backoff, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-g.stopping:
			return errStopping
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

// produceDead copies the batch's dead letters to the dead-letter topic. The
// dead_letters table is the exact record; the topic is for tools that
// replay from Kafka, and gets a copy at least once. The copies are
// acknowledged before the batch is committed (for up to deadAckWait), so
// a producer that sees the commit pass its records finds their dead
// letters in the topic (`logmart ingest file` counts them so).
func (g *Ingester) produceDead(b *partBatch) {
	if g.cfg.DeadLetterTopic == "" || len(b.deadRecs) == 0 {
		return
	}
	var wg sync.WaitGroup
	for _, r := range b.deadRecs {
		r.Topic = g.cfg.DeadLetterTopic
		wg.Add(1)
		g.cl.Produce(context.Background(), r, func(r *kgo.Record, err error) {
			defer wg.Done()
			if err != nil {
				g.log.Warn("cannot produce a dead letter", "topic", r.Topic, "err", err)
			}
		})
	}
	acked := make(chan struct{})
	go func() { wg.Wait(); close(acked) }()
	select {
	case <-acked:
	case <-time.After(deadAckWait):
		g.log.Warn("dead letters not yet acknowledged by the dead-letter topic; committing the batch anyway (the dead_letters table has them)",
			"topic", g.cfg.DeadLetterTopic, "records", len(b.deadRecs))
	}
}

// deadAckWait bounds how long a batch's commit waits for its dead
// letters' copies: a dead-letter topic that is down must not stop ingest.
const deadAckWait = 5 * time.Second

// drain waits until the partitions' writers have written and committed
// everything handed to them, and retires them.
func (g *Ingester) drain(keys []tp) {
	var ws []*partWriter
	g.wmu.Lock()
	for _, k := range keys {
		if w := g.writers[k]; w != nil {
			close(w.ch)
			ws = append(ws, w)
			delete(g.writers, k)
		}
	}
	g.wmu.Unlock()
	for _, w := range ws {
		<-w.done
	}
}
