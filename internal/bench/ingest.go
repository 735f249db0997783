package bench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/logmart/logmart/ingest"
	"github.com/logmart/logmart/ingest/kafka"
	"github.com/logmart/logmart/internal/wire"
	"github.com/logmart/logmart/store"
	"github.com/logmart/logmart/store/chdb"
)

const (
	// benchTopic is the topic the lines go to, consumed into the logs table.
	benchTopic = "logs"
	// benchGroup is the ingester's consumer group.
	benchGroup = "logmart-bench"
	// benchDatabase holds the tables in the bench's own data folder.
	benchDatabase = "logmart"
	// pollEvery is how often the logs table is polled for freshness.
	pollEvery = 50 * time.Millisecond
	// stallAfter ends a run whose rows stop arriving: some were lost.
	stallAfter = 2 * time.Minute
)

// IngestOptions configures one Ingest run.
type IngestOptions struct {
	// Events is how many log lines are produced. Required, at least 1.
	Events int
	// Data is the folder the embedded Kafka (Data/kafka) and ClickHouse
	// (Data/clickhouse) persist to, kept afterwards. It must be empty or not
	// exist, so that the count check sees this run's rows only. Default
	// empty: a temporary folder, removed afterwards.
	Data string
	// Partitions is the partition count of the logs topic, which is also how
	// many batches the ingester writes in parallel. Default 4.
	Partitions int
	// BatchRows is the ingester's batch size in rows (ingest.batch.rows).
	// Default 100000.
	BatchRows int
	// MaxConcurrentInserts is ingest.max_concurrent_inserts. Default 0:
	// one per core.
	MaxConcurrentInserts int
	// ChdbLibrary is the path of libchdb.so. Default chdb.DefaultLibPath():
	// $LOGMART_CHDB_LIB or the `make chdb` cache.
	ChdbLibrary string
	// Rate is the records produced per second, on an absolute schedule.
	// Default 0: as fast as the producer takes them, which measures
	// throughput; freshness then includes the backlog. A rate the
	// pipeline keeps up with measures freshness at that load instead.
	Rate int
	// Compression is the producer's batch compression: snappy, lz4, zstd,
	// gzip or none. Default snappy, franz-go's default and a common choice
	// of log shippers.
	Compression string
	// Lines is the shape of the log lines: "compact" (the default: about
	// 245 bytes with timestamp, level, service, host, region, message and
	// trace_id, the shape many services log) or "rich" (demo.LogLine,
	// about 310 bytes: also a nested http object and a user on requests).
	Lines string
	// Seed seeds the log line generator, so runs produce the same bytes.
	// Default 1.
	Seed uint64
	// Archive writes every record to the folder archive Data/archive as
	// well, as serve does by default (ingest.archive). Default false: the
	// ClickHouse path alone, as the bench measured before the archive.
	Archive bool
	// Budgets counts every line against this many overlapping ingest
	// budgets (scopes on everything, each service and level), all keep,
	// as serve does with configs/budgets. Default 0: none.
	Budgets int
	// CPUProfile, when not nil, receives a pprof CPU profile of the measured
	// phase, from the first produce to the last row queryable. It covers the
	// whole process (producer, broker, ingester, engine); time in the
	// engine's own threads shows as [libchdb.so] under
	// runtime._ExternalCode, without C++ stacks.
	CPUProfile io.Writer
	// MemProfile, when not nil, receives a pprof heap profile taken when the
	// producer's last record is acknowledged: what is in use with the
	// largest backlog, and what the process allocated up to then.
	MemProfile io.Writer
	// Progress, when not nil, is called after every poll of the logs table
	// (about every 50 ms) from the goroutine running Ingest.
	Progress func(IngestProgress)
}

// IngestProgress is how far a run is, for a progress line.
type IngestProgress struct {
	// Produced is the records handed to the producer, Acked those the broker
	// acknowledged, Visible those queryable in the logs table.
	Produced, Acked, Visible int64
	// Elapsed is the time since the first produce.
	Elapsed time.Duration
}

