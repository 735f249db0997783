package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/logmart/logmart/ingest/kafka"
	"github.com/logmart/logmart/internal/demo"
	"github.com/logmart/logmart/pipeline"
	"github.com/logmart/logmart/store"
	"github.com/logmart/logmart/store/chdb"
)

// PipelineOptions configures one Pipeline run.
type PipelineOptions struct {
	// Events is how many input records the throughput phase consumes.
	// Required, at least 1000.
	Events int
	// Data is the folder the embedded Kafka and ClickHouse persist to.
	// Default empty: a temporary folder, removed afterwards.
	Data string
	// Partitions of every topic. Default 4.
	Partitions int
	// LatencyEvents are produced at LatencyRate per second, after the
	// throughput phase, to time event to queryable fact. Default 20000.
	LatencyEvents int
	// LatencyRate in records per second. Default 2000.
	LatencyRate int
	// ChdbLibrary is the path of libchdb.so. Default chdb.DefaultLibPath().
	ChdbLibrary string
	// CPUProfile, when not nil, receives a pprof CPU profile of the
	// throughput phase: the whole process, embedded broker included.
	CPUProfile io.Writer
}

// PipelineResult is what Pipeline measured.
type PipelineResult struct {
	Events              int     `json:"events"`
	Seconds             float64 `json:"seconds"`
	EventsPerSec        float64 `json:"events_per_sec"`
	EventsPerSecPerCore float64 `json:"events_per_sec_per_core"`
	CPUSeconds          float64 `json:"cpu_seconds"`
	Transactions        int64   `json:"transactions"`
	Facts               int64   `json:"facts"`
	DeadLetters         int64   `json:"dead_letters"`
	LatencyCalls        int     `json:"latency_calls"`
	LatencyP50Ms        float64 `json:"latency_p50_ms"`
	LatencyP95Ms        float64 `json:"latency_p95_ms"`
	LatencyMaxMs        float64 `json:"latency_max_ms"`
}

