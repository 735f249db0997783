// Command logmart is the log, event and metrics analytics server and its
// command-line client. main only parses flags and wires the packages.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime/debug"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/logmart/logmart/ingest/kafka"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

type command struct {
	name  string
	usage string
	run   func(args []string) error
}

var commands = []command{
	{"serve", "run the server (embedded Kafka and ClickHouse by default)", runServe},
	{"demo", "produce realistic demo traffic into a server's Kafka", runDemo},
	{"sql", "run a read-only SQL statement on a server", runSQL},
	{"links", "create and show shared links (pinned template runs)", runLinks},
	{"templates", "lint query templates (templates lint) as the server checks them at start", runTemplates},
	{"dashboards", "lint dashboards (dashboards lint) against the templates and the engine", runDashboards},
	{"monitors", "lint monitors (monitors lint) against the templates, dashboards and channels", runMonitors},
	{"alerts", "the noisiest monitors (alerts noise)", runAlerts},
	{"budgets", "lint budgets, and backtest the forecast on a usage series (budgets lint|backtest)", runBudgets},
	{"notify", "send a test event to a notification channel (notify test)", runNotify},
	{"ingest", "send log files (or stdin) through a server's Kafka", runIngest},
	{"archive", "list the raw-record archive (archive ls)", runArchive},
	{"pipeline", "run the contact-center pipeline alone (pipeline run), or test scenario scripts (pipeline test)", runPipeline},
	{"bench", "measure logmart end to end (bench ingest)", runBench},
	{"version", "print the version", func([]string) error { fmt.Println("logmart", version); return nil }},
}

func usage() {
	fmt.Fprintf(os.Stderr, "usage: logmart <command> [flags]\n\ncommands:\n")
	for _, c := range commands {
		fmt.Fprintf(os.Stderr, "  %-10s %s\n", c.name, c.usage)
	}
	fmt.Fprintf(os.Stderr, "\nrun 'logmart <command> -h' for a command's flags\n")
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	name := os.Args[1]
	if name == "-h" || name == "--help" || name == "help" {
		usage()
		return
	}
	for _, c := range commands {
		if c.name == name {
			if err := c.run(os.Args[2:]); err != nil {
				if errors.Is(err, flag.ErrHelp) {
					return
				}
				fmt.Fprintf(os.Stderr, "logmart %s: %v\n", name, err)
				os.Exit(exitCode(err))
			}
			return
		}
	}
	fmt.Fprintf(os.Stderr, "logmart: unknown command %q\n\n", name)
	usage()
	os.Exit(2)
}

// usageError is a bad flag or argument: exit code 2.
type usageError struct{ error }

func exitCode(err error) int {
	var u usageError
	if errors.As(err, &u) {
		return 2
	}
	return 1
}

// newFlags returns a flag set that reports errors instead of exiting, so
// every failure is one line on stderr.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("logmart "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported once, by main
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(os.Stderr)
			fmt.Fprintf(os.Stderr, "usage of %s:\n", fs.Name())
			fs.PrintDefaults()
			return err
		}
		return usageError{fmt.Errorf("%w (see %s -h)", err, fs.Name())}
	}
	return nil
}

// defaultGoMemLimit is the Go heap's soft limit when GOMEMLIMIT is unset:
// ingest batches and read-ahead are the heap's bulk, and the garbage
// collector works harder near the limit instead of growing past it. The
// embedded engine's memory is outside it.
const defaultGoMemLimit = 640 << 20

// defaultGoGC is the garbage collector's target when GOGC is unset: the heap
// may grow to 1.5 times what is live rather than twice. Ingest batches hold
// no pointers, so a collection costs little; at 200k lines/s this kept 75
// MiB less resident at the same CPU.
const defaultGoGC = 50

// pipelineMemoryDefaults undoes setMemoryDefaults for the pipeline's
// benchmark, which measures a replica as `logmart pipeline run` runs it:
// with the Go runtime's own defaults. Its state is pointers (events,
// entities, maps), which each collection scans; at GOGC 50 `bench
// pipeline` did about 20% fewer events per CPU second than at 100.
func pipelineMemoryDefaults() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(100)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(math.MaxInt64)
	}
}

// setMemoryDefaults applies defaultGoMemLimit and defaultGoGC where the
// environment does not say otherwise.
func setMemoryDefaults() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGoGC)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultGoMemLimit)
	}
}

// dialKafka connects a CLI command to a server's Kafka at addr and checks
// that it answers, so a stopped server is one clear line.
func dialKafka(ctx context.Context, addr string, extra ...kgo.Opt) (*kgo.Client, error) {
	kc := kafka.Default()
	kc.Embedded = false
	kc.Brokers = []string{addr}
	opts, err := kafka.ClientOpts(kc)
	if err != nil {
		return nil, usageError{fmt.Errorf("--kafka-addr: %w", err)}
	}
	cl, err := kgo.NewClient(append(opts, extra...)...)
	if err != nil {
		return nil, fmt.Errorf("cannot create the Kafka client: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := kafka.Ping(pctx, cl); err != nil {
		cl.Close()
		return nil, fmt.Errorf("cannot reach Kafka at %s (is `logmart serve` running?): %w", addr, err)
	}
	return cl, nil
}