// IngestResult is what a run measured. Encoded as JSON it has exactly the
// keys `make bench` reports; the details only appear in the table.
type IngestResult struct {
	// Events is the number of records produced, each found exactly once in
	// the logs table.
	Events int64 `json:"events"`
	// Seconds is the wall-clock time from the first produce to every row
	// queryable.
	Seconds float64 `json:"seconds"`
	// EventsPerSec is Events / Seconds.
	EventsPerSec float64 `json:"events_per_sec"`
	// MBPerSec is record value bytes (10^6 bytes) per second.
	MBPerSec float64 `json:"mb_per_sec"`
	// CPUSeconds is user plus system CPU time of the process over Seconds
	// (getrusage RUSAGE_SELF), engine threads included.
	CPUSeconds float64 `json:"cpu_seconds"`
	// PeakRSSBytes is the largest resident set during the measured phase
	// (VmHWM, reset when the phase starts; where the reset is not allowed,
	// the process's lifetime peak).
	PeakRSSBytes int64 `json:"peak_rss_bytes"`
	// RSSIdleBytes is the resident set with the broker, engine and ingester
	// started and idle, just before the first produce. PeakRSSBytes minus
	// RSSIdleBytes is what ingesting added.
	RSSIdleBytes int64 `json:"rss_idle_bytes"`
	// GoIdleBytes and GoPeakBytes are the part of the resident set Go's
	// runtime held when idle and at most during the run (sampled with each
	// poll); the rest is the embedded engine's.
	GoIdleBytes int64 `json:"-"`
	GoPeakBytes int64 `json:"-"`
	// FreshnessP50Ms and FreshnessP95Ms are percentiles over all records of
	// the time from produce acknowledgement to queryable, in milliseconds.
	FreshnessP50Ms float64 `json:"freshness_p50_ms"`
	FreshnessP95Ms float64 `json:"freshness_p95_ms"`

	// Bytes is the sum of record value bytes.
	Bytes int64 `json:"-"`
	// ProduceSeconds is the time from the first produce to the last
	// acknowledgement.
	ProduceSeconds float64 `json:"-"`
	// Compression is the producer's batch compression.
	Compression string `json:"-"`
	// Lines is the line shape, and LineBytes the lines' average size.
	Lines     string  `json:"-"`
	LineBytes float64 `json:"-"`
	// FreshnessMaxMs is the largest freshness of any record.
	FreshnessMaxMs float64 `json:"-"`
	// Inserts are the ingester's writes during the run.
	Inserts InsertStats `json:"-"`
	// MergeCPUSeconds is the part of CPUSeconds spent in the engine's
	// background merges, EngineCPUSeconds the part in its other threads
	// (statement pipelines). The rest ran on Go's threads: producer, broker,
	// ingester, and the engine work an insert does on its caller's thread.
	MergeCPUSeconds  float64 `json:"-"`
	EngineCPUSeconds float64 `json:"-"`
	// GCCPUSeconds and ScavengeCPUSeconds are Go's runtime estimates of
	// the CPU its garbage collector and its returning of memory to the OS
	// took; PageFaults counts the pages the kernel mapped on first touch.
	GCCPUSeconds       float64 `json:"-"`
	ScavengeCPUSeconds float64 `json:"-"`
	PageFaults         int64   `json:"-"`
	// ArchiveBytes is the size of the archive's objects at the end (with
	// IngestOptions.Archive), TableBytes the logs table's active parts on
	// disk then (merges may still shrink them).
	ArchiveBytes int64 `json:"-"`
	TableBytes   int64 `json:"-"`
}

// InsertStats sums the ingester's writes to the logs table, read from its
// Prometheus metrics (logmart_ingest_insert_duration_seconds and
// logmart_ingest_rows_written_total); zero when those are not registered.
type InsertStats struct {
	// Count is the number of inserts into logs.
	Count int64
	// Rows is the number of rows they wrote.
	Rows int64
	// Seconds is the time they took, summed.
	Seconds float64
	// Cuts counts the batches cut, by what ended them
	// (logmart_ingest_batches_total).
	Cuts map[string]int64
}

