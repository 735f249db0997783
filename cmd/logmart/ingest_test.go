package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/logmart/logmart/ingest/fileload"
)

// TestIngestFileBadFlags: every mistake on the command line is one line
// naming the flag or path at fault, with exit code 2 for usage errors.
func TestIngestFileBadFlags(t *testing.T) {
	dir := t.TempDir()
	f := func(args string, want string, usage bool) {
		t.Helper()
		err := runIngest(strings.Fields(args))
		if err == nil {
			t.Fatalf("logmart ingest %s: no error, want %q", args, want)
		}
		if err.Error() != want {
			t.Fatalf("logmart ingest %s:\n got %q\nwant %q", args, err.Error(), want)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Fatalf("logmart ingest %s: error spans lines: %q", args, err)
		}
		var u usageError
		if errors.As(err, &u) != usage {
			t.Fatalf("logmart ingest %s: usage error = %v, want %v", args, !usage, usage)
		}
	}
	f("", "name a subcommand: logmart ingest file", true)
	f("files x", `unknown subcommand "files": the subcommands are: file`, true)
	f("file --stream web --format xml x.log", `--format "xml" must be `+fileload.FormatList(), true)
	f("file --stream web x.log", "--format is required: "+fileload.FormatList(), true)
	f("file --format json x.log", "--stream is required: the stream the lines land in", true)
	f("file --stream Web --format json x.log", `--stream "Web" must be 1-64 characters of a-z, 0-9, '_', '.' and '-', starting with a letter or digit`, true)
	f("file --stream web --format json --max-line-bytes 0 x.log", "--max-line-bytes must be between 1 and 67108864, got 0", true)
	f("file --stream web --format json", "name the files to send, or - for stdin: logmart ingest file --stream NAME --format json app.log", true)
	f("file --stream web --format json --nope x.log", "flag provided but not defined: -nope (see logmart ingest file -h)", true)
	missing := filepath.Join(dir, "missing.log")
	f("file --stream web --format json "+missing, `cannot read "`+missing+`": stat `+missing+`: no such file or directory`, false)
	f("file --stream web --format json "+dir, `cannot read "`+dir+`": it is a folder`, false)
	f("file --stream web --format json - -", "- (stdin) can be named only once", true)
	ok := filepath.Join(dir, "ok.log")
	if err := os.WriteFile(ok, []byte("a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f("file --stream web --format json --kafka-addr nope "+ok, `--kafka-addr: kafka.brokers[0] "nope" is not host:port: address nope: missing port in address`, true)
}

func TestBenchBadFlags(t *testing.T) {
	f := func(args string, want string) {
		t.Helper()
		err := runBench(strings.Fields(args))
		if err == nil || err.Error() != want {
			t.Fatalf("logmart bench %s: %v, want %q", args, err, want)
		}
		var u usageError
		if !errors.As(err, &u) {
			t.Fatalf("logmart bench %s: not a usage error", args)
		}
	}
	f("", "name a benchmark: logmart bench ingest|query|dashboard|trust|alerts|pipeline")
	f("frob", `unknown benchmark "frob": the benchmarks are: ingest, query, dashboard, trust, alerts, pipeline`)
	f("ingest --events 0", "--events must be at least 1, got 0")
	f("ingest --partitions 0", "--partitions must be between 1 and 1024, got 0")
	f("ingest --batch-rows -1", "--batch-rows must be between 1 and 10000000, got -1")
	f("ingest --rate -3", "--rate must be 0 (as fast as possible) or positive, got -3")
	f("ingest extra", `unexpected argument "extra"`)
}

// The line after ingest file's summary says what the server made of the
// lines: it used to say nothing, and lines past their stream's retention
// vanished unseen.
func TestIngestFileOutcomeLine(t *testing.T) {
	f := func(sent int64, out fileload.Outcome, want string) {
		t.Helper()
		if got := outcomeLine(sent, out, time.Minute); got != want {
			t.Fatalf("outcomeLine(%d, %+v):\n got %q\nwant %q", sent, out, got, want)
		}
	}
	f(10, fileload.Outcome{Done: true, Dead: map[string]int64{}}, "the server stored 10 lines and set none aside")
	f(10, fileload.Outcome{Done: true, Dead: map[string]int64{"malformed": 1}}, "the server stored 9 lines and set 1 aside as dead letters (1 malformed)")
	f(545, fileload.Outcome{Done: true, Dead: map[string]int64{"older_than_retention": 515, "malformed": 1}},
		"the server stored 29 lines and set 516 aside as dead letters (515 older_than_retention, 1 malformed); lines older than their stream's retention are kept only with --backfill, their retention then counted from now")
	f(10, fileload.Outcome{}, "the server has not taken every line within --wait 1m0s (is its consumer group the --group given?): its dead letters are not counted here (see the dead_letters table)")
}
