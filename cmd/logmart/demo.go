package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/logmart/logmart/internal/demo"
)

func runDemo(args []string) error {
	fs := newFlags("demo")
	addr := fs.String("kafka-addr", "127.0.0.1:9092", "Kafka bootstrap address of the server")
	duration := fs.Duration("duration", 0, "stop after this long (0: until interrupted or --events)")
	events := fs.Int("events", 0, "stop after this many records (0: until interrupted or --duration)")
	rate := fs.Int("rate", 200, "records per second (0: as fast as possible)")
	seed := fs.Int64("seed", 0, "random seed (0: from the clock)")
	contactCenter := fs.Bool("contact-center", true, "also produce a simulated contact center, in real time, into the pipeline's input topics (gca-cfg, voice-agentstate, voice-callthread)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *events < 0 || *rate < 0 || *duration < 0 {
		return usageError{fmt.Errorf("--events, --rate and --duration must not be negative")}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cl, err := dialKafka(ctx, *addr, kgo.AllowAutoTopicCreation())
	if err != nil {
		return err
	}
	defer cl.Close()
	if *seed == 0 {
		*seed = time.Now().UnixNano()
	}
	// The contact center runs as long as the log traffic does.
	ccCtx, stopCC := context.WithCancel(ctx)
	ccDone := make(chan ccResult, 1)
	if *contactCenter {
		go func() {
			n, err := demo.RunContactCenter(ccCtx, cl, demo.LiveContactCenter(), logger())
			ccDone <- ccResult{n, err}
		}()
	} else {
		ccDone <- ccResult{}
	}
	st, err := demo.Run(ctx, cl, demo.Config{Rate: *rate, Duration: *duration, Events: *events, Seed: *seed}, logger())
	stopCC()
	cc := <-ccDone
	if err != nil && ctx.Err() == nil {
		return err
	}
	if cc.err != nil {
		return cc.err
	}
	fmt.Println(demoSummary(st))
	if *contactCenter {
		fmt.Printf("sent %d contact-center records\n", cc.records)
	}
	return nil
}

type ccResult struct {
	records int64
	err     error
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