func (o *IngestOptions) withDefaults() error {
	if o.Events < 1 {
		return fmt.Errorf("events must be at least 1, got %d", o.Events)
	}
	if o.Partitions == 0 {
		o.Partitions = 4
	}
	if o.Partitions < 1 || o.Partitions > 1024 {
		return fmt.Errorf("partitions must be between 1 and 1024, got %d", o.Partitions)
	}
	if o.BatchRows == 0 {
		o.BatchRows = 100_000
	}
	if o.BatchRows < 1 || o.BatchRows > 10_000_000 {
		return fmt.Errorf("batch rows must be between 1 and 10000000, got %d", o.BatchRows)
	}
	if o.Rate < 0 {
		return fmt.Errorf("rate must be 0 (as fast as possible) or positive, got %d", o.Rate)
	}
	if o.ChdbLibrary == "" {
		o.ChdbLibrary = chdb.DefaultLibPath()
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Compression == "" {
		o.Compression = "snappy"
	}
	if o.Lines == "" {
		o.Lines = "compact"
	}
	if lineShapes[o.Lines] == nil {
		return fmt.Errorf("lines must be compact or rich, got %q", o.Lines)
	}
	if _, err := compressionCodec(o.Compression); err != nil {
		return err
	}
	return nil
}

// compressionCodec maps a compression name to the producer's codec.
func compressionCodec(name string) (kgo.CompressionCodec, error) {
	switch name {
	case "snappy":
		return kgo.SnappyCompression(), nil
	case "lz4":
		return kgo.Lz4Compression(), nil
	case "zstd":
		return kgo.ZstdCompression(), nil
	case "gzip":
		return kgo.GzipCompression(), nil
	case "none":
		return kgo.NoCompression(), nil
	}
	return kgo.CompressionCodec{}, fmt.Errorf("compression %q must be snappy, lz4, zstd, gzip or none", name)
}

// Ingest starts the embedded broker, engine and ingester, produces
// opts.Events log lines, waits until all of them are queryable, checks that
// the logs table holds each exactly once, and stops everything. It fails when
// a record is lost or duplicated, when rows stop arriving for two minutes, or
// when ctx ends.
//
// The embedded engine boots once per process on one data path (see
// store/chdb), so a process can run Ingest only once. log may be nil.
func Ingest(ctx context.Context, opts IngestOptions, log *slog.Logger) (res IngestResult, err error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := opts.withDefaults(); err != nil {
		return res, err
	}

	data := opts.Data
	if data == "" {
		if data, err = os.MkdirTemp("", "logmart-bench-"); err != nil {
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
	emb, err := kafka.StartEmbedded(kcfg, log)
	if err != nil {
		return res, err
	}
	defer emb.Close()
	kopts, err := kafka.ClientOpts(emb.Config())
	if err != nil {
		return res, err
	}

	icfg := ingest.Default()
	icfg.Group = benchGroup
	icfg.Topics = []ingest.TopicConfig{{Topic: benchTopic, Table: "logs", Format: "json", Stream: "default"}}
	icfg.Batch.Rows = opts.BatchRows
	icfg.MaxConcurrentInserts = opts.MaxConcurrentInserts
	if opts.Archive {
		icfg.Archive.Enabled, icfg.Archive.URL = true, filepath.Join(data, "archive")
	}
	ing, err := ingest.New(icfg, st, kopts, nil, log)
	if err != nil {
		return res, err
	}
	if opts.Budgets > 0 {
		acct, err := benchBudgets(opts.Budgets)
		if err != nil {
			return res, err
		}
		ing.UseBudgets(wire.BudgetDecider{A: acct})
	}
	written := &writtenLog{}
	ing.OnWritten(written.record)
	runCtx, stopIngest := context.WithCancel(context.WithoutCancel(ctx))
	ingDone := make(chan error, 1)
	go func() { ingDone <- ing.Run(runCtx) }()
	defer func() {
		stopIngest()
		select {
		case <-ingDone:
		case <-time.After(time.Minute):
			log.Warn("the ingester did not stop within a minute")
		}
	}()

	codec, _ := compressionCodec(opts.Compression)
	// The producer stands in for log shippers on other machines; its own
	// buffer is memory and page faults of the measured process. Bounded at
	// 16k records rather than franz-go's 50k, the run added about 120 MiB
	// less memory and took about a tenth less CPU, with the same backlog
	// waiting in Kafka instead.
	cl, err := kgo.NewClient(append(append([]kgo.Opt{}, kopts...), kgo.DefaultProduceTopic(benchTopic),
		kgo.ProducerBatchCompression(codec), kgo.MaxBufferedRecords(16384))...)
	if err != nil {
		return res, fmt.Errorf("cannot create the Kafka producer: %w", err)
	}
	defer cl.Close()
	if err := waitAssigned(ctx, cl, ingDone); err != nil {
		return res, err
	}

	lines, err := newLinePool(lineShapes[opts.Lines], opts.Seed, opts.Events)
	if err != nil {
		return res, err
	}
	r := &run{
		lines:   lines,
		opts:    opts,
		st:      st,
		cl:      cl,
		acks:    newAckLog(opts.Partitions),
		vis:     make([][]visStep, opts.Partitions),
		written: written,
	}
	res, err = r.measure(ctx, ingDone)
	if err != nil {
		return res, err
	}
	if opts.Archive {
		res.ArchiveBytes = folderBytes(filepath.Join(data, "archive"))
	}
	sizes, err := st.Query(ctx, store.Query{SQL: "SELECT sum(bytes_on_disk) FROM system.parts WHERE database = currentDatabase() AND table = 'logs' AND active"})
	if err == nil && len(sizes.Rows) == 1 {
		res.TableBytes = int64(store.CellUint64(sizes.Rows[0][0]))
	}
	return res, nil
}

// folderBytes sums the sizes of the files under dir.
func folderBytes(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// checkEmpty accepts a folder that is empty or does not exist.
func checkEmpty(dir string) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cannot read %q: %w", dir, err)
	}
	if len(ents) > 0 {
		return fmt.Errorf("data folder %q is not empty: the bench needs a fresh folder so that its count check sees only its own rows", dir)
	}
	return nil
}

// waitAssigned waits until the ingester's consumer group is stable with
// partitions assigned, so the measured phase does not include the group
// join. It gives up quietly after 30s: the run then measures the join too.
func waitAssigned(ctx context.Context, cl *kgo.Client, ingDone <-chan error) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-ingDone:
			return fmt.Errorf("the ingester stopped before the run: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		req := kmsg.NewPtrDescribeGroupsRequest()
		req.Groups = []string{benchGroup}
		resp, err := req.RequestWith(ctx, cl)
		if err != nil || len(resp.Groups) != 1 {
			continue
		}
		g := resp.Groups[0]
		if g.State != "Stable" || len(g.Members) == 0 {
			continue
		}
		var a kmsg.ConsumerMemberAssignment
		if a.ReadFrom(g.Members[0].MemberAssignment) == nil && len(a.Topics) > 0 {
			return nil
		}
	}
	return nil
}

// run is one measured phase.
type run struct {
	lines *linePool
	opts  IngestOptions
	st    store.Store
	cl    *kgo.Client
	acks  *ackLog
	vis   [][]visStep // per partition, when each offset prefix became visible
	start time.Time
	// written is fed by the ingester the moment each batch's insert
	// returns, which is when its rows become queryable.
	written *writtenLog

	produced atomic.Int64
	goPeak   int64 // see IngestResult.GoPeakBytes
}

// writtenLog records, per partition, when each batch's insert returned.
type writtenLog struct {
	mu    sync.Mutex
	start time.Time
	steps map[int32][]visStep
}

func (w *writtenLog) begin(start time.Time) {
	w.mu.Lock()
	w.start, w.steps = start, map[int32][]visStep{}
	w.mu.Unlock()
}

func (w *writtenLog) record(_ string, partition int32, last int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.steps == nil {
		return
	}
	w.steps[partition] = append(w.steps[partition], visStep{upTo: last, t: time.Since(w.start)})
}

func (w *writtenLog) snapshot(p int32) []visStep {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]visStep(nil), w.steps[p]...)
}

