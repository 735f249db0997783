package ingest

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// PartitionHealth is how one consumed partition is doing on this replica.
type PartitionHealth struct {
	Topic                 string  `json:"topic"`
	Partition             int32   `json:"partition"`
	Records               uint64  `json:"records"`
	Bytes                 uint64  `json:"bytes"`
	LagRecords            int64   `json:"lag_records"`
	TimestampBehindSecond float64 `json:"timestamp_behind_seconds"`
	LastBatchRows         int64   `json:"last_batch_rows"`
	LastInsertMs          float64 `json:"last_insert_ms"`
	LastWrite             string  `json:"last_write"`
	// FailingSeconds is how long the partition's next batch has been
	// failing to write (0 when writes succeed), WriteFailures how many
	// attempts failed in that time, and WriteError the last one's error.
	// While a batch fails the partition does not advance, whatever
	// LagRecords says: that counts what the consumer has not read, and it
	// reads on until the batches waiting to be written fill their queue.
	FailingSeconds float64 `json:"failing_seconds"`
	WriteFailures  int64   `json:"write_failures,omitempty"`
	WriteError     string  `json:"write_error,omitempty"`
	// Stalled is set once FailingSeconds reaches a minute: /readyz fails
	// and logmart_ingest_partition_stalled_seconds says for how long.
	Stalled bool `json:"stalled"`
}

// stalledAfter is how long a partition's writes fail before it counts as
// stalled. Passing trouble (a busy engine, a restart of ClickHouse) clears
// well within it; a partition that cannot write for longer needs someone.
var stalledAfter = time.Minute

// partHealth is one owned partition's figures as they change: counted by
// its decode (records, bytes, lag) and by its writer (the rest). The same
// figures are on /metrics.
type partHealth struct {
	records, bytes atomic.Uint64
	lag            atomic.Int64
	newestMs       atomic.Int64
	batchRows      atomic.Int64
	insertMicros   atomic.Int64
	lastWriteMs    atomic.Int64
	// failing: since when (unix ms, 0: not failing), how many attempts,
	// and the last error of the write that fails.
	failingMs atomic.Int64
	failures  atomic.Int64
	lastErr   atomic.Pointer[string]
	// labels are the topic and partition, for the stalled gauge.
	topic, partition string
}

// noteFailure records a failed write attempt; h may be nil (a step that
// is not a partition's write).
func (h *partHealth) noteFailure(err error) {
	if h == nil {
		return
	}
	now := time.Now()
	h.failingMs.CompareAndSwap(0, now.UnixMilli())
	h.failures.Add(1)
	msg := err.Error()
	h.lastErr.Store(&msg)
	partitionStalled.WithLabelValues(h.topic, h.partition).Set(h.stalledFor(now).Seconds())
}

// noteSuccess clears the failures once a write succeeds.
func (h *partHealth) noteSuccess() {
	if h == nil || h.failingMs.Load() == 0 {
		return
	}
	h.failingMs.Store(0)
	h.failures.Store(0)
	h.lastErr.Store(nil)
	partitionStalled.WithLabelValues(h.topic, h.partition).Set(0)
}

// failingFor is how long the partition's writes have been failing.
func (h *partHealth) failingFor(now time.Time) time.Duration {
	ms := h.failingMs.Load()
	if ms == 0 {
		return 0
	}
	return now.Sub(time.UnixMilli(ms))
}

// stalledFor is failingFor once that reaches stalledAfter, else 0.
func (h *partHealth) stalledFor(now time.Time) time.Duration {
	if d := h.failingFor(now); d >= stalledAfter {
		return d
	}
	return 0
}

// healthOf returns the figures of a partition the Ingester owns, made on
// first use. The decodes of several partitions and their writers call it
// at once.
func (g *Ingester) healthOf(k tp) *partHealth {
	if h, ok := g.health.Load(k); ok {
		return h.(*partHealth)
	}
	h, loaded := g.health.LoadOrStore(k, &partHealth{topic: k.topic, partition: strconv.Itoa(int(k.partition))})
	if !loaded {
		// Every owned partition has the gauge, at 0 while it writes.
		partitionStalled.WithLabelValues(k.topic, strconv.Itoa(int(k.partition))).Set(0)
	}
	return h.(*partHealth)
}

