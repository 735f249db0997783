package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"

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
	batchesCut = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "logmart_ingest_batches_total",
		Help: "Batches cut for writing, by topic and what ended them: rows, bytes, interval, idle (the partition went quiet), recorded (a range an earlier consumer recorded), stop (shutdown or rebalance).",
	}, []string{"topic", "reason"})
	insertErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "logmart_ingest_insert_errors_total",
		Help: "Failed batch writes (retried until they succeed), by table.",
	}, []string{"table"})
	consumerLag = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "logmart_ingest_consumer_lag_records",
		Help: "Records in the partition not yet consumed, by topic and partition.",
	}, []string{"topic", "partition"})
	timestampBehind = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "logmart_ingest_timestamp_behind_seconds",
		Help: "Now minus the newest record time written, by topic and partition.",
	}, []string{"topic", "partition"})
)

func init() {
	prometheus.MustRegister(recordsTotal, bytesTotal, invalidTotal, rowsWritten, insertSeconds, batchRows, batchesCut, insertErrors, timestampBehind, consumerLag)
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
// each partition's records to ClickHouse in batches.
//
// Exactly once: before a batch is written its offset range is recorded in
// the partition's Kafka commit (ledger.go); every insert carries a
// deduplication token built from that range; the committed offset moves
// past a batch only after it is stored. A consumer that takes a partition
// over (after a crash or a rebalance) reads the recorded ranges and cuts
// its batches at the same offsets, so a batch written twice carries the
// same token and ClickHouse drops the repeat.
type Ingester struct {
	cfg    Config
	st     store.Store
	log    *slog.Logger
	cl     *kgo.Client
	topics map[string]TopicConfig
	routes *Routes

	wctx      context.Context // writers' context: outlives Run's to finish writes at stop
	onWritten func(topic string, partition int32, last int64)
	wmu       sync.Mutex
	writers   map[tp]*partWriter
	inserts   chan struct{} // a slot per insert running at once (Config.MaxConcurrentInserts)

	mu      sync.Mutex
	parts   map[tp]*partBatch
	intents map[tp][]intent // recorded ranges at or after the committed offset, oldest first

	cmu     sync.Mutex // held from deciding a commit's contents until it is answered
	ledgers map[tp]*ledger
}

type tp struct {
	topic     string
	partition int32
}

// New creates the consumer; Run starts it. kopts are the broker connection
// options (seeds, SASL, TLS) from ingest/kafka. routes may be nil: then
// every record goes to the topic's stream.
func New(cfg Config, st store.Store, kopts []kgo.Opt, routes *Routes, log *slog.Logger) (*Ingester, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if routes == nil {
		var err error
		if routes, err = NewRoutes(""); err != nil {
			return nil, err
		}
	}
	g := &Ingester{cfg: cfg, st: st, log: log, topics: map[string]TopicConfig{}, routes: routes,
		parts: map[tp]*partBatch{}, intents: map[tp][]intent{}, ledgers: map[tp]*ledger{},
		writers: map[tp]*partWriter{}, wctx: context.Background()}
	slots := cfg.MaxConcurrentInserts
	if slots == 0 {
		slots = runtime.GOMAXPROCS(0)
	}
	g.inserts = make(chan struct{}, slots)
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
		kgo.SessionTimeout(cfg.SessionTimeout),
		kgo.ConsumeTopics(names...),
		kgo.Balancers(kgo.CooperativeStickyBalancer()),
		kgo.DisableAutoCommit(),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		// Bounded read-ahead: what is fetched but not yet batched is memory
		// ingest holds on top of the batches themselves, decompressed (about
		// three times the fetched bytes). 8 MiB a fetch kept up as well as
		// 16 MiB, with about 40 MiB less held at full speed.
		kgo.FetchMaxBytes(8<<20),
		kgo.FetchMaxPartitionBytes(2<<20),
		kgo.MaxConcurrentFetches(2),
		kgo.BlockRebalanceOnPoll(),
		kgo.OnPartitionsAssigned(g.onAssigned),
		kgo.OnPartitionsRevoked(g.onRevoked),
		kgo.OnPartitionsLost(g.onLost),
		kgo.ProducerLinger(50*time.Millisecond),
		kgo.WithPools(&fetchPool{}),
	)
	if cfg.InstanceID != "" {
		opts = append(opts, kgo.InstanceID(cfg.InstanceID))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("cannot create the Kafka consumer: %w", err)
	}
	g.cl = cl
	return g, nil
}

// OnWritten sets a function called after each batch's insert returns (its
// rows are queryable from then on), with the batch's last offset; for
// benchmarks and tests. Set it before Run.
func (g *Ingester) OnWritten(fn func(topic string, partition int32, last int64)) { g.onWritten = fn }