// visStep says offsets up to upTo were first seen at t (since start).
type visStep struct {
	upTo int64
	t    time.Duration
}

func (r *run) measure(ctx context.Context, ingDone <-chan error) (res IngestResult, err error) {
	ins0 := insertStats()
	idle, goIdle := rssBytes(), goMemory()
	r.goPeak = goIdle
	resetPeak()
	cpu0, threads0, self := cpuTime(), threadCPU(), processName()
	gc0, scav0 := goRuntimeCPU()
	faults0 := pageFaults()
	if r.opts.CPUProfile != nil {
		if err := pprof.StartCPUProfile(r.opts.CPUProfile); err != nil {
			return res, fmt.Errorf("cannot start the CPU profile: %w", err)
		}
	}
	profiling := r.opts.CPUProfile != nil
	defer func() {
		if profiling {
			pprof.StopCPUProfile()
		}
	}()

	r.start = time.Now()
	r.written.begin(r.start)
	r.acks.start = r.start
	prodCtx, stopProd := context.WithCancel(ctx)
	defer stopProd()
	prodDone := make(chan error, 1)
	go func() { prodDone <- r.produce(prodCtx) }()

	end, err := r.poll(ctx, ingDone, prodDone)
	if err != nil {
		return res, err
	}
	cpu := cpuTime() - cpu0
	merges, engine := engineCPU(threads0, threadCPU(), self)
	gc, scav := goRuntimeCPU()
	faults := pageFaults() - faults0
	if profiling {
		pprof.StopCPUProfile()
		profiling = false
	}
	peak := peakRSSBytes()

	if err := r.checkCount(ctx); err != nil {
		return res, err
	}
	ins := insertStats()

	n := int64(r.opts.Events)
	res = IngestResult{
		Events:             n,
		Seconds:            end.Seconds(),
		CPUSeconds:         cpu.Seconds(),
		PeakRSSBytes:       max(peak, idle),
		RSSIdleBytes:       idle,
		GoIdleBytes:        goIdle,
		GoPeakBytes:        r.goPeak,
		Bytes:              r.acks.bytes,
		ProduceSeconds:     r.acks.last.Seconds(),
		Compression:        r.opts.Compression,
		Lines:              r.opts.Lines,
		LineBytes:          float64(r.lines.size()) / float64(len(r.lines.ends)),
		MergeCPUSeconds:    merges.Seconds(),
		EngineCPUSeconds:   engine.Seconds(),
		GCCPUSeconds:       (gc - gc0).Seconds(),
		ScavengeCPUSeconds: (scav - scav0).Seconds(),
		PageFaults:         faults,
		Inserts: InsertStats{
			Count:   ins.Count - ins0.Count,
			Rows:    ins.Rows - ins0.Rows,
			Seconds: ins.Seconds - ins0.Seconds,
			Cuts:    map[string]int64{},
		},
	}
	for reason, c := range ins.Cuts {
		if d := c - ins0.Cuts[reason]; d > 0 {
			res.Inserts.Cuts[reason] = d
		}
	}
	res.EventsPerSec = float64(n) / res.Seconds
	res.MBPerSec = float64(res.Bytes) / 1e6 / res.Seconds
	p50, p95, pmax := r.freshness()
	res.FreshnessP50Ms, res.FreshnessP95Ms, res.FreshnessMaxMs = ms(p50), ms(p95), ms(pmax)
	round(&res)
	return res, nil
}

