package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/logmart/logmart/internal/bench"
)

func runBench(args []string) error {
	setMemoryDefaults()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintf(os.Stderr, "usage: logmart bench ingest|query|dashboard|trust|alerts|pipeline [flags]\n\nbenchmarks:\n  ingest     produce log lines into embedded Kafka and time them into ClickHouse\n  query      time the shipped templates through the API against the engine alone, and 50 clients opening one dashboard\n  dashboard  50 viewers opening one shipped dashboard at once, rounds after rounds: time to all panels, engine runs per load\n  trust      50 clients with tokens mixing good, failing and hostile statements: latency, wrong answers and 5xx\n  alerts     1000 monitors evaluated every minute over 10M rows: evaluation lag and CPU share; then 10,000 deliveries through the outbox\n  pipeline   simulated contact-center records through the pipeline with transactions: events per second per core, and produced-to-queryable fact latency\n\nrun 'logmart bench <name> -h' for its flags\n")
		if len(args) == 0 {
			return usageError{fmt.Errorf("name a benchmark: logmart bench ingest|query|dashboard|trust|alerts|pipeline")}
		}
		return nil
	}
	switch args[0] {
	case "ingest":
		return runBenchIngest(args[1:])
	case "query":
		return runBenchQuery(args[1:])
	case "dashboard":
		return runBenchDashboard(args[1:])
	case "trust":
		return runBenchTrust(args[1:])
	case "alerts":
		return runBenchAlerts(args[1:])
	case "pipeline":
		return runBenchPipeline(args[1:])
	default:
		return usageError{fmt.Errorf("unknown benchmark %q: the benchmarks are: ingest, query, dashboard, trust, alerts, pipeline", args[0])}
	}
}

