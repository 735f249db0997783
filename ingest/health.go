package ingest

import (
	"slices"
	"sort"
	"strconv"
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
}

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
}

// healthOf returns the figures of a partition the Ingester owns, made on
// first use. The decodes of several partitions and their writers call it
// at once.
func (g *Ingester) healthOf(k tp) *partHealth {
	if h, ok := g.health.Load(k); ok {
		return h.(*partHealth)
	}
	h, _ := g.health.LoadOrStore(k, &partHealth{})
	return h.(*partHealth)
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