// produce writes opts.Events log lines as fast as the client takes them.
// Records and their bytes come from reused slabs (see slab): a benchmark
// of ingest should not be a benchmark of the producer's allocations.
func (r *run) produce(ctx context.Context) error {
	var (
		pool   = newSlabPool()
		cur    = pool.get()
		ts     = make([]byte, 0, 64)
		tsMs   int64
		tsTime time.Time
		stamps int
	)
	defer func() { cur.release() }()
	promise := func(rec *kgo.Record, err error) {
		r.acks.promise(rec, err)
		releaseRecord(rec)
	}
	var timer *time.Timer
	for i := 0; i < r.opts.Events; i++ {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if r.opts.Rate > 0 {
			// Record i is due i/Rate after start; a late producer catches up.
			due := r.start.Add(time.Duration(float64(i) / float64(r.opts.Rate) * float64(time.Second)))
			if d := time.Until(due); d > time.Millisecond {
				if timer == nil {
					timer = time.NewTimer(d)
				} else {
					timer.Reset(d)
				}
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-timer.C:
				}
			}
		}
		if !cur.fits(2048) {
			cur.release()
			cur = pool.get()
		}
		arena := cur.arena
		k := len(arena)
		arena = strconv.AppendInt(arena, int64(i), 10)
		v := len(arena)
		// Lines carry the time they are produced at, formatted once per
		// millisecond and checked every few lines.
		if stamps == 0 {
			if now := time.Now(); now.UnixMilli() != tsMs || len(ts) == 0 {
				ts, tsMs, tsTime = stamp(ts, now), now.UnixMilli(), now
			}
			stamps = 16
		}
		stamps--
		arena = r.lines.appendLine(arena, i, ts)
		cur.arena = arena
		rec := cur.next()
		rec.Key = arena[k:v:v]
		rec.Value = arena[v:len(arena):len(arena)]
		// The record's timestamp is the line's; the client would otherwise
		// read the clock for every record.
		rec.Timestamp = tsTime
		r.produced.Add(1)
		r.cl.Produce(ctx, rec, promise)
	}
	return r.cl.Flush(ctx)
}

