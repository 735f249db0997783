package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Runner runs the pipeline on Kafka: it consumes the input topics in a
// consumer group and, per poll, produces the facts, dead letters and state
// changes of what it consumed in one transaction with the consumed offsets
// (franz-go's GroupTransactSession), so a crash at any point neither loses
// nor repeats a fact. Replicas sharing Config.Group share the partitions;
// a replica given partitions restores their entities from the changelog.
//
// Every replica also reads the whole configuration topic (gca-cfg) outside
// the group, since any interaction may name any agent or queue.
type Runner struct {
	cfg  Config
	opts []kgo.Opt
	log  *slog.Logger

	mu     sync.Mutex
	status Status
}

// Status is what GET /api/v1/pipeline/status shows.
type Status struct {
	Running    bool              `json:"running"`
	Group      string            `json:"group"`
	Partitions map[string]int    `json:"partitions"` // assigned, by topic
	Committed  int64             `json:"transactions_committed"`
	Aborted    int64             `json:"transactions_aborted"`
	Restores   int64             `json:"restores"`
	LastCommit time.Time         `json:"last_commit,omitzero"`
	LastError  string            `json:"last_error,omitempty"`
	Processor  Stats             `json:"processor"`
	Watermarks map[string]Millis `json:"watermarks"` // newest event time, by topic/partition
}

// NewRunner returns a Runner for the cluster opts reach (see
// ingest/kafka.ClientOpts). log may be nil.
func NewRunner(cfg Config, opts []kgo.Opt, log *slog.Logger) *Runner {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	registerRunning.Do(func() { prometheus.MustRegister(runningGauge) })
	return &Runner{cfg: cfg, opts: opts, log: log, status: Status{Group: cfg.Group}}
}

// Status returns a copy of the runner's status.
func (r *Runner) Status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.status
	s.Partitions = copyMap(s.Partitions)
	s.Watermarks = copyMap(s.Watermarks)
	return s
}

