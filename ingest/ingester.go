package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/logmart/logmart/ingest/archive"
	"github.com/logmart/logmart/store"
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
	st     Store
	log    *slog.Logger
	cl     *kgo.Client
	kopts  []kgo.Opt // the broker connection, for reading a refused batch again (setAside)
	topics map[string]TopicConfig
	routes *Routes
	arch   archive.Target // nil: the archive is off (Config.Archive)
	// budgets counts records and decides their fate (nil: no budgets).
	budgets Budgets

	wctx      context.Context // writers' context: outlives Run's to finish writes at stop
	stopping  chan struct{}   // closed when Run's context ends: failing writes stop retrying
	onWritten func(topic string, partition int32, last int64)
	wmu       sync.Mutex
	writers   map[tp]*partWriter
	inserts   chan struct{} // a slot per insert running at once (Config.MaxConcurrentInserts)

	mu      sync.Mutex
	parts   map[tp]*partBatch
	intents map[tp][]intent // recorded ranges at or after the committed offset, oldest first

	cmu     sync.Mutex // held from deciding a commit's contents until it is answered
	ledgers map[tp]*ledger

	health sync.Map // tp → *partHealth, for the partitions owned (health.go)
}

// tp names a partition: a topic and a partition number.
type tp struct {
	topic     string
	partition int32
}

// Store is what the Ingester uses of a store.Store: inserts (Inserter), and
// one read, of the batch ranges that builds before commit-metadata ranges
// recorded in ingest_batches (loadIntents). Query goes with that fallback;
// the Ingester then needs an Inserter only.
type Store interface {
	Inserter
	Query(ctx context.Context, q store.Query) (*store.Result, error)
}

// New creates the consumer; Run starts it. kopts are the broker connection
// options (seeds, SASL, TLS) from ingest/kafka. routes may be nil: then
// every record goes to the topic's stream.
func New(cfg Config, st Store, kopts []kgo.Opt, routes *Routes, log *slog.Logger) (*Ingester, error) {
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
		writers: map[tp]*partWriter{}, wctx: context.Background(), stopping: make(chan struct{}),
		kopts: slices.Clone(kopts)}
	slots := cfg.MaxConcurrentInserts
	if slots == 0 {
		slots = runtime.GOMAXPROCS(0)
	}
	g.inserts = make(chan struct{}, slots)
	if cfg.Archive.Enabled {
		var err error
		if g.arch, err = archive.Open(context.Background(), cfg.Archive); err != nil {
			return nil, err
		}
	}
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
	running.add(g)
	defer running.remove(g)
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
			// Writes that succeed finish; one that is failing stops at its
			// next retry, and its partition is read again by its next
			// owner. The bound is for an insert that hangs.
			close(g.stopping)
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

// flushAll cuts every open batch at stop, writes and commits what is held,
// and waits a little for dead letters still on their way to their topic.
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
//
// It reads through cl, the client the callback is given: the group can
// assign partitions before New has stored its client in g.cl.
func (g *Ingester) onAssigned(ctx context.Context, cl *kgo.Client, assigned map[string][]int32) {
	for topic, ps := range assigned {
		var got map[int32]*ledger
		err := g.retry(ctx, "load batch ranges", nil, func() error {
			var err error
			got, err = g.loadLedgers(ctx, cl, topic, ps)
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

// forget drops the commit bookkeeping and the health of partitions this
// consumer no longer owns, once their writers are done.
func (g *Ingester) forget(keys []tp) {
	g.cmu.Lock()
	for _, k := range keys {
		delete(g.ledgers, k)
	}
	g.cmu.Unlock()
	g.forgetHealth(keys)
}
