package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/logmart/logmart/store"
)

var (
	recordsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "logmart_ingest_records_total",
		Help: "Records consumed from Kafka, by topic.",
	}, []string{"topic"})
	bytesTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "logmart_ingest_bytes_total",
		Help: "Record value bytes consumed from Kafka, by topic.",
	}, []string{"topic"})
	invalidTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "logmart_ingest_invalid_records_total",
		Help: "Records set aside as dead letters, by topic and reason.",
	}, []string{"topic", "reason"})
	rowsWritten = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "logmart_ingest_rows_written_total",
		Help: "Rows written to ClickHouse, by table.",
	}, []string{"table"})
	insertSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "logmart_ingest_insert_duration_seconds",
		Help:    "Time to write one batch to ClickHouse, by table.",
		Buckets: prometheus.ExponentialBuckets(0.005, 2, 12),
	}, []string{"table"})
	batchRows = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "logmart_ingest_batch_rows",
		Help:    "Records per written batch.",
		Buckets: prometheus.ExponentialBuckets(1, 4, 10),
	})
	insertErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "logmart_ingest_insert_errors_total",
		Help: "Failed batch writes (retried until they succeed), by table.",
	}, []string{"table"})
	timestampBehind = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "logmart_ingest_timestamp_behind_seconds",
		Help: "Now minus the newest record time written, by topic and partition.",
	}, []string{"topic", "partition"})
)

func init() {
	prometheus.MustRegister(recordsTotal, bytesTotal, invalidTotal, rowsWritten, insertSeconds, batchRows, insertErrors, timestampBehind)
}

// Dead-letter reasons, also the reason label of
// logmart_ingest_invalid_records_total.
const (
	ReasonMalformed   = "malformed"
	ReasonInvalidUTF8 = "invalid_utf8"
	ReasonTooLarge    = "too_large"
	ReasonWrongType   = "wrong_type"
)

// Ingester consumes the configured topics in a consumer group and writes
// each partition's records to ClickHouse in batches. Offsets are committed
// only after the batch holding them is in ClickHouse, and every batch
// carries a deduplication token built from its partition and offset range,
// so a batch written again after a crash is dropped by ClickHouse.
type Ingester struct {
	cfg    Config
	st     store.Store
	log    *slog.Logger
	cl     *kgo.Client
	topics map[string]TopicConfig

	mu    sync.Mutex
	parts map[tp]*partBatch
}

type tp struct {
	topic     string
	partition int32
}

// New creates the consumer; Run starts it. kopts are the broker connection
// options (seeds, SASL, TLS) from ingest/kafka.
func New(cfg Config, st store.Store, kopts []kgo.Opt, log *slog.Logger) (*Ingester, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	g := &Ingester{cfg: cfg, st: st, log: log, topics: map[string]TopicConfig{}, parts: map[tp]*partBatch{}}
	names := make([]string, 0, len(cfg.Topics))
	for _, t := range cfg.Topics {
		if t.Stream == "" {
			t.Stream = "default"
		}
		g.topics[t.Topic] = t
		names = append(names, t.Topic)
	}
	opts := append([]kgo.Opt{}, kopts...)
	opts = append(opts,
		kgo.ConsumerGroup(cfg.Group),
		kgo.ConsumeTopics(names...),
		kgo.Balancers(kgo.CooperativeStickyBalancer()),
		kgo.DisableAutoCommit(),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxBytes(64<<20),
		kgo.BlockRebalanceOnPoll(),
		kgo.OnPartitionsRevoked(g.onRevoked),
		kgo.OnPartitionsLost(g.onLost),
	)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("cannot create the Kafka consumer: %w", err)
	}
	g.cl = cl
	return g, nil
}

// Run consumes until ctx is done, then writes what it holds and commits.
func (g *Ingester) Run(ctx context.Context) error {
	defer g.cl.Close()
	tick := time.NewTicker(g.cfg.Batch.Interval / 4)
	defer tick.Stop()
	for {
		pctx, cancel := context.WithTimeout(ctx, g.cfg.Batch.Interval/4)
		fetches := g.cl.PollFetches(pctx)
		cancel()
		if ctx.Err() != nil {
			g.cl.AllowRebalance()
			g.flushAll(context.Background(), true)
			return nil
		}
		if fetches.IsClientClosed() {
			return nil
		}
		fetches.EachError(func(topic string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
				g.log.Warn("kafka fetch error", "topic", topic, "partition", p, "err", err)
			}
		})
		now := time.Now()
		var full []*partBatch
		g.mu.Lock()
		fetches.EachPartition(func(p kgo.FetchTopicPartition) {
			if len(p.Records) == 0 {
				return
			}
			b := g.partLocked(p.Topic, p.Partition)
			for _, r := range p.Records {
				b.add(r, now)
				if b.n >= g.cfg.Batch.Rows || b.bytes >= g.cfg.Batch.Bytes {
					full = append(full, b)
					g.parts[tp{p.Topic, p.Partition}] = nil
					b = g.partLocked(p.Topic, p.Partition)
				}
			}
		})
		for _, b := range g.parts {
			if b != nil && b.n > 0 && now.Sub(b.started) >= g.cfg.Batch.Interval {
				full = append(full, b)
				g.parts[tp{b.topic, b.partition}] = nil
			}
		}
		g.mu.Unlock()
		g.writeAll(ctx, full)
		g.cl.AllowRebalance()
	}
}