// Pipeline measures the contact-center pipeline end to end on the embedded
// Kafka and ClickHouse, with transactions on.
//
// Throughput: opts.Events simulated records (calls and agent states, keyed
// by call and agent) are produced first; then the runner starts, and the
// clock and the process's CPU time run until it has consumed all of them
// and committed. events_per_sec_per_core is events per CPU second of the
// whole process, which includes the embedded broker.
//
// Latency: with the runner and the fact loader running (the loader first
// catches up with the throughput phase's facts), another simulation is
// produced at opts.LatencyRate; a call's latency is from the produce of
// its last record to the insert time (loaded) of its ended
// interaction_facts row, when a query can read it.
func Pipeline(ctx context.Context, opts PipelineOptions, log *slog.Logger) (res PipelineResult, err error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Events < 1000 {
		return res, fmt.Errorf("events must be at least 1000, got %d", opts.Events)
	}
	if opts.Partitions <= 0 {
		opts.Partitions = 4
	}
	if opts.LatencyEvents <= 0 {
		opts.LatencyEvents = 20000
	}
	if opts.LatencyRate <= 0 {
		opts.LatencyRate = 2000
	}
	if opts.ChdbLibrary == "" {
		opts.ChdbLibrary = chdb.DefaultLibPath()
	}
	data := opts.Data
	if data == "" {
		if data, err = os.MkdirTemp("", "logmart-bench-pipeline-"); err != nil {
			return res, fmt.Errorf("cannot create a temporary folder: %w", err)
		}
		defer os.RemoveAll(data)
	} else if err := checkEmpty(data); err != nil {
		return res, err
	}
	ccfg := chdb.Default()
	ccfg.Library = opts.ChdbLibrary
	ccfg.Path = filepath.Join(data, "clickhouse")
	st, err := chdb.Open(ccfg, benchDatabase, log)
	if err != nil {
		return res, err
	}
	defer st.Close()
	if err := store.Migrate(ctx, st, log); err != nil {
		return res, err
	}
	kcfg := kafka.Default()
	kcfg.Listen = "127.0.0.1:0"
	kcfg.DataDir = filepath.Join(data, "kafka")
	kcfg.Partitions = opts.Partitions
	kcfg.Topics = append(pipeline.InputTopics(), "gsp-ixn", "gsp-sm", "gsp-cfg", "gsp-dead", "gsp-state", "gsp-acw")
	emb, err := kafka.StartEmbedded(kcfg, log)
	if err != nil {
		return res, err
	}
	defer emb.Close()
	kopts, err := kafka.ClientOpts(emb.Config())
	if err != nil {
		return res, err
	}
	prod, err := kgo.NewClient(append(append([]kgo.Opt{}, kopts...), kgo.ProducerLinger(5*time.Millisecond))...)
	if err != nil {
		return res, err
	}
	defer prod.Close()

	recs, truth := simulate(opts.Events, "call-", time.Time{})
	if err := produceAll(ctx, prod, recs, 0, nil); err != nil {
		return res, err
	}
	cfg := pipeline.DefaultConfig()
	cfg.IdleAdvance = time.Second
	cfg.Group = "logmart-bench-pipeline"
	cfg.TransactionalID = "logmart-bench-pipeline"
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { stop(); wg.Wait() }()
	runner := pipeline.NewRunner(cfg, kopts, log)
	if opts.CPUProfile != nil {
		if err := pprof.StartCPUProfile(opts.CPUProfile); err != nil {
			return res, fmt.Errorf("cannot start the CPU profile: %w", err)
		}
	}
	cpu0, t0 := cpuTime(), time.Now()
	wg.Add(1)
	go func() { defer wg.Done(); _ = runner.Run(runCtx) }()
	for {
		s := runner.Status()
		if s.Processor.Records >= int64(len(recs)) && !s.LastCommit.IsZero() && s.LastCommit.After(t0) {
			break
		}
		if ctx.Err() != nil {
			pprof.StopCPUProfile()
			return res, ctx.Err()
		}
		if time.Since(t0) > 10*time.Minute {
			pprof.StopCPUProfile()
			return res, fmt.Errorf("the pipeline consumed %d of %d records in 10 minutes", s.Processor.Records, len(recs))
		}
		time.Sleep(10 * time.Millisecond)
	}
	elapsed, cpu := time.Since(t0), cpuTime()-cpu0
	if opts.CPUProfile != nil {
		pprof.StopCPUProfile()
	}
	res.Events = len(recs)
	res.Seconds = elapsed.Seconds()
	res.CPUSeconds = cpu.Seconds()
	res.EventsPerSec = float64(len(recs)) / elapsed.Seconds()
	if cpu > 0 {
		res.EventsPerSecPerCore = float64(len(recs)) / cpu.Seconds()
	}
	s := runner.Status()
	res.Transactions = s.Committed
	for _, n := range s.Processor.Facts {
		res.Facts += n
	}
	for _, n := range s.Processor.Invalid {
		res.DeadLetters += n
	}

	// Latency: the loader joins and loads the throughput phase's facts;
	// then a later simulation streams in. Calls streamed while the loader
	// still caught up would time the backlog, not the pipeline.
	wg.Add(1)
	go func() { defer wg.Done(); _ = pipeline.NewLoader(st).Consume(runCtx, cfg, kopts, log) }()
	if err := waitLoaded(ctx, st); err != nil {
		return res, err
	}
	lrecs, ltruth := simulate(opts.LatencyEvents, "lat-", time.UnixMilli(truth.End).Add(time.Hour))
	produced := map[string]time.Time{}
	if err := produceAll(ctx, prod, lrecs, opts.LatencyRate, produced); err != nil {
		return res, err
	}
	// Calls cut off by the last record never end; the wait is over when
	// every ended call is there, or the count stopped growing for 5
	// seconds after the first arrived (on a busy machine the first can
	// take longer than that).
	ended := 0
	for _, f := range ltruth.Interactions {
		if f.End != 0 {
			ended++
		}
	}
	deadline := time.Now().Add(2 * time.Minute)
	var rows *store.Result
	last, since := -1, time.Now()
	for {
		rows, err = st.Query(ctx, store.Query{SQL: "SELECT id, toUnixTimestamp64Milli(min(loaded)) FROM interaction_facts " +
			"WHERE startsWith(id, 'lat-') AND `end` > toDateTime64(0, 3, 'UTC') GROUP BY id"})
		if err != nil {
			return res, err
		}
		if n := len(rows.Rows); n != last {
			last, since = n, time.Now()
		}
		if last >= ended || (last > 0 && time.Since(since) > 5*time.Second) || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	var lat []float64
	for _, r := range rows.Rows {
		id, _ := r[0].(string)
		at, ok := produced[id]
		if !ok {
			continue
		}
		loaded := int64(store.CellUint64(r[1]))
		lat = append(lat, float64(loaded-at.UnixMilli()))
	}
	if len(lat) == 0 {
		return res, errors.New("no latency call reached interaction_facts")
	}
	slices.Sort(lat)
	res.LatencyCalls = len(lat)
	res.LatencyP50Ms = lat[len(lat)/2]
	res.LatencyP95Ms = lat[min(len(lat)-1, len(lat)*95/100)]
	res.LatencyMaxMs = lat[len(lat)-1]
	return res, nil
}

// waitLoaded waits until the fact loader has caught up: interaction_facts
// has rows and their count has not grown for 3 seconds (at most 2 minutes).
func waitLoaded(ctx context.Context, st store.Store) error {
	deadline := time.Now().Add(2 * time.Minute)
	last, since := uint64(0), time.Now()
	for time.Now().Before(deadline) && ctx.Err() == nil {
		r, err := st.Query(ctx, store.Query{SQL: "SELECT count() FROM interaction_facts"})
		if err != nil {
			return err
		}
		if n := store.CellUint64(r.Rows[0][0]); n != last {
			last, since = n, time.Now()
		} else if n > 0 && time.Since(since) > 3*time.Second {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("the fact loader loaded %d interaction facts of the throughput phase and had not caught up after 2 minutes", last)
}

// simulate returns at least n records of a simulated contact center (the
// first n), starting at start.
func simulate(n int, prefix string, start time.Time) ([]demo.ContactCenterRecord, demo.ContactCenterTruth) {
	calls := n/8 + 10
	for {
		recs, truth := demo.SimulateContactCenter(demo.ContactCenterConfig{
			Seed: 1, Start: start, Agents: 50, Calls: calls, MeanGap: 5 * time.Second, CallPrefix: prefix,
		})
		if len(recs) >= n {
			return recs[:n], truth
		}
		calls += calls/2 + 10
	}
}

// produceAll produces recs in order, at rate records per second (0: as
// fast as possible), and records in produced when each call's last record
// was acknowledged.
func produceAll(ctx context.Context, cl *kgo.Client, recs []demo.ContactCenterRecord, rate int, produced map[string]time.Time) error {
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	for i, r := range recs {
		if rate > 0 {
			if d := time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(rate))); d > 0 {
				time.Sleep(d)
			}
		}
		wg.Add(1)
		key := string(r.Key)
		rec := &kgo.Record{Topic: r.Topic, Key: r.Key, Value: r.Value}
		cl.Produce(ctx, rec, func(_ *kgo.Record, err error) {
			defer wg.Done()
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = err
			}
			if produced != nil && r.Topic == pipeline.TopicVoiceCallthread && strings.HasPrefix(key, "lat-") {
				produced[key] = time.Now()
			}
		})
	}
	wg.Wait()
	return firstErr
}
