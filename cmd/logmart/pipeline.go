package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/logmart/logmart/config"
	"github.com/logmart/logmart/ingest/kafka"
	"github.com/logmart/logmart/pipeline"
	"github.com/logmart/logmart/store"
)

func runPipeline(args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintf(os.Stderr, "usage: logmart pipeline run|test [flags]\n\n  run   run the contact-center pipeline alone, as one more replica of its consumer group\n  test  run scenario scripts (events in, fact rows out) and report each one\n\nrun 'logmart pipeline run -h' for its flags\n")
		if len(args) == 0 {
			return usageError{errors.New("name a pipeline command: logmart pipeline run|test")}
		}
		return nil
	}
	switch args[0] {
	case "run":
		return runPipelineReplica(args[1:])
	case "test":
		return testScenarios(args[1:])
	}
	return usageError{fmt.Errorf("unknown pipeline command %q: the commands are run and test", args[0])}
}

// testScenarios runs scenario scripts (pipeline/testdata/scenarios/README.md)
// the way promtool tests rules: one line per file, the differences under a
// file that fails, and exit status 1 when any does.
func testScenarios(args []string) error {
	fs := newFlags("pipeline test")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError{errors.New("name at least one scenario file (logmart pipeline test FILE.test ...)")}
	}
	failed := 0
	for _, f := range fs.Args() {
		b, err := os.ReadFile(f)
		if err == nil {
			err = pipeline.RunScenario(string(b))
		}
		if err != nil {
			failed++
			fmt.Printf("FAIL %s\n  %s\n", f, strings.ReplaceAll(err.Error(), "\n", "\n  "))
			continue
		}
		fmt.Printf("ok   %s\n", f)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d scenarios failed", failed, fs.NArg())
	}
	return nil
}

func runPipelineReplica(args []string) error {
	fs := newFlags("pipeline run")
	cfgPath := fs.String("config", "", "configuration file (default: configs/logmart.yaml when it exists, else built-in defaults)")
	brokers := fs.String("kafka-brokers", "", "comma-separated brokers of the Kafka the inputs are on (a server's embedded one, or a cluster); default kafka.brokers, else the embedded broker's address in the config")
	instance := fs.String("instance", "", "this replica's name, appended to pipeline.transactional_id so replicas fence only themselves (default: the host name)")
	noLoad := fs.Bool("no-load", false, "do not load the facts into ClickHouse (another replica or serve loads them)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	// A replica alone never starts a broker: it joins the one the inputs
	// are on.
	cfg.Kafka.Embedded = false
	if *brokers != "" {
		cfg.Kafka.Brokers = strings.Split(*brokers, ",")
	} else if len(cfg.Kafka.Brokers) == 0 {
		cfg.Kafka.Brokers = []string{cfg.Kafka.Listen}
	}
	if *noLoad {
		cfg.Pipeline.Load = false
	}
	name := *instance
	if name == "" {
		name, _ = os.Hostname()
	}
	cfg.Pipeline.TransactionalID += "-" + name
	cfg.ApplyEnv()
	cfg.Resolve()
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("invalid configuration: %w", err)
	}
	log := cfg.Logger(os.Stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	kopts, err := kafka.ClientOpts(cfg.Kafka)
	if err != nil {
		return err
	}
	var st store.Store
	if cfg.Pipeline.Load {
		if st, err = openStore(cfg, log); err != nil {
			return err
		}
		defer st.Close()
		if err := store.Migrate(ctx, st, log); err != nil {
			return err
		}
	}
	var wg sync.WaitGroup
	r := pipeline.NewRunner(cfg.Pipeline, kopts, log)
	startPipeline(ctx, &wg, r, cfg, st, kopts, log)
	log.Info("pipeline is running", "group", cfg.Pipeline.Group, "transactional_id", cfg.Pipeline.TransactionalID, "brokers", cfg.Kafka.Brokers, "load", cfg.Pipeline.Load)
	wg.Wait()
	if s := r.Status(); s.LastError != "" && ctx.Err() == nil {
		return fmt.Errorf("the pipeline stopped: %s", s.LastError)
	}
	return nil
}

// startPipeline runs r and, when cfg.Pipeline.Load and st is set, the
// fact loader, until ctx ends; wg waits for both. A failure is logged,
// never fatal to the process that hosts them (serve).
func startPipeline(ctx context.Context, wg *sync.WaitGroup, r *pipeline.Runner, cfg config.Config, st store.Store, kopts []kgo.Opt, log *slog.Logger) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := r.Run(ctx); err != nil {
			log.Error("the pipeline stopped", "err", err)
		}
	}()
	if cfg.Pipeline.Load && st != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := pipeline.NewLoader(st).Consume(ctx, cfg.Pipeline, kopts, log); err != nil {
				log.Error("the pipeline's fact loader stopped", "err", err)
			}
		}()
	}
}
