package ingest

import (
	"github.com/logmart/logmart/store"
)

// partWriter writes one partition's batches in order, so the consumer can
// decode the next batch while ClickHouse stores this one. Its queue holds
// one batch: when ClickHouse is slower than Kafka, handing over the next
// batch blocks the consumer, which then stops polling (back-pressure).
// Writers of all partitions share the Ingester's insert slots.
type partWriter struct {
	ch   chan *partBatch
	done chan struct{}
}

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
		for b := range w.ch {
			g.writeOne(b)
		}
	}()
	return w
}

// send records the due batches' offset ranges, then hands the batches to
// their partitions' writers, in offset order. Batches whose range cannot be
// recorded (the writers' context ended) are not written: a later consumer
// reads them again.
func (g *Ingester) send(ready map[tp][]*partBatch) {
	if g.recordRanges(ready) != nil {
		return
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

// recordRanges writes the offset ranges of the batches an earlier consumer
// did not record into ingest_batches, all in one insert: the batches of
// every partition due at once cost one small part, not one each. A range is
// recorded before its batch is written, so a consumer taking the partition
// over cuts the same batch again.
func (g *Ingester) recordRanges(ready map[tp][]*partBatch) error {
	var (
		topic                   store.LowCardinalityColumn
		partition               store.Int32Column
		firstOffset, lastOffset store.Int64Column
	)
	topic.Name, partition.Name, firstOffset.Name, lastOffset.Name = "topic", "partition", "first_offset", "last_offset"
	for _, list := range ready {
		for _, b := range list {
			if b.forced == nil {
				topic.Append(b.topic)
				partition.Append(b.partition)
				firstOffset.Append(b.first)
				lastOffset.Append(b.last)
			}
		}
	}
	if partition.Len() == 0 {
		return nil
	}
	blk := &store.Block{Cols: []store.BlockColumn{&topic, &partition, &firstOffset, &lastOffset}}
	ctx := g.wctx
	return g.retry(ctx, "record batch ranges", func() error { return g.st.Insert(ctx, "ingest_batches", blk, "") })
}

// writeOne writes a batch whose range is recorded, copies its dead letters
// to the topic and commits. Failed steps are retried until they succeed or
// the writers' context ends: nothing is dropped and nothing is committed
// that is not stored.
func (g *Ingester) writeOne(b *partBatch) {
	ctx := g.wctx
	if g.retry(ctx, "write a batch", func() error {
		select {
		case g.inserts <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		defer func() { <-g.inserts }()
		return b.write(ctx, g.st)
	}) != nil {
		return
	}
	if g.onWritten != nil {
		g.onWritten(b.topic, b.partition, b.last)
	}
	g.produceDead(b)
	g.commit(ctx, b)
	b.release()
}