func (g *Ingester) partLocked(topic string, partition int32) *partBatch {
	k := tp{topic, partition}
	b := g.parts[k]
	if b == nil {
		b = newPartBatch(g.topics[topic], partition, g.cfg.MaxRecordBytes)
		g.parts[k] = b
	}
	return b
}

// writeAll writes batches (in parallel across partitions) and commits each
// partition's offsets after its batch is stored. A failed write is retried
// until it succeeds or ctx ends: nothing is dropped, and nothing is polled
// meanwhile, which is the back-pressure on Kafka.
func (g *Ingester) writeAll(ctx context.Context, batches []*partBatch) {
	if len(batches) == 0 {
		return
	}
	var wg sync.WaitGroup
	for _, b := range batches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g.writeRetry(ctx, b)
		}()
	}
	wg.Wait()
}

func (g *Ingester) writeRetry(ctx context.Context, b *partBatch) {
	backoff := 100 * time.Millisecond
	for {
		err := b.write(ctx, g.st)
		if err == nil {
			break
		}
		g.log.Warn("cannot write batch; retrying", "topic", b.topic, "partition", b.partition,
			"first_offset", b.first, "last_offset", b.last, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
	}
	offsets := map[string]map[int32]kgo.EpochOffset{b.topic: {b.partition: {Epoch: b.epoch, Offset: b.last + 1}}}
	g.cl.CommitOffsetsSync(ctx, offsets, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
		if err == nil && resp != nil {
			for _, t := range resp.Topics {
				for _, p := range t.Partitions {
					if p.ErrorCode != 0 {
						err = kerr.ErrorForCode(p.ErrorCode)
					}
				}
			}
		}
		if err != nil {
			// The rows are stored; a later commit, or a redelivery that the
			// batch token deduplicates, covers this.
			g.log.Warn("cannot commit offsets", "topic", b.topic, "partition", b.partition, "offset", b.last+1, "err", err)
		}
	})
	if b.newest > 0 {
		timestampBehind.WithLabelValues(b.topic, fmt.Sprint(b.partition)).Set(time.Since(time.UnixMilli(b.newest)).Seconds())
	}
}

func (g *Ingester) flushAll(ctx context.Context, commit bool) {
	g.mu.Lock()
	var all []*partBatch
	for k, b := range g.parts {
		if b != nil && b.n > 0 {
			all = append(all, b)
		}
		delete(g.parts, k)
	}
	g.mu.Unlock()
	if commit {
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		g.writeAll(wctx, all)
	}
}

// onRevoked writes and commits what is held for partitions moving to
// another replica, before they move.
func (g *Ingester) onRevoked(ctx context.Context, _ *kgo.Client, revoked map[string][]int32) {
	g.mu.Lock()
	var out []*partBatch
	for topic, ps := range revoked {
		for _, p := range ps {
			k := tp{topic, p}
			if b := g.parts[k]; b != nil && b.n > 0 {
				out = append(out, b)
			}
			delete(g.parts, k)
		}
	}
	g.mu.Unlock()
	g.writeAll(ctx, out)
}

// onLost drops what is held for partitions this replica no longer owns
// (session expired): another replica rereads them from the last commit.
func (g *Ingester) onLost(_ context.Context, _ *kgo.Client, lost map[string][]int32) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for topic, ps := range lost {
		for _, p := range ps {
			delete(g.parts, tp{topic, p})
		}
	}
}

// partBatch is one partition's records on their way to ClickHouse.
type partBatch struct {
	t         TopicConfig
	topic     string
	partition int32
	maxBytes  int
	started   time.Time
	first     int64
	last      int64
	epoch     int32
	n, bytes  int
	newest    int64

	dec     decoder
	row     logRow
	samples []sample
	logs    *logColumns
	events  *eventColumns
	metrics *metricColumns
	dead    *deadColumns
}

