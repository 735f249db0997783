package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/logmart/logmart/ingest"
	"github.com/logmart/logmart/ingest/fileload"
	"github.com/logmart/logmart/ingest/kafka"
)

func runIngest(args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintf(os.Stderr, "usage: logmart ingest file [flags] PATH...\n\nsubcommands:\n  file       send log files (or stdin) line by line through the server's Kafka\n\nrun 'logmart ingest file -h' for its flags\n")
		if len(args) == 0 {
			return usageError{fmt.Errorf("name a subcommand: logmart ingest file")}
		}
		return nil
	}
	switch args[0] {
	case "file":
		return runIngestFile(args[1:])
	default:
		return usageError{fmt.Errorf("unknown subcommand %q: the subcommands are: file", args[0])}
	}
}

func runIngestFile(args []string) error {
	fs := newFlags("ingest file")
	stream := fs.String("stream", "", "stream the lines land in (required; a-z, 0-9, '_', '.', '-')")
	format := fs.String("format", "", "how the server reads each line or record: json, logfmt, text or a named format ("+fileload.FormatList()+"); json and cloudtrail also split JSON arrays, Records envelopes and pretty-printed documents into records, and gzip input is read decompressed (required)")
	topic := fs.String("topic", fileload.DefaultTopic, "Kafka topic the server consumes")
	addr := fs.String("kafka-addr", "127.0.0.1:9092", "Kafka bootstrap address of the server")
	source := fs.String("source", "", "source column of every line (default: the file's name, or stdin)")
	maxLine := fs.Int("max-line-bytes", fileload.DefaultMaxLineBytes, "longest line sent, in bytes; longer lines are reported and not sent (lines over 1 MiB are sent and the server dead-letters them)")
	backfill := fs.Bool("backfill", false, "keep every line whatever its age, its retention counted from now; without it a line older than its stream's retention becomes a dead letter (older_than_retention)")
	wait := fs.Duration("wait", time.Minute, "how long to wait, after sending, for the server to take every line, to report what it stored and set aside; 0 does not wait")
	group := fs.String("group", "logmart-ingest", "the server's consumer group (its ingest.group), watched by --wait")
	deadTopic := fs.String("dead-letter-topic", "logs.dead", "the server's dead-letter topic (its ingest.dead_letter_topic), read by --wait")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkIngestFlags(*stream, *format, *maxLine); err != nil {
		return usageError{err}
	}
	paths := fs.Args()
	if len(paths) == 0 {
		return usageError{fmt.Errorf("name the files to send, or - for stdin: logmart ingest file --stream NAME --format json app.log")}
	}
	stdin := 0
	for _, p := range paths {
		if p == "-" {
			stdin++
			continue
		}
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("cannot read %q: %w", p, err)
		}
		if fi.IsDir() {
			return fmt.Errorf("cannot read %q: it is a folder", p)
		}
	}
	if stdin > 1 {
		return usageError{fmt.Errorf("- (stdin) can be named only once")}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cl, err := dialKafka(ctx, *addr, fileload.ProducerOpts()...)
	if err != nil {
		return err
	}
	defer cl.Close()
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	err = kafka.Ping(pctx, cl, *topic)
	cancel()
	if err != nil {
		return fmt.Errorf("cannot send to topic %q at %s (the server consumes the topics in its ingest.topics): %w", *topic, *addr, err)
	}

	opts := fileload.Options{Topic: *topic, Stream: *stream, Format: *format, MaxLineBytes: *maxLine,
		Backfill: *backfill, Run: fileload.NewRun()}
	bar := newProgressBar(os.Stderr)
	var total fileload.Progress
	start := time.Now()
	var sendErr error
	for i, p := range paths {
		opts.Source = *source
		if opts.Source == "" {
			opts.Source = "stdin"
			if p != "-" {
				opts.Source = filepath.Base(p)
			}
		}
		got, err := sendPath(ctx, cl, opts, p, bar, fmt.Sprintf("[%d/%d] %s", i+1, len(paths), displayName(p)), total)
		total = addProgress(total, got)
		if err != nil {
			sendErr = err
			break
		}
	}
	total.Elapsed = time.Since(start)
	bar.clear()
	fmt.Fprintln(os.Stderr, summary(total, len(paths), *topic, *stream, *format))
	if sendErr != nil || *wait <= 0 || total.Acked == 0 {
		return sendErr
	}
	wctx, cancel := context.WithTimeout(ctx, *wait)
	defer cancel()
	out, err := fileload.Await(wctx, cl, *topic, opts.Run, start, total.Spans, fileload.Server{Group: *group, DeadLetterTopic: *deadTopic})
	if err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, outcomeLine(total.Acked, out, *wait))
	return nil
}