func copyMap[V any](m map[string]V) map[string]V {
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// factTopic is where a fact table's rows go.
func (c Config) factTopic(table string) string {
	if table == TableAgentStates || table == TableSessions {
		return c.AgentTopic
	}
	return c.InteractionTopic
}

// Run consumes until ctx ends. It returns nil then, or the error that
// stopped it (the cluster unreachable at start, for one).
func (r *Runner) Run(ctx context.Context) error {
	assigned := &assignment{parts: map[home]bool{}}
	var restore atomic.Bool
	restore.Store(true)
	onChange := func(add bool) func(context.Context, *kgo.Client, map[string][]int32) {
		return func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
			assigned.update(m, add)
			restore.Store(true)
		}
	}
	inputs := make([]string, 0, len(r.cfg.Inputs))
	for _, t := range r.cfg.Inputs {
		if t != TopicConfig {
			inputs = append(inputs, t)
		}
	}
	sess, err := kgo.NewGroupTransactSession(append(append([]kgo.Opt{}, r.opts...),
		kgo.TransactionalID(r.cfg.TransactionalID),
		kgo.TransactionTimeout(time.Minute),
		kgo.ConsumerGroup(r.cfg.Group),
		// Static membership under the replica's transactional id: a
		// replica restarted after a crash takes its partitions back at
		// once instead of waiting out its old session.
		kgo.InstanceID(r.cfg.TransactionalID),
		kgo.SessionTimeout(15*time.Second),
		kgo.ConsumeTopics(append(inputs, TopicConfig)...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.AllowAutoTopicCreation(),
		kgo.RecordPartitioner(partitioner{r.cfg.ChangelogTopic}),
		kgo.OnPartitionsAssigned(onChange(true)),
		kgo.OnPartitionsRevoked(onChange(false)),
		kgo.OnPartitionsLost(onChange(false)),
	)...)
	if err != nil {
		return fmt.Errorf("cannot create the pipeline's Kafka session: %w", err)
	}
	defer sess.Close()
	configs := newConfigReader(r.opts)
	go configs.run(ctx, r.fail)
	defer configs.close()
	acws := newHandoffReader(r.opts, r.cfg)
	go acws.run(ctx, r.fail)
	defer acws.close()

	r.setRunning(true)
	defer r.setRunning(false)
	var p *Processor
	var lastRecord time.Time
	watermarks := map[string]Millis{}
	for ctx.Err() == nil {
		if restore.Load() || p == nil {
			restore.Store(false)
			parts := assigned.snapshot()
			if p, err = r.restore(ctx, sess.Client(), parts, configs.all()); err != nil {
				if ctx.Err() != nil {
					break
				}
				r.fail(err)
				restore.Store(true)
				sleep(ctx, time.Second)
				continue
			}
			for _, h := range acws.all() {
				p.ApplyHandoff(h)
			}
			if err := r.markBacklog(ctx, sess.Client(), p, parts); err != nil {
				r.log.Warn("pipeline: partitions with a backlog are not known until fetched", "err", err)
			}
			lastRecord = time.Now()
		}
		pollCtx, cancel := context.WithTimeout(ctx, r.cfg.CommitInterval)
		fetches := sess.PollFetches(pollCtx)
		cancel()
		if fetches.IsClientClosed() || ctx.Err() != nil {
			break
		}
		if restore.Load() {
			// The assignment changed during the poll: what it fetched is
			// processed after the restore, from the committed offsets, to
			// which an empty aborted transaction rewinds the consumer.
			if err := sess.Begin(); err == nil {
				_, _ = sess.End(ctx, kgo.TryAbort)
			}
			continue
		}
		fetches.EachError(func(t string, part int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
				r.fail(fmt.Errorf("cannot fetch %s/%d: %w", t, part, err))
			}
		})
		for _, rec := range configs.take() {
			p.Process(TopicConfig, rec.Partition, rec.Offset, rec.Value)
		}
		for _, h := range acws.take() {
			p.ApplyHandoff(h)
		}
		// A partition with records beyond those fetched is behind (on
		// its own event time) for this poll's records; one fetched to its
		// end is caught up after them.
		var caughtUp []kgo.FetchTopicPartition
		fetches.EachPartition(func(fp kgo.FetchTopicPartition) {
			if len(fp.Records) == 0 {
				return
			}
			lag := consumerLagOf(fp)
			consumerLag.WithLabelValues(fp.Topic, strconv.Itoa(int(fp.Partition))).Set(float64(lag))
			if fp.Topic == TopicConfig {
				return
			}
			if lag > 1 {
				p.Behind(fp.Topic, fp.Partition, true)
			} else {
				caughtUp = append(caughtUp, fp)
			}
		})
		var extra []*kgo.Record // republished configuration, after-call work handed over
		n := 0
		fetches.EachRecord(func(rec *kgo.Record) {
			n++
			if rec.Topic == TopicConfig {
				// The owner of a gca-cfg partition republishes it, as
				// the configuration the facts were made with.
				extra = append(extra, &kgo.Record{Topic: r.cfg.ConfigTopic, Key: rec.Key, Value: rec.Value})
				return
			}
			if t := p.Process(rec.Topic, rec.Partition, rec.Offset, rec.Value); t > 0 {
				k := rec.Topic + "/" + strconv.Itoa(int(rec.Partition))
				watermarks[k] = max(watermarks[k], Millis(t))
				watermarkSeconds.WithLabelValues(rec.Topic, strconv.Itoa(int(rec.Partition))).Set(float64(t) / 1000)
			}
		})
		for _, fp := range caughtUp {
			p.Behind(fp.Topic, fp.Partition, false)
		}
		newest := p.stats.maxSeen()
		if n > 0 {
			lastRecord = time.Now()
		} else if idle := time.Since(lastRecord); idle > r.cfg.IdleAdvance && newest > 0 {
			// No input for a while: event time is assumed to move on with
			// the clock, so the last interactions' facts are emitted.
			newest += idle.Milliseconds()
			p.CaughtUp()
		}
		p.Advance(newest)
		facts := p.Flush()
		dead := p.DeadLetters()
		changes, err := p.TakeChanges()
		if err != nil {
			r.fail(err)
			restore.Store(true)
			continue
		}
		// After-call work goes out in the same transaction as the agent
		// state it was computed with.
		for _, h := range p.TakeHandoffs() {
			rec, err := handoffRecord(r.cfg.ACWTopic, r.cfg.TransactionalID, h)
			if err != nil {
				r.fail(err)
				continue
			}
			extra = append(extra, rec)
		}
		if n == 0 && len(facts) == 0 && len(dead) == 0 && len(changes) == 0 && len(extra) == 0 {
			r.setStats(p, watermarks)
			continue
		}
		committed, err := r.transact(ctx, sess, facts, dead, changes, extra)
		if err != nil || !committed {
			transactionsTotal.WithLabelValues("aborted").Inc()
			r.mu.Lock()
			r.status.Aborted++
			r.mu.Unlock()
			if err != nil && ctx.Err() == nil {
				r.fail(err)
			}
			// The state no longer matches the committed offsets: start
			// again from the changelog.
			restore.Store(true)
			continue
		}
		transactionsTotal.WithLabelValues("committed").Inc()
		r.mu.Lock()
		r.status.Committed++
		r.status.LastCommit = time.Now()
		r.mu.Unlock()
		r.setStats(p, watermarks)
	}
	return nil
}