// forgetHealth drops the figures of partitions this consumer no longer
// owns, and their stalled gauges.
func (g *Ingester) forgetHealth(keys []tp) {
	for _, k := range keys {
		g.health.Delete(k)
		partitionStalled.DeleteLabelValues(k.topic, strconv.Itoa(int(k.partition)))
	}
}

// noteWritten records a batch just written and committed in its
// partition's figures.
func (g *Ingester) noteWritten(b *partBatch) {
	h := g.healthOf(tp{b.topic, b.partition})
	h.batchRows.Store(int64(b.n))
	h.insertMicros.Store(b.insertTime.Microseconds())
	h.lastWriteMs.Store(time.Now().UnixMilli())
	if b.newest > 0 {
		h.newestMs.Store(b.newest)
		timestampBehind.WithLabelValues(b.topic, strconv.Itoa(int(b.partition))).Set(time.Since(time.UnixMilli(b.newest)).Seconds())
	}
}

// Health lists the partitions the Ingester owns, by topic and partition. A
// partition leaves the list when it is revoked or lost (forget).
func (g *Ingester) Health() []PartitionHealth { return listHealth(g) }

// Ready is the readiness check of ingest: it fails, naming them, while
// partitions are stalled (their writes failing for stalledAfter or more).
// The partitions' other figures do not change readiness: a replica far
// behind still makes progress.
func (g *Ingester) Ready(context.Context) error {
	var stalled []string
	for _, h := range g.Health() {
		if h.Stalled {
			stalled = append(stalled, fmt.Sprintf("%s/%d for %.0fs (%s)", h.Topic, h.Partition, h.FailingSeconds, h.WriteError))
		}
	}
	if len(stalled) > 0 {
		return fmt.Errorf("ingest partitions not advancing, their writes failing: %s", strings.Join(stalled, "; "))
	}
	return nil
}

// running holds the Ingesters whose Run has not returned, for Health.
var running ingesters

type ingesters struct {
	mu   sync.Mutex
	list []*Ingester
}

func (s *ingesters) add(g *Ingester) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.list = append(s.list, g)
}

func (s *ingesters) remove(g *Ingester) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.list = slices.DeleteFunc(s.list, func(x *Ingester) bool { return x == g })
}

// Health lists the partitions the running Ingesters of this process own, by
// topic and partition: what the overview shows, which has no Ingester to
// ask.
func Health() []PartitionHealth {
	running.mu.Lock()
	gs := slices.Clone(running.list)
	running.mu.Unlock()
	return listHealth(gs...)
}

// listHealth lists the partitions gs own, sorted; nil for none.
func listHealth(gs ...*Ingester) []PartitionHealth {
	var out []PartitionHealth
	now := time.Now()
	for _, g := range gs {
		g.health.Range(func(key, v any) bool {
			k, h := key.(tp), v.(*partHealth)
			ph := PartitionHealth{
				Topic: k.topic, Partition: k.partition,
				Records: h.records.Load(), Bytes: h.bytes.Load(), LagRecords: h.lag.Load(),
				LastBatchRows: h.batchRows.Load(), LastInsertMs: float64(h.insertMicros.Load()) / 1000,
			}
			if ms := h.newestMs.Load(); ms > 0 {
				ph.TimestampBehindSecond = now.Sub(time.UnixMilli(ms)).Seconds()
			}
			if ms := h.lastWriteMs.Load(); ms > 0 {
				ph.LastWrite = time.UnixMilli(ms).UTC().Format(time.RFC3339)
			}
			if d := h.failingFor(now); d > 0 {
				ph.FailingSeconds = d.Seconds()
				ph.WriteFailures = h.failures.Load()
				if e := h.lastErr.Load(); e != nil {
					ph.WriteError = *e
				}
				ph.Stalled = d >= stalledAfter
				partitionStalled.WithLabelValues(h.topic, h.partition).Set(h.stalledFor(now).Seconds())
			}
			out = append(out, ph)
			return true
		})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Topic != out[j].Topic {
			return out[i].Topic < out[j].Topic
		}
		return out[i].Partition < out[j].Partition
	})
	return out
}
