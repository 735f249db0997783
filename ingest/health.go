package ingest

import (
	"sort"
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

type partHealth struct {
	records, bytes atomic.Uint64
	lag            atomic.Int64
	newestMs       atomic.Int64
	batchRows      atomic.Int64
	insertMicros   atomic.Int64
	lastWriteMs    atomic.Int64
}

// health holds per-partition figures for the overview page; the same
// figures are on /metrics.
var health sync.Map // tp -> *partHealth

func healthOf(k tp) *partHealth {
	if h, ok := health.Load(k); ok {
		return h.(*partHealth)
	}
	h, _ := health.LoadOrStore(k, &partHealth{})
	return h.(*partHealth)
}

// Health lists the partitions this replica has consumed, by topic and
// partition.
func Health() []PartitionHealth {
	var out []PartitionHealth
	now := time.Now()
	health.Range(func(key, v any) bool {
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
	sort.Slice(out, func(i, j int) bool {
		if out[i].Topic != out[j].Topic {
			return out[i].Topic < out[j].Topic
		}
		return out[i].Partition < out[j].Partition
	})
	return out
}
