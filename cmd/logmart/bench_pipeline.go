package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/logmart/logmart/internal/bench"
)

func runBenchPipeline(args []string) error {
	pipelineMemoryDefaults()
	fs := newFlags("bench pipeline")
	events := fs.Int("events", 200_000, "simulated input records the throughput phase consumes (at least 1000)")
	data := fs.String("data", "", "folder for the embedded Kafka and ClickHouse, kept afterwards; must be empty (default: a temporary folder, removed)")
	partitions := fs.Int("partitions", 4, "partitions of every topic")
	latencyEvents := fs.Int("latency-events", 20_000, "records streamed after the throughput phase to time event to queryable fact")
	latencyRate := fs.Int("latency-rate", 2000, "records per second of the latency phase")
	asJSON := fs.Bool("json", false, "print the result as one JSON object")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the throughput phase to this file (read it with go tool pprof)")
	verbose := fs.Bool("v", false, "log the components' info messages to stderr")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opts := bench.PipelineOptions{
		Events: *events, Data: *data, Partitions: *partitions,
		LatencyEvents: *latencyEvents, LatencyRate: *latencyRate,
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("cannot create the CPU profile: %w", err)
		}
		defer f.Close()
		opts.CPUProfile = f
	}
	r, err := bench.Pipeline(ctx, opts, log)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(os.Stdout).Encode(r)
	}
	fmt.Printf("events                  %d in %.2f s\n", r.Events, r.Seconds)
	fmt.Printf("events_per_sec          %.0f\n", r.EventsPerSec)
	fmt.Printf("events_per_sec_per_core %.0f (%.2f CPU seconds, embedded broker included)\n", r.EventsPerSecPerCore, r.CPUSeconds)
	fmt.Printf("transactions            %d, facts %d, dead letters %d\n", r.Transactions, r.Facts, r.DeadLetters)
	fmt.Printf("latency                 p50 %.0f ms, p95 %.0f ms, max %.0f ms over %d calls (produced to queryable)\n", r.LatencyP50Ms, r.LatencyP95Ms, r.LatencyMaxMs, r.LatencyCalls)
	return nil
}