func newPartBatch(t TopicConfig, partition int32, maxBytes int) *partBatch {
	b := &partBatch{t: t, topic: t.Topic, partition: partition, maxBytes: maxBytes, first: -1, dead: newDeadColumns(), dec: newDecoder(t)}
	switch t.Table {
	case "logs":
		b.logs = newLogColumns()
	case "events":
		b.events = newEventColumns()
	case "metrics":
		b.metrics = newMetricColumns()
	}
	return b
}

func (b *partBatch) add(r *kgo.Record, now time.Time) {
	if b.first < 0 {
		b.first, b.started = r.Offset, now
	}
	b.last, b.epoch = r.Offset, r.LeaderEpoch
	b.n++
	b.bytes += len(r.Value)
	recordsTotal.WithLabelValues(r.Topic).Inc()
	bytesTotal.WithLabelValues(r.Topic).Add(float64(len(r.Value)))
	nowMs := now.UnixMilli()
	reason, err := b.decode(r, nowMs)
	if err != nil {
		invalidTotal.WithLabelValues(r.Topic, reason).Inc()
		b.dead.add(reason, err.Error(), r.Value, nowMs, r.Topic, r.Partition, r.Offset)
	}
}

// decode turns one record into rows of the batch's table, or says why not.
func (b *partBatch) decode(r *kgo.Record, nowMs int64) (string, error) {
	if len(r.Value) > b.maxBytes {
		return ReasonTooLarge, fmt.Errorf("record is %d bytes, more than ingest.max_record_bytes %d", len(r.Value), b.maxBytes)
	}
	if !utf8.Valid(r.Value) {
		return ReasonInvalidUTF8, errors.New("record is not valid UTF-8")
	}
	kafkaMs := r.Timestamp.UnixMilli()
	switch b.t.Table {
	case "metrics":
		var err error
		b.samples, err = decodePrometheus(r.Value, kafkaMs, b.samples[:0])
		if err != nil {
			return ReasonMalformed, err
		}
		for _, s := range b.samples {
			b.metrics.add(s, b.t.Stream, nowMs, r.Topic, r.Partition, r.Offset)
			b.newest = max(b.newest, s.ts)
		}
		return "", nil
	}
	b.row.reset()
	if err := b.dec.decode(r.Value, &b.row); err != nil {
		reason := ReasonMalformed
		if errors.Is(err, errBadUTF8) {
			reason = ReasonInvalidUTF8
		}
		return reason, fmt.Errorf("cannot decode %s: %w", b.t.Format, err)
	}
	if b.row.ts == 0 {
		b.row.ts = kafkaMs
		b.row.attrs = append(b.row.attrs, attr{"logmart.timestamp_source", "kafka"})
	}
	b.newest = max(b.newest, b.row.ts)
	switch b.t.Table {
	case "logs":
		b.logs.add(&b.row, b.t.Stream, r.Topic, 30, nowMs, r.Topic, r.Partition, r.Offset)
	case "events":
		b.events.add(&b.row, r.Value, b.t.Stream, r.Topic, nowMs, r.Topic, r.Partition, r.Offset)
	}
	return "", nil
}

// token identifies the batch by partition and offset range; ClickHouse drops
// a second insert with the same token.
func (b *partBatch) token(table string) string {
	return fmt.Sprintf("%s.%d.%d-%d.%s", b.topic, b.partition, b.first, b.last, table)
}

func (b *partBatch) write(ctx context.Context, st store.Store) error {
	type part struct {
		table string
		block *store.Block
	}
	var parts []part
	switch {
	case b.logs != nil:
		parts = append(parts, part{"logs", b.logs.block()})
	case b.events != nil:
		parts = append(parts, part{"events", b.events.block()})
	case b.metrics != nil:
		parts = append(parts, part{"metrics", b.metrics.block()})
	}
	parts = append(parts, part{"dead_letters", b.dead.block()})
	for _, p := range parts {
		n := p.block.Rows()
		if n == 0 {
			continue
		}
		start := time.Now()
		if err := st.Insert(ctx, p.table, p.block, sanitizeToken(b.token(p.table))); err != nil {
			insertErrors.WithLabelValues(p.table).Inc()
			return err
		}
		insertSeconds.WithLabelValues(p.table).Observe(time.Since(start).Seconds())
		rowsWritten.WithLabelValues(p.table).Add(float64(n))
	}
	batchRows.Observe(float64(b.n))
	return nil
}

// sanitizeToken keeps a token within the characters the store accepts;
// topic names may hold others.
func sanitizeToken(s string) string {
	out := []byte(s)
	for i, c := range out {
		ok := c == '_' || c == '.' || c == ':' || c == '/' || c == '-' ||
			(c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
		if !ok {
			out[i] = '_'
		}
	}
	return string(out)
}
