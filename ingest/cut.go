package ingest

import (
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/logmart/logmart/ingest/archive"
)

// Cutting: fetched records go into their partition's open batch, and a
// batch is cut for writing when it is full (rows or bytes), when a range
// recorded by an earlier consumer ends, an interval after its first record,
// or once its partition has gone quiet.

// cut adds fetched records to their partitions' batches and returns the
// batches that are due, in offset order per partition. Partitions are
// decoded in parallel: each has its own batch, decoders and recorded
// ranges, and decoding is most of ingest's work on Go's side. waited is
// how long the poll that brought fetches waited for them: quiet time for
// the partitions it brought nothing for.
func (g *Ingester) cut(fetches kgo.Fetches, now time.Time, waited time.Duration) map[tp][]*partBatch {
	ready := map[tp][]*partBatch{}
	g.mu.Lock()
	defer g.mu.Unlock()
	routes := g.routes.Current()
	var (
		works []*partWork
		byKey = map[tp]*partWork{}
		total int
	)
	fetches.EachPartition(func(p kgo.FetchTopicPartition) {
		if len(p.Records) == 0 {
			return
		}
		k := tp{p.Topic, p.Partition}
		w := byKey[k]
		if w == nil {
			w = &partWork{k: k, b: g.parts[k], intents: g.intents[k]}
			byKey[k] = w
			works = append(works, w)
		}
		w.fetched = append(w.fetched, p)
		total += len(p.Records)
	})
	parallel(len(works), total >= minParallelRecords, func(i int) { g.addRecords(works[i], routes, now) })
	// Everything the batches keep is copied out of the records by now.
	fetches.EachRecord(func(r *kgo.Record) { r.Recycle() })
	for _, w := range works {
		g.parts[w.k], g.intents[w.k] = w.b, w.intents
		if len(w.ready) > 0 {
			ready[w.k] = w.ready
		}
	}
	for k, b := range g.parts {
		if b == nil || b.n == 0 {
			continue
		}
		if byKey[k] == nil {
			b.quiet += waited
		}
		if due, reason := g.dueAt(b, now); !now.Before(due) {
			ready[k] = append(ready[k], b.cutFor(reason))
			g.parts[k] = nil
		}
	}
	return ready
}

// minParallelRecords is the fewest records in one poll worth decoding on
// several goroutines; below it the hand-off costs more than it saves.
const minParallelRecords = 1024

// partWork is one partition's share of a poll: its records, and its batch
// and recorded ranges, taken from the Ingester for the decode and put back
// after it.
type partWork struct {
	k       tp
	fetched []kgo.FetchTopicPartition
	b       *partBatch
	intents []intent
	ready   []*partBatch // batches completed by these records, in order
}

// addRecords decodes one partition's records into its batches. It touches
// nothing shared but the partition's own health and the metrics.
func (g *Ingester) addRecords(w *partWork, routes *Router, now time.Time) {
	b := w.b
	for _, p := range w.fetched {
		var size int
		for _, r := range p.Records {
			size += len(r.Value)
			if b != nil && b.forced != nil && r.Offset > b.forced.last {
				w.ready = append(w.ready, b.cutFor("recorded"))
				b = nil
			}
			if b == nil {
				b = newPartBatch(g.topics[p.Topic], p.Partition, g.cfg.MaxRecordBytes, routes)
				b.budgets = g.budgets
				b.forced = intentFor(&w.intents, r.Offset)
				if g.arch != nil {
					b.arch = &archive.Batch{}
				}
			}
			b.add(r, now)
			if reason := g.full(b, r.Offset); reason != "" {
				w.ready = append(w.ready, b.cutFor(reason))
				b = nil
			}
		}
		last := p.Records[len(p.Records)-1]
		if b != nil {
			b.caughtUp = p.HighWatermark > 0 && last.Offset+1 >= p.HighWatermark
		}
		// Counted once per fetch: a labelled counter per record costs more
		// than decoding some of them.
		h := g.healthOf(w.k)
		h.bytes.Add(uint64(size))
		h.records.Add(uint64(len(p.Records)))
		recordsTotal.WithLabelValues(p.Topic).Add(float64(len(p.Records)))
		bytesTotal.WithLabelValues(p.Topic).Add(float64(size))
		if p.HighWatermark > 0 {
			lag := p.HighWatermark - last.Offset - 1
			h.lag.Store(lag)
			consumerLag.WithLabelValues(p.Topic, strconv.Itoa(int(p.Partition))).Set(float64(lag))
		}
	}
	w.b = b
}

// intentFor returns the recorded range holding offset, dropping older
// ones from list.
func intentFor(list *[]intent, offset int64) *intent {
	l := *list
	for len(l) > 0 && l[0].last < offset {
		l = l[1:]
	}
	*list = l
	if len(l) > 0 && l[0].first <= offset {
		in := l[0]
		return &in
	}
	return nil
}

// full says why a batch ends at the record just added at offset, or "" if
// it goes on.
func (g *Ingester) full(b *partBatch, offset int64) string {
	switch {
	case b.forced != nil:
		if offset >= b.forced.last {
			return "recorded"
		}
	case b.n >= g.cfg.Batch.Rows:
		return "rows"
	case b.bytes >= g.cfg.Batch.Bytes:
		return "bytes"
	case len(b.days) >= maxBatchDays:
		return "days"
	}
	return ""
}

// cutFor counts the batch as cut for reason and returns it.
func (b *partBatch) cutFor(reason string) *partBatch {
	batchesCut.WithLabelValues(b.topic, reason).Inc()
	if b.logs != nil {
		noteLogSizes(b.logs)
	}
	return b
}

// dueAt is when a batch that reaches neither its row nor its byte bound is
// written, and why: an interval after its first record, or once the
// consumer has waited batch.idle for more of its partition's records.
func (g *Ingester) dueAt(b *partBatch, now time.Time) (time.Time, string) {
	// A batch recorded by an earlier consumer waits for its last offset; if
	// that never comes (records deleted by retention), it is written as it
	// is after a while, under its recorded range.
	if b.forced != nil {
		return b.started.Add(30 * g.cfg.Batch.Interval), "recorded"
	}
	due := b.started.Add(g.cfg.Batch.Interval)
	bc := g.cfg.Batch
	if bc.Idle > 0 && b.caughtUp && (b.n*10 >= bc.Rows || b.bytes*10 >= bc.Bytes) {
		if quiet := now.Add(bc.Idle - b.quiet); quiet.Before(due) {
			return quiet, "idle"
		}
	}
	return due, "interval"
}

// pollWait is how long the next poll may wait for records: until the
// earliest batch is due, so that it is written on time, and at most a
// quarter of the interval.
func (g *Ingester) pollWait(now time.Time) time.Duration {
	wait := g.cfg.Batch.Interval / 4
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, b := range g.parts {
		if b != nil && b.n > 0 {
			due, _ := g.dueAt(b, now)
			wait = min(wait, max(due.Sub(now), time.Millisecond))
		}
	}
	return wait
}

// parallel calls fn(0) … fn(n-1), on up to GOMAXPROCS goroutines when
// spread is set, else in turn on this one.
func parallel(n int, spread bool, fn func(i int)) {
	workers := min(n, runtime.GOMAXPROCS(0))
	if !spread || workers < 2 {
		for i := range n {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				fn(i)
			}
		})
	}
	wg.Wait()
}