// consumerLagOf is how many offsets of a fetched partition remain beyond
// its last record delivered: up to the last stable offset, which a
// read-committed consumer can reach, else the high watermark. A
// transaction's commit marker takes an offset of its own, so a partition
// caught up on a transactional producer's records reads 1; Run counts a
// partition behind from 2.
func consumerLagOf(fp kgo.FetchTopicPartition) int64 {
	end := fp.LastStableOffset
	if end <= 0 {
		end = fp.HighWatermark
	}
	return max(end-fp.Records[len(fp.Records)-1].Offset-1, 0)
}

// factBytes is about the size of a fact row's JSON.
const factBytes = 384

// transact produces one poll's output and commits it with the consumed
// offsets.
func (r *Runner) transact(ctx context.Context, sess *kgo.GroupTransactSession, facts []Fact, dead []DeadLetter, changes []StateChange, extra []*kgo.Record) (bool, error) {
	if err := sess.Begin(); err != nil {
		return false, fmt.Errorf("cannot begin a transaction: %w", err)
	}
	var produceErr atomic.Value
	promise := func(_ *kgo.Record, err error) {
		if err != nil {
			produceErr.CompareAndSwap(nil, err)
		}
	}
	// The facts are encoded into one buffer, each record's value a slice
	// of it: a buffer per fact was most of the garbage of a large poll.
	arena := make([]byte, 0, factBytes*len(facts))
	for _, f := range facts {
		start := len(arena)
		var err error
		if arena, err = f.AppendJSON(arena); err != nil {
			return false, err
		}
		v := arena[start:len(arena):len(arena)]
		sess.Produce(ctx, &kgo.Record{Topic: r.cfg.factTopic(f.Table), Key: []byte(f.Key), Value: v,
			Headers: []kgo.RecordHeader{{Key: "table", Value: []byte(f.Table)}}}, promise)
	}
	for _, d := range dead {
		sess.Produce(ctx, &kgo.Record{Topic: r.cfg.DeadLetterTopic, Value: d.Raw, Headers: []kgo.RecordHeader{
			{Key: "reason", Value: []byte(d.Reason)}, {Key: "error", Value: []byte(d.Error)},
			{Key: "topic", Value: []byte(d.Topic)}, {Key: "partition", Value: []byte(strconv.Itoa(int(d.Partition)))},
			{Key: "offset", Value: []byte(strconv.FormatInt(d.Offset, 10))},
		}}, promise)
	}
	for _, c := range changes {
		sess.Produce(ctx, &kgo.Record{Topic: r.cfg.ChangelogTopic, Key: c.Key, Value: c.Value, Partition: c.Partition}, promise)
	}
	for _, rec := range extra {
		sess.Produce(ctx, rec, promise)
	}
	committed, err := sess.End(ctx, kgo.TryCommit)
	if err == nil {
		if e, _ := produceErr.Load().(error); e != nil {
			err = fmt.Errorf("cannot produce the pipeline's output: %w", e)
		}
	}
	return committed, err
}

func (r *Runner) setRunning(on bool) {
	r.mu.Lock()
	r.status.Running = on
	r.mu.Unlock()
	if on {
		runningGauge.Set(1)
	} else {
		runningGauge.Set(0)
	}
}

func (r *Runner) fail(err error) {
	r.log.Warn("pipeline", "err", err)
	r.mu.Lock()
	r.status.LastError = err.Error()
	r.mu.Unlock()
}

func (r *Runner) setStats(p *Processor, watermarks map[string]Millis) {
	s := p.Stats()
	r.mu.Lock()
	r.status.Processor = s
	r.status.Watermarks = copyMap(watermarks)
	r.mu.Unlock()
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// assignment is the input partitions the group gave this replica.
type assignment struct {
	mu    sync.Mutex
	parts map[home]bool
}

func (a *assignment) update(m map[string][]int32, add bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for t, ps := range m {
		for _, p := range ps {
			if add {
				a.parts[home{t, p}] = true
			} else {
				delete(a.parts, home{t, p})
			}
		}
	}
}

func (a *assignment) snapshot() map[home]bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return copyMapAny(a.parts)
}

func copyMapAny[K comparable, V any](m map[K]V) map[K]V {
	out := make(map[K]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// partitioner sends changelog records to the partition their home names
// (modulo the changelog's partitions) and everything else by key, so one
// interaction's or agent's facts always land on one partition.
type partitioner struct{ changelog string }

func (p partitioner) ForTopic(topic string) kgo.TopicPartitioner {
	if topic == p.changelog {
		return manualPartitioner{}
	}
	return kgo.StickyKeyPartitioner(nil).ForTopic(topic)
}

type manualPartitioner struct{}

func (manualPartitioner) RequiresConsistency(*kgo.Record) bool { return true }
func (manualPartitioner) Partition(r *kgo.Record, n int) int   { return int(r.Partition) % n }