// poll watches the ingester's writes until every record is visible and
// returns the time from start to the write that completed them.
func (r *run) poll(ctx context.Context, ingDone, prodDone <-chan error) (time.Duration, error) {
	n := int64(r.opts.Events)
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	var (
		visible    int64
		lastChange = time.Now()
	)
	for {
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case err := <-ingDone:
			return 0, fmt.Errorf("the ingester stopped during the run: %v", err)
		case err := <-prodDone:
			if err != nil {
				return 0, fmt.Errorf("cannot produce the bench records: %w", err)
			}
			prodDone = nil
			if r.opts.MemProfile != nil {
				if err := pprof.Lookup("heap").WriteTo(r.opts.MemProfile, 0); err != nil {
					return 0, fmt.Errorf("cannot write the heap profile: %w", err)
				}
			}
		case <-tick.C:
		}
		if err := r.acks.failed(); err != nil {
			return 0, err
		}
		at := time.Since(r.start)
		r.goPeak = max(r.goPeak, goMemory())
		var vis int64
		for p := range r.vis {
			r.vis[p] = r.written.snapshot(int32(p))
			if steps := r.vis[p]; len(steps) > 0 {
				vis += steps[len(steps)-1].upTo + 1
			}
		}
		if vis != visible {
			visible, lastChange = vis, time.Now()
		}
		if r.opts.Progress != nil {
			r.opts.Progress(IngestProgress{Produced: r.produced.Load(), Acked: r.acks.count(), Visible: visible, Elapsed: at})
		}
		if visible == n && r.acks.count() == n {
			// The moment the last rows became queryable, not this poll's.
			var end time.Duration
			for _, steps := range r.vis {
				if len(steps) > 0 {
					end = max(end, steps[len(steps)-1].t)
				}
			}
			return max(end, r.acks.lastAck()), nil
		}
		if time.Since(lastChange) > stallAfter {
			return 0, fmt.Errorf("rows stopped arriving: %d of %d records are queryable after %s, %d acknowledged by Kafka",
				visible, n, at.Round(time.Second), r.acks.count())
		}
	}
}

// checkCount fails unless the logs table holds exactly one row per record.
func (r *run) checkCount(ctx context.Context) error {
	qr, err := r.st.Query(ctx, store.Query{SQL: "SELECT count(), uniqExact(kafka_partition, kafka_offset) FROM logs"})
	if err != nil {
		return fmt.Errorf("cannot count the logs table: %w", err)
	}
	rows, uniq := store.CellInt64(qr.Rows[0][0]), store.CellInt64(qr.Rows[0][1])
	n := int64(r.opts.Events)
	if rows == n && uniq == n {
		return nil
	}
	dead := int64(-1)
	if d, err := r.st.Query(ctx, store.Query{SQL: "SELECT count() FROM dead_letters"}); err == nil {
		dead = store.CellInt64(d.Rows[0][0])
	}
	return fmt.Errorf("count check failed: %d records produced, the logs table holds %d rows for %d distinct offsets (%d lost, %d duplicated; %d dead letters)",
		n, rows, uniq, n-uniq, rows-uniq, dead)
}

// freshness returns the 50th and 95th percentile and the maximum of
// visible-time minus ack-time over all records.
func (r *run) freshness() (p50, p95, pmax time.Duration) {
	// Each run of offsets acknowledged at one time splits at the writes that
	// made its records queryable; every piece is one freshness, weighed by
	// its records.
	type piece struct {
		d time.Duration
		n int64
	}
	var (
		all   []piece
		total int64
	)
	for p, runs := range r.acks.parts {
		steps := r.vis[p]
		si := 0
		for _, ar := range runs {
			for from := ar.from; from <= ar.upTo; {
				for si < len(steps) && steps[si].upTo < from {
					si++
				}
				if si == len(steps) {
					break // not seen; the count check reports it
				}
				to := min(ar.upTo, steps[si].upTo)
				all = append(all, piece{steps[si].t - ar.t, to - from + 1})
				total += to - from + 1
				from = to + 1
			}
		}
	}
	if total == 0 {
		return 0, 0, 0
	}
	slices.SortFunc(all, func(a, b piece) int { return cmp.Compare(a.d, b.d) })
	at := func(q float64) time.Duration {
		want, seen := int64(math.Ceil(q*float64(total))), int64(0)
		for _, pc := range all {
			if seen += pc.n; seen >= want {
				return pc.d
			}
		}
		return all[len(all)-1].d
	}
	return at(0.50), at(0.95), all[len(all)-1].d
}

