package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/logmart/logmart/internal/demo"
)

func runDemo(args []string) error {
	fs := newFlags("demo")
	addr := fs.String("kafka-addr", "127.0.0.1:9092", "Kafka bootstrap address of the server")
	duration := fs.Duration("duration", 0, "stop after this long (0: until interrupted or --events)")
	events := fs.Int("events", 0, "stop after this many records (0: until interrupted or --duration)")
	rate := fs.Int("rate", 200, "records per second (0: as fast as possible)")
	seed := fs.Int64("seed", 0, "random seed (0: from the clock)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *events < 0 || *rate < 0 || *duration < 0 {
		return usageError{fmt.Errorf("--events, --rate and --duration must not be negative")}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cl, err := dialKafka(ctx, *addr)
	if err != nil {
		return err
	}
	defer cl.Close()
	if *seed == 0 {
		*seed = time.Now().UnixNano()
	}
	st, err := demo.Run(ctx, cl, demo.Config{Rate: *rate, Duration: *duration, Events: *events, Seed: *seed}, logger())
	if err != nil && ctx.Err() == nil {
		return err
	}
	fmt.Println(demoSummary(st))
	return nil
}

// demoSummary is the line demo ends with: what the broker acknowledged,
// by topic, its size, and the rate it was sent at.
func demoSummary(st demo.Stats) string {
	rate := ""
	if secs := st.Elapsed.Seconds(); secs > 0 {
		rate = fmt.Sprintf(" (%.0f records/s)", float64(st.Records())/secs)
	}
	return fmt.Sprintf("sent %d records: %d logs, %d events, %d metrics; %s in %s%s",
		st.Records(), st.Logs, st.Events, st.Metrics, humanBytes(st.Bytes), st.Elapsed.Round(time.Millisecond), rate)
}