// Run consumes until ctx is done, then writes what it holds and commits.
func (g *Ingester) Run(ctx context.Context) error {
	defer g.cl.Close()
	wctx, wcancel := context.WithCancel(context.Background())
	defer wcancel()
	g.wctx = wctx
	for {
		pctx, cancel := context.WithTimeout(ctx, g.pollWait(time.Now()))
		polled := time.Now()
		fetches := g.cl.PollFetches(pctx)
		cancel()
		waited := time.Since(polled)
		if ctx.Err() != nil {
			g.cl.AllowRebalance()
			stop := time.AfterFunc(30*time.Second, wcancel)
			g.flushAll()
			stop.Stop()
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
		ready := g.cut(fetches, time.Now(), waited)
		g.send(ready)
		g.cl.AllowRebalance()
	}
}

func (g *Ingester) retry(ctx context.Context, what string, fn func() error) error {
	backoff := 100 * time.Millisecond
	for {
		err := fn()
		if err == nil {
			return nil
		}
		g.log.Warn("cannot "+what+"; retrying", "backoff", backoff, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

func (g *Ingester) commit(ctx context.Context, b *partBatch) {
	g.committed(ctx, b)
	h := healthOf(tp{b.topic, b.partition})
	h.batchRows.Store(int64(b.n))
	h.insertMicros.Store(b.insertTime.Microseconds())
	h.lastWriteMs.Store(time.Now().UnixMilli())
	if b.newest > 0 {
		h.newestMs.Store(b.newest)
		timestampBehind.WithLabelValues(b.topic, strconv.Itoa(int(b.partition))).Set(time.Since(time.UnixMilli(b.newest)).Seconds())
	}
}

// produceDead copies the batch's dead letters to the dead-letter topic. The
// dead_letters table is the exact record; the topic is for tools that
// replay from Kafka, and gets a copy at least once.
func (g *Ingester) produceDead(b *partBatch) {
	if g.cfg.DeadLetterTopic == "" {
		return
	}
	for _, r := range b.deadRecs {
		r.Topic = g.cfg.DeadLetterTopic
		g.cl.Produce(context.Background(), r, func(r *kgo.Record, err error) {
			if err != nil {
				g.log.Warn("cannot produce a dead letter", "topic", r.Topic, "err", err)
			}
		})
	}
}

func (g *Ingester) flushAll() {
	g.mu.Lock()
	ready := map[tp][]*partBatch{}
	var keys []tp
	for k, b := range g.parts {
		if b != nil && b.n > 0 {
			ready[k] = append(ready[k], b.cutFor("stop"))
		}
		delete(g.parts, k)
	}
	g.mu.Unlock()
	g.send(ready)
	g.wmu.Lock()
	for k := range g.writers {
		keys = append(keys, k)
	}
	g.wmu.Unlock()
	g.drain(keys)
	fctx, cancel := context.WithTimeout(g.wctx, 10*time.Second)
	defer cancel()
	_ = g.cl.Flush(fctx)
}

// onAssigned loads the committed offsets and recorded batch ranges of newly
// assigned partitions, so batches are cut where an earlier consumer cut
// them.
func (g *Ingester) onAssigned(ctx context.Context, _ *kgo.Client, assigned map[string][]int32) {
	for topic, ps := range assigned {
		var got map[int32]*ledger
		err := g.retry(ctx, "load batch ranges", func() error {
			var err error
			got, err = g.loadLedgers(ctx, topic, ps)
			return err
		})
		if err != nil {
			return
		}
		g.cmu.Lock()
		for _, p := range ps {
			g.ledgers[tp{topic, p}] = got[p]
		}
		g.cmu.Unlock()
		g.mu.Lock()
		for _, p := range ps {
			k := tp{topic, p}
			g.intents[k] = slices.Clone(got[p].pending)
			delete(g.parts, k)
		}
		g.mu.Unlock()
	}
}

// forget drops the commit bookkeeping of partitions this consumer no longer
// owns, once their writers are done.
func (g *Ingester) forget(keys []tp) {
	g.cmu.Lock()
	defer g.cmu.Unlock()
	for _, k := range keys {
		delete(g.ledgers, k)
	}
}

// loadIntents reads the batch ranges earlier versions recorded in
// ingest_batches.
func (g *Ingester) loadIntents(ctx context.Context, topic string, ps []int32) (map[int32][]intent, error) {
	list := make([]string, len(ps))
	for i, p := range ps {
		list[i] = strconv.Itoa(int(p))
	}
	res, err := g.st.Query(ctx, store.Query{
		SQL: `SELECT partition, first_offset, max(last_offset) FROM ingest_batches
			WHERE topic = {topic:String} AND has({ps:Array(Int32)}, partition)
			GROUP BY partition, first_offset ORDER BY partition, first_offset DESC LIMIT 1000 BY partition`,
		Params: map[string]string{"topic": topic, "ps": "[" + strings.Join(list, ",") + "]"},
	})
	if err != nil {
		return nil, err
	}
	out := map[int32][]intent{}
	for _, r := range res.Rows {
		p := int32(u64(r[0]))
		out[p] = append(out[p], intent{first: int64(u64(r[1])), last: int64(u64(r[2]))})
	}
	for p, l := range out {
		slices.Reverse(l) // oldest first
		out[p] = l
	}
	return out, nil
}

// onRevoked writes and commits what is held for partitions moving to
// another replica, before they move.
func (g *Ingester) onRevoked(ctx context.Context, _ *kgo.Client, revoked map[string][]int32) {
	g.mu.Lock()
	ready := map[tp][]*partBatch{}
	for topic, ps := range revoked {
		for _, p := range ps {
			k := tp{topic, p}
			if b := g.parts[k]; b != nil && b.n > 0 {
				ready[k] = append(ready[k], b.cutFor("stop"))
			}
			delete(g.parts, k)
			delete(g.intents, k)
		}
	}
	g.mu.Unlock()
	g.send(ready)
	var keys []tp
	for topic, ps := range revoked {
		for _, p := range ps {
			keys = append(keys, tp{topic, p})
		}
	}
	g.drain(keys)
	g.forget(keys)
}

// onLost drops what is held for partitions this replica no longer owns
// (session expired): another replica rereads them from the last commit.
func (g *Ingester) onLost(_ context.Context, _ *kgo.Client, lost map[string][]int32) {
	var keys []tp
	g.mu.Lock()
	for topic, ps := range lost {
		for _, p := range ps {
			delete(g.parts, tp{topic, p})
			delete(g.intents, tp{topic, p})
			keys = append(keys, tp{topic, p})
		}
	}
	g.mu.Unlock()
	// Writes already handed over finish (another replica's rewrite of the
	// same ranges is deduplicated); their commits fail harmlessly.
	g.drain(keys)
	g.forget(keys)
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