func runBenchIngest(args []string) error {
	fs := newFlags("bench ingest")
	events := fs.Int("events", 1_000_000, "log lines to produce")
	lines := fs.String("lines", "compact", "the log lines' shape: compact (about 245 bytes: timestamp, level, service, host, region, message, trace_id) or rich (about 310 bytes: also a nested http object and a user)")
	asJSON := fs.Bool("json", false, "print the result as one JSON object instead of a table")
	data := fs.String("data", "", "folder for the embedded Kafka and ClickHouse data, kept afterwards; must be empty or absent (default: a temporary folder, removed afterwards)")
	partitions := fs.Int("partitions", 4, "partitions of the logs topic")
	batchRows := fs.Int("batch-rows", 100_000, "ingest batch size in rows (ingest.batch.rows)")
	rate := fs.Int("rate", 0, "records per second (0: as fast as possible, measuring throughput; a rate the pipeline keeps up with measures freshness at that load)")
	inserts := fs.Int("max-concurrent-inserts", 0, "inserts running at once across partitions (ingest.max_concurrent_inserts; 0: one per core)")
	compression := fs.String("compression", "snappy", "the producer's batch compression: snappy, lz4, zstd, gzip or none")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the measured phase to this file (read it with go tool pprof)")
	memProfile := fs.String("memprofile", "", "write a heap profile to this file when the last record is acknowledged, the moment of largest backlog (go tool pprof; -sample_index=alloc_space shows what the run allocated)")
	verbose := fs.Bool("v", false, "log the components' info messages to stderr")
	nBudgets := fs.Int("budgets", 0, "count every line against this many overlapping keep budgets, as serve does with configs/budgets (default 0: none)")
	withArchive := fs.Bool("archive", false, "also archive every record to the folder archive under --data, as serve does by default (ingest.archive; default false: ClickHouse only)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	if *events < 1 {
		return usageError{fmt.Errorf("--events must be at least 1, got %d", *events)}
	}
	if *partitions < 1 || *partitions > 1024 {
		return usageError{fmt.Errorf("--partitions must be between 1 and 1024, got %d", *partitions)}
	}
	if *rate < 0 {
		return usageError{fmt.Errorf("--rate must be 0 (as fast as possible) or positive, got %d", *rate)}
	}
	if *inserts < 0 || *inserts > 1024 {
		return usageError{fmt.Errorf("--max-concurrent-inserts must be between 0 (one per core) and 1024, got %d", *inserts)}
	}
	if *batchRows < 1 || *batchRows > 10_000_000 {
		return usageError{fmt.Errorf("--batch-rows must be between 1 and 10000000, got %d", *batchRows)}
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	opts := bench.IngestOptions{Events: *events, Data: *data, Partitions: *partitions, BatchRows: *batchRows, Rate: *rate, Compression: *compression, Lines: *lines, MaxConcurrentInserts: *inserts, Archive: *withArchive, Budgets: *nBudgets}
	for _, p := range []struct {
		path string
		to   *io.Writer
	}{{*cpuProfile, &opts.CPUProfile}, {*memProfile, &opts.MemProfile}} {
		if p.path == "" {
			continue
		}
		f, err := os.Create(p.path)
		if err != nil {
			return fmt.Errorf("cannot create %q: %w", p.path, err)
		}
		defer f.Close()
		*p.to = f
	}
	if isTerminal(os.Stderr) {
		opts.Progress = func(p bench.IngestProgress) {
			fmt.Fprintf(os.Stderr, "\r%6.1fs  produced %d  acked %d  queryable %d of %d ",
				p.Elapsed.Seconds(), p.Produced, p.Acked, p.Visible, *events)
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := bench.Ingest(ctx, opts, log)
	if opts.Progress != nil {
		fmt.Fprint(os.Stderr, "\r\033[K")
	}
	if err != nil {
		return err
	}
	if *asJSON {
		b, err := json.Marshal(res)
		if err != nil {
			return err
		}
		fmt.Println(string(b))
		return nil
	}
	printIngestResult(res, *partitions, *batchRows, *rate)
	return nil
}

func printIngestResult(r bench.IngestResult, partitions, batchRows, rate int) {
	mib := func(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }
	row := func(name, format string, a ...any) { fmt.Printf("%-18s %s\n", name, fmt.Sprintf(format, a...)) }
	pace := "as fast as possible"
	if rate > 0 {
		pace = fmt.Sprintf("at %d/s", rate)
	}
	row("events", "%d %s lines of %.0f bytes on average, produced %s (%d partitions, batches of up to %d rows, %s compression)",
		r.Events, r.Lines, r.LineBytes, pace, partitions, batchRows, r.Compression)
	row("seconds", "%.3f (last ack after %.3f)", r.Seconds, r.ProduceSeconds)
	row("events/s", "%.0f", r.EventsPerSec)
	row("MB/s", "%.2f (%.1f MB of record values)", r.MBPerSec, float64(r.Bytes)/1e6)
	row("cpu seconds", "%.2f (%.2f cores busy on average)", r.CPUSeconds, r.CPUSeconds/r.Seconds)
	row("  of which", "%.2f in engine merges, %.2f in other engine threads, %.2f on Go's threads",
		r.MergeCPUSeconds, r.EngineCPUSeconds, r.CPUSeconds-r.MergeCPUSeconds-r.EngineCPUSeconds)
	row("  go runtime", "%.2f in garbage collection, %.2f returning memory to the OS (the runtime's estimates)", r.GCCPUSeconds, r.ScavengeCPUSeconds)
	row("page faults", "%d (%.0f MiB of pages mapped on first touch)", r.PageFaults, float64(r.PageFaults)*4096/(1<<20))
	row("rss idle", "%s", mib(r.RSSIdleBytes))
	row("rss peak", "%s (ingest added %s)", mib(r.PeakRSSBytes), mib(r.PeakRSSBytes-r.RSSIdleBytes))
	row("  of which", "Go's runtime %s idle, %s at most (sampled); the rest is the engine's", mib(r.GoIdleBytes), mib(r.GoPeakBytes))
	row("freshness p50", "%.1f ms", r.FreshnessP50Ms)
	row("freshness p95", "%.1f ms (max %.1f ms)", r.FreshnessP95Ms, r.FreshnessMaxMs)
	if in := r.Inserts; in.Count > 0 {
		row("inserts", "%d into logs, %.0f rows and %.0f ms each on average", in.Count,
			float64(in.Rows)/float64(in.Count), in.Seconds*1000/float64(in.Count))
		var cuts []string
		for _, reason := range []string{"rows", "bytes", "interval", "idle", "recorded", "stop"} {
			if c := in.Cuts[reason]; c > 0 {
				cuts = append(cuts, fmt.Sprintf("%s %d", reason, c))
			}
		}
		row("  batches cut by", "%s", strings.Join(cuts, ", "))
	}
	if r.ArchiveBytes > 0 {
		row("archive", "%.1f bytes a line (%s of zstd NDJSON objects)", float64(r.ArchiveBytes)/float64(r.Events), mib(r.ArchiveBytes))
	}
	if r.TableBytes > 0 {
		row("clickhouse", "%.1f bytes a line (%s of logs parts on disk at the end)", float64(r.TableBytes)/float64(r.Events), mib(r.TableBytes))
	}
	row("count check", "ok: %d rows, one per record", r.Events)
}

// isTerminal reports whether f is a terminal, for progress lines that
// rewrite themselves.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
