package ingest

import (
	"hash/fnv"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/logmart/logmart/store"
)

// logColumns is a columnar batch for the logs table.
type logColumns struct {
	ts, ingest            store.Int64Column
	stream, source        store.LowCardinalityColumn
	service, host, level  store.LowCardinalityColumn
	topic                 store.LowCardinalityColumn
	body, trace           store.StringColumn
	attrs                 store.MapColumn
	retention, fromIngest store.UInt32Column
	warm, cold            store.UInt32Column
	partition             store.Int32Column
	offset                store.Int64Column
}

func newLogColumns() *logColumns {
	c := &logColumns{}
	c.ts = store.Int64Column{Name: "timestamp", Type: "DateTime64(3)"}
	c.ingest = store.Int64Column{Name: "ingest_time", Type: "DateTime64(3)"}
	c.stream.Name, c.source.Name, c.service.Name = "stream", "source", "service"
	c.host.Name, c.level.Name, c.body.Name = "host", "level", "body"
	c.trace.Name, c.topic.Name, c.attrs.Name = "trace_id", "kafka_topic", "attributes"
	c.retention = store.UInt32Column{Name: "retention_days"}
	c.fromIngest = store.UInt32Column{Name: "retention_from_ingest"}
	c.warm, c.cold = store.UInt32Column{Name: "warm_after_days"}, store.UInt32Column{Name: "cold_after_days"}
	c.partition.Name, c.offset.Name = "kafka_partition", "kafka_offset"
	return c
}