// ackLog records when the broker acknowledged each record, by partition, as
// runs of consecutive offsets acknowledged at one time: the client answers
// for a produced batch's records one after another, so a run holds a batch
// or more, and a long run costs no memory per record.
type ackLog struct {
	start time.Time // the run's start, set before the first produce

	mu    sync.Mutex
	parts [][]ackRun
	// now is the time acks are stamped with, read afresh for each
	// partition's run of acks and every ackClockEvery acks: the client
	// acknowledges a produced batch's records one after another, within
	// microseconds, and reading the clock per record cost more than the
	// rest of the bookkeeping.
	now      time.Duration
	lastPart int32
	n        int64
	bytes    int64
	last     time.Duration
	err      error
}

// ackRun is offsets from through upTo of one partition, acknowledged at t
// (since the run's start).
type ackRun struct {
	from, upTo int64
	t          time.Duration
}

func newAckLog(partitions int) *ackLog {
	return &ackLog{parts: make([][]ackRun, partitions)}
}

// ackClockEvery bounds how many acks share one reading of the clock.
const ackClockEvery = 64

func (a *ackLog) promise(rec *kgo.Record, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err != nil {
		if a.err == nil {
			a.err = fmt.Errorf("the broker refused a record: %w", err)
		}
		return
	}
	if int(rec.Partition) >= len(a.parts) || rec.Offset < 0 {
		if a.err == nil {
			a.err = fmt.Errorf("a record was acknowledged at partition %d offset %d, outside the %d partitions", rec.Partition, rec.Offset, len(a.parts))
		}
		return
	}
	if rec.Partition != a.lastPart || a.n%ackClockEvery == 0 {
		a.now, a.lastPart = time.Since(a.start), rec.Partition
	}
	t := a.now
	runs := a.parts[rec.Partition]
	switch n := len(runs); {
	case n > 0 && rec.Offset <= runs[n-1].upTo:
		// The client answers for a partition's records in offset order.
		if a.err == nil {
			a.err = fmt.Errorf("partition %d offset %d was acknowledged after offset %d", rec.Partition, rec.Offset, runs[n-1].upTo)
		}
		return
	case n > 0 && runs[n-1].t == t && runs[n-1].upTo == rec.Offset-1:
		runs[n-1].upTo = rec.Offset
	default:
		runs = append(runs, ackRun{from: rec.Offset, upTo: rec.Offset, t: t})
	}
	a.parts[rec.Partition] = runs
	a.n++
	a.bytes += int64(len(rec.Value))
	a.last = max(a.last, t)
}

func (a *ackLog) lastAck() time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.last
}

func (a *ackLog) count() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.n
}

func (a *ackLog) failed() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.err
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// round keeps the JSON readable: a bench result has no meaningful digits
// past these.
func round(r *IngestResult) {
	f := func(v *float64, digits int) {
		p := math.Pow10(digits)
		*v = math.Round(*v*p) / p
	}
	f(&r.Seconds, 3)
	f(&r.EventsPerSec, 0)
	f(&r.MBPerSec, 2)
	f(&r.CPUSeconds, 2)
	f(&r.MergeCPUSeconds, 2)
	f(&r.EngineCPUSeconds, 2)
	f(&r.GCCPUSeconds, 2)
	f(&r.ScavengeCPUSeconds, 2)
	f(&r.FreshnessP50Ms, 1)
	f(&r.FreshnessP95Ms, 1)
	f(&r.FreshnessMaxMs, 1)
	f(&r.ProduceSeconds, 3)
}

// insertStats reads the ingester's insert metrics for the logs table.
func insertStats() InsertStats {
	var s InsertStats
	mfs, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		return s
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			logs := false
			for _, l := range m.GetLabel() {
				if l.GetName() == "table" && l.GetValue() == "logs" {
					logs = true
				}
			}
			if !logs {
				continue
			}
			switch mf.GetName() {
			case "logmart_ingest_insert_duration_seconds":
				s.Count += int64(m.GetHistogram().GetSampleCount())
				s.Seconds += m.GetHistogram().GetSampleSum()
			case "logmart_ingest_rows_written_total":
				s.Rows += int64(m.GetCounter().GetValue())
			}
		}
		if mf.GetName() != "logmart_ingest_batches_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "reason" {
					if s.Cuts == nil {
						s.Cuts = map[string]int64{}
					}
					s.Cuts[l.GetValue()] += int64(m.GetCounter().GetValue())
				}
			}
		}
	}
	return s
}