// outcomeLine says what the server made of the lines sent: how many it
// stored and how many it set aside, by reason.
func outcomeLine(sent int64, out fileload.Outcome, wait time.Duration) string {
	if !out.Done {
		return fmt.Sprintf("the server has not taken every line within --wait %s (is its consumer group the --group given?): its dead letters are not counted here (see the dead_letters table)", wait)
	}
	var dead int64
	for _, n := range out.Dead {
		dead += n
	}
	s := fmt.Sprintf("the server stored %d %s", sent-dead, plural(sent-dead, "line", "lines"))
	if dead == 0 {
		return s + " and set none aside"
	}
	s += fmt.Sprintf(" and set %d aside as dead letters (%s)", dead, fileload.DeadText(out.Dead))
	if out.Dead[ingest.ReasonOlderThanRetention] > 0 {
		s += "; lines older than their stream's retention are kept only with --backfill, their retention then counted from now"
	}
	return s
}

// checkIngestFlags reports the first bad flag in one line, naming it.
func checkIngestFlags(stream, format string, maxLine int) error {
	switch {
	case format == "":
		return fmt.Errorf("--format is required: %s", fileload.FormatList())
	case !slices.Contains(fileload.Formats, format):
		return fmt.Errorf("--format %q must be %s", format, fileload.FormatList())
	case stream == "":
		return fmt.Errorf("--stream is required: the stream the lines land in")
	case maxLine < 1 || maxLine > fileload.MaxMaxLineBytes:
		return fmt.Errorf("--max-line-bytes must be between 1 and %d, got %d", fileload.MaxMaxLineBytes, maxLine)
	}
	if err := (fileload.Options{Stream: stream, Format: format}).Validate(); err != nil {
		return fmt.Errorf("--%w", err) // names the stream, the one check left
	}
	return nil
}

func displayName(p string) string {
	if p == "-" {
		return "stdin"
	}
	return p
}

// sendPath sends one file, drawing its progress on the bar. before is what
// earlier files sent, for the totals on the bar.
func sendPath(ctx context.Context, cl *kgo.Client, opts fileload.Options, path string, bar *progressBar, label string, before fileload.Progress) (fileload.Progress, error) {
	var (
		r    io.Reader = os.Stdin
		size int64     = -1
	)
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return fileload.Progress{}, fmt.Errorf("cannot read %q: %w", path, err)
		}
		defer f.Close()
		r = f
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			size = fi.Size()
		}
	}
	cr := &countingReader{r: r}
	p, err := fileload.Send(ctx, cl, opts, cr, func(p fileload.Progress) {
		bar.draw(label, cr.n.Load(), size, addProgress(before, p))
	})
	if err != nil {
		return p, fmt.Errorf("%s: %w", displayName(path), err)
	}
	return p, nil
}

func addProgress(a, b fileload.Progress) fileload.Progress {
	return fileload.Progress{
		Lines: a.Lines + b.Lines, Acked: a.Acked + b.Acked, Bytes: a.Bytes + b.Bytes,
		Empty: a.Empty + b.Empty, Large: a.Large + b.Large, Failed: a.Failed + b.Failed,
		Elapsed: a.Elapsed + b.Elapsed, Spans: append(slices.Clone(a.Spans), b.Spans...),
	}
}

func summary(p fileload.Progress, files int, topic, stream, format string) string {
	secs := max(p.Elapsed.Seconds(), 1e-3)
	var b strings.Builder
	fmt.Fprintf(&b, "sent %d %s (%s) from %d %s to topic %q as stream %q (%s) in %s, %.0f lines/s",
		p.Acked, plural(p.Acked, "line", "lines"), humanBytes(p.Bytes), files, plural(int64(files), "file", "files"),
		topic, stream, format, p.Elapsed.Round(time.Millisecond), float64(p.Acked)/secs)
	if p.Empty > 0 {
		fmt.Fprintf(&b, "; skipped %d empty %s", p.Empty, plural(p.Empty, "line", "lines"))
	}
	if p.Large > 0 {
		fmt.Fprintf(&b, "; %d %s over 1 MiB (the server dead-letters %s)", p.Large, plural(p.Large, "line", "lines"), plural(p.Large, "it", "them"))
	}
	if p.Failed > 0 {
		fmt.Fprintf(&b, "; %d %s NOT sent", p.Failed, plural(p.Failed, "line", "lines"))
	}
	return b.String()
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func humanBytes(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}

// countingReader counts the bytes read, for the progress bar's percentage.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// progressBar rewrites one line on a terminal; elsewhere it draws nothing.
type progressBar struct {
	w  *os.File
	on bool
}

func newProgressBar(w *os.File) *progressBar { return &progressBar{w: w, on: isTerminal(w)} }

func (b *progressBar) draw(label string, read, size int64, p fileload.Progress) {
	if !b.on {
		return
	}
	bar := ""
	if size > 0 {
		const width = 24
		frac := min(float64(read)/float64(size), 1)
		fill := int(frac * width)
		bar = fmt.Sprintf("[%s%s] %3.0f%% ", strings.Repeat("=", fill), strings.Repeat(" ", width-fill), frac*100)
	}
	rate := float64(p.Acked) / max(p.Elapsed.Seconds(), 1e-3)
	fmt.Fprintf(b.w, "\r\033[K%s %s%d lines  %s  %.0f lines/s", label, bar, p.Acked, humanBytes(p.Bytes), rate)
}

func (b *progressBar) clear() {
	if b.on {
		fmt.Fprint(b.w, "\r\033[K")
	}
}