// flag is a Bool as the UInt8 columns hold it.
func flag(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

func (c *logColumns) add(r *logRow, k keeping, source string, ingestMs int64, topic string, partition int32, offset int64) {
	c.ts.Append(r.ts)
	c.stream.Append(k.stream)
	c.source.Append(source)
	c.service.Append(r.service)
	c.host.Append(r.host)
	c.level.Append(r.level)
	c.body.Append(r.body)
	c.trace.Append(r.traceID)
	for _, a := range r.attrs {
		c.attrs.Add(a.k, a.v)
	}
	c.attrs.EndRow()
	c.ingest.Append(ingestMs)
	c.retention.Append(k.days)
	c.fromIngest.Append(flag(k.fromIngest))
	c.warm.Append(k.warm)
	c.cold.Append(k.cold)
	c.topic.Append(topic)
	c.partition.Append(partition)
	c.offset.Append(offset)
}

// spareLogColumns keeps written batches' columns for the next batches:
// their buffers are already grown to a batch's size, so the next batch
// appends without copying its way up or faulting in fresh pages. A bounded
// list rather than a sync.Pool, which every garbage collection empties: at
// full speed a collection runs more often than a batch is written.
var spareLogColumns = struct {
	sync.Mutex
	list []*logColumns
	hint logSizes // the batch cut last
}{}

// maxSpareLogColumns bounds the memory kept: about two batches per
// partition writer of a few partitions.
const maxSpareLogColumns = 8

func getLogColumns() *logColumns {
	s := &spareLogColumns
	s.Lock()
	defer s.Unlock()
	var c *logColumns
	if n := len(s.list); n > 0 {
		c = s.list[n-1]
		s.list[n-1] = nil
		s.list = s.list[:n-1]
	} else {
		c = newLogColumns()
	}
	c.grow(s.hint)
	return c
}

// noteLogSizes records a cut batch's sizes, which the column sets handed
// out from now on are grown to.
func noteLogSizes(c *logColumns) {
	z := c.sizes()
	s := &spareLogColumns
	s.Lock()
	defer s.Unlock()
	s.hint = z
}

// putLogColumns takes back a written batch's columns. Their string data
// goes back to the store's free blocks at once, for whichever batch fills
// next.
func putLogColumns(c *logColumns) {
	if c == nil {
		return
	}
	c.block().Reset()
	s := &spareLogColumns
	s.Lock()
	defer s.Unlock()
	if len(s.list) < maxSpareLogColumns {
		s.list = append(s.list, c)
	}
}

// logSizes is how many rows and map pairs a batch held. Column sets are
// handed out with their fixed-width columns grown to the batch cut last,
// so that they fill without growing: growing a column by appending
// allocates it several times over (append adds a quarter at a time) and
// copies it each time. The last batch, not the largest: reserved room that
// is not filled is resident memory all the same once the heap recycles it.
// String data needs no hint: it fills pooled blocks (store.StringColumn).
type logSizes struct {
	rows, pairs int
}

func (c *logColumns) sizes() logSizes {
	return logSizes{rows: c.ts.Len(), pairs: c.attrs.Pairs()}
}

func (c *logColumns) grow(z logSizes) {
	if z.rows == 0 {
		return
	}
	c.ts.Data = slices.Grow(c.ts.Data, z.rows)
	c.ingest.Data = slices.Grow(c.ingest.Data, z.rows)
	c.offset.Data = slices.Grow(c.offset.Data, z.rows)
	c.retention.Data = slices.Grow(c.retention.Data, z.rows)
	c.fromIngest.Data = slices.Grow(c.fromIngest.Data, z.rows)
	c.warm.Data = slices.Grow(c.warm.Data, z.rows)
	c.cold.Data = slices.Grow(c.cold.Data, z.rows)
	c.partition.Data = slices.Grow(c.partition.Data, z.rows)
	for _, lc := range []*store.LowCardinalityColumn{&c.stream, &c.source, &c.service, &c.host, &c.level, &c.topic} {
		lc.Grow(z.rows)
	}
	c.attrs.Grow(z.rows, z.pairs)
}

func (c *logColumns) block() *store.Block {
	return &store.Block{Cols: []store.BlockColumn{&c.ts, &c.stream, &c.source, &c.service, &c.host, &c.level,
		&c.body, &c.attrs, &c.trace, &c.ingest, &c.retention, &c.fromIngest, &c.warm, &c.cold, &c.topic, &c.partition, &c.offset}}
}

// eventColumns is a columnar batch for the events table.
type eventColumns struct {
	ts, ingest                   store.Int64Column
	typ, stream, source, service store.LowCardinalityColumn
	tenant, topic                store.LowCardinalityColumn
	body                         store.StringColumn
	attrs                        store.MapColumn
	retention, fromIngest        store.UInt32Column
	warm, cold                   store.UInt32Column
	partition                    store.Int32Column
	offset                       store.Int64Column
}

func newEventColumns() *eventColumns {
	c := &eventColumns{}
	c.ts = store.Int64Column{Name: "timestamp", Type: "DateTime64(3)"}
	c.ingest = store.Int64Column{Name: "ingest_time", Type: "DateTime64(3)"}
	c.typ.Name, c.stream.Name, c.source.Name, c.service.Name = "type", "stream", "source", "service"
	c.tenant.Name, c.body.Name, c.topic.Name, c.attrs.Name = "tenant", "body", "kafka_topic", "attributes"
	c.retention.Name, c.fromIngest.Name = "retention_days", "retention_from_ingest"
	c.warm.Name, c.cold.Name = "warm_after_days", "cold_after_days"
	c.partition.Name, c.offset.Name = "kafka_partition", "kafka_offset"
	return c
}

func (c *eventColumns) add(r *logRow, raw []byte, k keeping, source string, ingestMs int64, topic string, partition int32, offset int64) {
	c.ts.Append(r.ts)
	c.typ.Append(r.eventType)
	c.stream.Append(k.stream)
	c.source.Append(source)
	c.service.Append(r.service)
	c.tenant.Append(r.tenant)
	c.body.AppendBytes(raw)
	for _, a := range r.attrs {
		c.attrs.Add(a.k, a.v)
	}
	if r.host != "" {
		c.attrs.Add("host", r.host)
	}
	if r.level != "" {
		c.attrs.Add("level", r.level)
	}
	c.attrs.EndRow()
	c.ingest.Append(ingestMs)
	c.retention.Append(k.days)
	c.fromIngest.Append(flag(k.fromIngest))
	c.warm.Append(k.warm)
	c.cold.Append(k.cold)
	c.topic.Append(topic)
	c.partition.Append(partition)
	c.offset.Append(offset)
}

func (c *eventColumns) block() *store.Block {
	return &store.Block{Cols: []store.BlockColumn{&c.ts, &c.typ, &c.stream, &c.source, &c.service, &c.tenant,
		&c.attrs, &c.body, &c.ingest, &c.retention, &c.fromIngest, &c.warm, &c.cold, &c.topic, &c.partition, &c.offset}}
}

// metricColumns is a columnar batch for the metrics table.
type metricColumns struct {
	name, stream, topic store.LowCardinalityColumn
	labels              store.MapColumn
	fingerprint         store.UInt64Column
	ts, ingest          store.Int64Column
	value               store.Float64Column
	retention           store.UInt32Column
	fromIngest          store.UInt32Column
	warm, cold          store.UInt32Column
	partition           store.Int32Column
	offset              store.Int64Column
}

func newMetricColumns() *metricColumns {
	c := &metricColumns{}
	c.name.Name, c.stream.Name, c.topic.Name, c.labels.Name = "name", "stream", "kafka_topic", "labels"
	c.fingerprint.Name = "fingerprint"
	c.ts = store.Int64Column{Name: "timestamp", Type: "DateTime64(3)"}
	c.ingest = store.Int64Column{Name: "ingest_time", Type: "DateTime64(3)"}
	c.value.Name, c.partition.Name, c.offset.Name = "value", "kafka_partition", "kafka_offset"
	c.retention.Name, c.fromIngest.Name = "retention_days", "retention_from_ingest"
	c.warm.Name, c.cold.Name = "warm_after_days", "cold_after_days"
	return c
}

func (c *metricColumns) add(s sample, k keeping, ingestMs int64, topic string, partition int32, offset int64) {
	c.name.Append(s.name)
	keys := make([]string, 0, len(s.labels))
	for k := range s.labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := fnv.New64a()
	h.Write([]byte(s.name))
	for _, k := range keys {
		c.labels.Add(k, s.labels[k])
		h.Write([]byte{0})
		h.Write([]byte(k))
		h.Write([]byte{0})
		h.Write([]byte(s.labels[k]))
	}
	c.labels.EndRow()
	c.fingerprint.Append(h.Sum64())
	c.ts.Append(s.ts)
	c.value.Append(s.value)
	c.stream.Append(k.stream)
	c.ingest.Append(ingestMs)
	c.retention.Append(k.days)
	c.fromIngest.Append(flag(k.fromIngest))
	c.warm.Append(k.warm)
	c.cold.Append(k.cold)
	c.topic.Append(topic)
	c.partition.Append(partition)
	c.offset.Append(offset)
}

func (c *metricColumns) block() *store.Block {
	return &store.Block{Cols: []store.BlockColumn{&c.name, &c.labels, &c.fingerprint, &c.ts, &c.value,
		&c.stream, &c.ingest, &c.retention, &c.fromIngest, &c.warm, &c.cold, &c.topic, &c.partition, &c.offset}}
}

// deadColumns is a columnar batch for the dead_letters table.
type deadColumns struct {
	ingest        store.Int64Column
	reason, topic store.LowCardinalityColumn
	errText, raw  store.StringColumn
	size          store.UInt32Column
	truncated     store.UInt32Column
	partition     store.Int32Column
	offset        store.Int64Column
}

func newDeadColumns() *deadColumns {
	c := &deadColumns{}
	c.ingest = store.Int64Column{Name: "ingest_time", Type: "DateTime64(3)"}
	c.reason.Name, c.errText.Name, c.raw.Name, c.topic.Name = "reason", "error", "raw", "kafka_topic"
	c.size.Name = "raw_size"
	c.truncated = store.UInt32Column{Name: "truncated"}
	c.partition.Name, c.offset.Name = "kafka_partition", "kafka_offset"
	return c
}

// maxDeadRaw is how much of a dead letter's bytes are kept.
const maxDeadRaw = 64 << 10

const truncMarker = "…[truncated]"

func (c *deadColumns) add(reason, errText string, raw []byte, ingestMs int64, topic string, partition int32, offset int64) {
	c.ingest.Append(ingestMs)
	c.reason.Append(reason)
	c.errText.Append(errText)
	kept, trunc := raw, uint32(0)
	if len(raw) > maxDeadRaw {
		kept, trunc = raw[:maxDeadRaw], 1
	}
	s := strings.ToValidUTF8(string(kept), "\uFFFD")
	if trunc == 1 {
		s += truncMarker
	}
	c.raw.Append(s)
	c.size.Append(uint32(len(raw)))
	c.truncated.Append(trunc)
	c.topic.Append(topic)
	c.partition.Append(partition)
	c.offset.Append(offset)
}

func (c *deadColumns) block() *store.Block {
	return &store.Block{Cols: []store.BlockColumn{&c.ingest, &c.reason, &c.errText, &c.raw, &c.size,
		&c.truncated, &c.topic, &c.partition, &c.offset}}
}
