// Package fileload sends log files into logmart through Kafka, the path
// every other record takes: each line becomes one record on the server's
// topic, with headers that name its stream and format, and the ingester
// decodes, routes, dead-letters and stores it like any other record. It is
// the engine of `logmart ingest file`.
package fileload

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/logmart/logmart/ingest"
)

const (
	// DefaultTopic is the topic lines go to unless Options.Topic says
	// otherwise: the server's logs topic.
	DefaultTopic = "logs"
	// DefaultMaxLineBytes is the longest line sent unless
	// Options.MaxLineBytes says otherwise.
	DefaultMaxLineBytes = 16 << 20
	// MaxMaxLineBytes bounds Options.MaxLineBytes: a Kafka produce request
	// is at most 100 MiB (socket.request.max.bytes).
	MaxMaxLineBytes = 64 << 20
	// serverMaxRecordBytes is the ingester's default max_record_bytes:
	// longer lines are still sent, and the server dead-letters them.
	serverMaxRecordBytes = 1 << 20
	// progressEvery is how often the progress callback is called.
	progressEvery = 200 * time.Millisecond
	// slabBytes is the size of the buffers line copies are carved from.
	slabBytes = 1 << 20
)

// Formats are the formats the ingester decodes log lines and records in,
// as the format header and the --format flag spell them.
var Formats = ingest.LogFormats

// streamNameRe is the ingester's rule for stream names; a record whose
// stream header breaks it is dead-lettered.
var streamNameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)

// FormatList is Formats for a message: "json, logfmt, … or zookeeper".
func FormatList() string {
	return strings.Join(Formats[:len(Formats)-1], ", ") + " or " + Formats[len(Formats)-1]
}

// Options says where lines go and how the server reads them.
type Options struct {
	// Topic is the Kafka topic the ingester consumes. Default "logs".
	Topic string
	// Stream is the stream every line lands in, sent as the logmart-stream
	// header; it overrides the server's routing rules. Required: 1-64
	// characters of a-z, 0-9, '_', '.', '-', starting with a letter or digit.
	Stream string
	// Format is how the server decodes each line or record: json, logfmt,
	// text or a named format (ingest.LogFormats), sent as the logmart-format
	// header. With json and cloudtrail, JSON arrays, Records envelopes and
	// pretty-printed documents are split into one record per element
	// (documents.go). Required.
	Format string
	// Source, when not empty, is sent as the logmart-source header and fills
	// the source column (typically the file name). Default: none, and the
	// server uses the topic name.
	Source string
	// MaxLineBytes is the longest line sent, in bytes. A longer line is read
	// through but not sent: it is counted in Progress.Failed and Send
	// returns an error naming it after sending everything else. Lines over
	// 1 MiB and up to this are sent; the server dead-letters them. Default
	// 16 MiB, at most 64 MiB.
	MaxLineBytes int
	// Backfill sends the logmart-backfill header: the server keeps every
	// line whatever its age, its retention counted from ingest instead of
	// from the line's own time. Without it, a line older than its stream's
	// retention is set aside as a dead letter (older_than_retention).
	// Default false.
	Backfill bool
	// Run, when not empty, is sent as the logmart-run header, so the dead
	// letters of these lines can be told apart from others' (Await).
	Run string
}

// Validate reports the first option a caller must fix.
func (o Options) Validate() error {
	if o.Stream == "" {
		return errors.New("stream is required")
	}
	if !streamNameRe.MatchString(o.Stream) {
		return fmt.Errorf("stream %q must be 1-64 characters of a-z, 0-9, '_', '.' and '-', starting with a letter or digit", o.Stream)
	}
	if o.Format == "" {
		return fmt.Errorf("format is required: %s", FormatList())
	}
	if !slices.Contains(Formats, o.Format) {
		return fmt.Errorf("format %q must be %s", o.Format, FormatList())
	}
	if o.MaxLineBytes < 0 || o.MaxLineBytes > MaxMaxLineBytes {
		return fmt.Errorf("max line bytes must be between 1 and %d, got %d", MaxMaxLineBytes, o.MaxLineBytes)
	}
	return nil
}

// Progress counts one Send's lines. Send returns it, and reports it while
// running.
type Progress struct {
	// Lines is the lines read, empty lines excluded, or the records of
	// JSON documents (documents.go).
	Lines int64
	// Acked is the lines Kafka acknowledged; Bytes their bytes, line endings
	// excluded.
	Acked, Bytes int64
	// Empty is the empty lines skipped.
	Empty int64
	// Large is the lines over 1 MiB sent, which the server dead-letters.
	Large int64
	// Failed is the lines not delivered: longer than Options.MaxLineBytes,
	// or refused by the broker as too large.
	Failed int64
	// Elapsed is the time since Send started.
	Elapsed time.Duration
	// Spans are the offsets the acknowledged lines took, per partition;
	// set when Send returns.
	Spans []Span
}

// Span is the offsets from First to Last that lines took in one
// partition of the topic (other producers' records may lie between).
type Span struct {
	Partition   int32
	First, Last int64
}

// ProducerOpts are the franz-go options a client passed to Send should be
// created with, after the connection options: they bound the memory held by
// records waiting for acknowledgement to 64 MiB.
func ProducerOpts() []kgo.Opt {
	return []kgo.Opt{kgo.MaxBufferedBytes(64 << 20)}
}

// Send reads r line by line (JSON documents element by element, gzip input
// decompressed: see documents.go) and produces every non-empty line as one
// record to opts.Topic through cl, then waits until Kafka acknowledged them
// all.
// Lines end with "\n" or "\r\n"; the ending is not sent. Bytes are sent as
// they are, invalid UTF-8 included: the server decides what it cannot read
// and dead-letters it.
//
// cl must be a producer-only client with idempotent writes (franz-go's
// default), so a retried produce never writes a line twice. Lines too large
// for one of its batches (ProducerBatchMaxBytes, 1 MB by default) are sent
// one at a time, zstd-compressed, by a second client made from cl's options;
// the broker accepts those whose compressed size is within its
// max.message.bytes, and refuses the others, which Send counts in
// Progress.Failed.
//
// progress, when not nil, is called about every 200 ms from another
// goroutine, never concurrently with itself, and not after Send returns.
//
// The first read error or record the broker refuses for any other reason
// than its size stops Send; the error names the line. When ctx ends, Send
// stops reading and returns ctx's error; records already handed to cl may
// or may not have been delivered.
func Send(ctx context.Context, cl *kgo.Client, opts Options, r io.Reader, progress func(Progress)) (Progress, error) {
	if err := opts.Validate(); err != nil {
		return Progress{}, err
	}
	if opts.Topic == "" {
		opts.Topic = DefaultTopic
	}
	if opts.MaxLineBytes == 0 {
		opts.MaxLineBytes = DefaultMaxLineBytes
	}
	if v, _ := cl.OptValue(kgo.DisableIdempotentWrite).(bool); v {
		return Progress{}, errors.New("the Kafka client must use idempotent writes: a retried produce could otherwise write a line twice")
	}
	if g, _ := cl.OptValue(kgo.ConsumerGroup).(string); g != "" {
		return Progress{}, errors.New("the Kafka client must be a producer only, not a member of a consumer group")
	}

	s := &sender{
		cl:       cl,
		opts:     opts,
		start:    time.Now(),
		batchMax: batchMax(cl, opts.Topic),
	}
	s.headers = []kgo.RecordHeader{
		{Key: ingest.HeaderStream, Value: []byte(opts.Stream)},
		{Key: ingest.HeaderFormat, Value: []byte(opts.Format)},
	}
	if opts.Source != "" {
		s.headers = append(s.headers, kgo.RecordHeader{Key: ingest.HeaderSource, Value: []byte(opts.Source)})
	}
	if opts.Backfill {
		s.headers = append(s.headers, kgo.RecordHeader{Key: ingest.HeaderBackfill, Value: []byte("true")})
	}
	if opts.Run != "" {
		s.headers = append(s.headers, kgo.RecordHeader{Key: HeaderRun, Value: []byte(opts.Run)})
	}
	ctx, s.cancel = context.WithCancel(ctx)
	defer s.cancel()
	defer s.closeBig()

	stopProgress := func() {}
	if progress != nil {
		done, stopped := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(stopped)
			t := time.NewTicker(progressEvery)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
					progress(s.progress())
				}
			}
		}()
		stopProgress = func() { close(done); <-stopped }
	}

	readErr := s.readInput(ctx, r)
	flushErr := cl.Flush(ctx)
	stopProgress()
	p := s.progress()
	p.Spans = s.spanList()

	if err := s.firstErr(); err != nil {
		return p, err
	}
	if readErr != nil {
		return p, readErr
	}
	if flushErr != nil {
		return p, fmt.Errorf("cannot wait for Kafka's acknowledgements: %w", flushErr)
	}
	if p.Failed > 0 {
		return p, fmt.Errorf("%d of %d lines were not sent: %s", p.Failed, p.Lines, s.failures())
	}
	return p, nil
}

// batchMax is the largest record value cl batches, with room for the record
// and batch overhead: lines above it go through the large-record client.
func batchMax(cl *kgo.Client, topic string) int {
	max := 1_000_012
	if fn, ok := cl.OptValue(kgo.ProducerBatchMaxBytesFn).(func(string) int32); ok && fn != nil {
		max = int(fn(topic))
	}
	return max - 16<<10
}

type sender struct {
	cl       *kgo.Client
	opts     Options
	start    time.Time
	batchMax int
	headers  []kgo.RecordHeader
	cancel   context.CancelFunc

	lines, acked, bytes, empty, large, failed atomic.Int64

	smu   sync.Mutex
	spans map[int32]*Span // offsets of acknowledged lines, by partition

	mu      sync.Mutex
	err     error    // first fatal error
	notSent []string // the first few undelivered lines, for the error
	big     *kgo.Client
	slab    []byte
	buf     []byte
}

func (s *sender) progress() Progress {
	return Progress{
		Lines:   s.lines.Load(),
		Acked:   s.acked.Load(),
		Bytes:   s.bytes.Load(),
		Empty:   s.empty.Load(),
		Large:   s.large.Load(),
		Failed:  s.failed.Load(),
		Elapsed: time.Since(s.start),
	}
}

func (s *sender) fail(err error) {
	s.mu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.mu.Unlock()
	s.cancel()
}

func (s *sender) firstErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *sender) undelivered(line int64, why string) {
	s.failed.Add(1)
	s.mu.Lock()
	if len(s.notSent) < 5 {
		s.notSent = append(s.notSent, fmt.Sprintf("line %d %s", line, why))
	}
	s.mu.Unlock()
}

func (s *sender) failureText() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.notSent, "; ")
}

// failures lists the first undelivered lines for Send's error.
func (s *sender) failures() string {
	t := s.failureText()
	if n := s.failed.Load(); n > 5 {
		t += fmt.Sprintf("; and %d more", n-5)
	}
	return t
}

// readAll sends every line of r.
func (s *sender) readAll(ctx context.Context, r io.Reader) error {
	br := bufio.NewReaderSize(r, 256<<10)
	var lineNo int64
	for {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		line, size, more, err := s.readLine(br)
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("cannot read line %d: %w", lineNo+1, err)
		}
		if !more {
			return nil
		}
		lineNo++
		if size == 0 {
			s.empty.Add(1)
		} else {
			s.sendRecord(ctx, lineNo, line, size)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
	}
}

// readLine returns the next line without its ending, valid until the next
// call, and its size. A line longer than MaxLineBytes is read through and
// only its size returned. more is false at the end of input.
func (s *sender) readLine(br *bufio.Reader) (line []byte, size int, more bool, err error) {
	frag, err := br.ReadSlice('\n')
	if err == nil || (errors.Is(err, io.EOF) && len(frag) > 0) {
		// The common case: the whole line sits in the reader's buffer.
		line = trimEnding(frag)
		return line, len(line), true, err
	}
	if !errors.Is(err, bufio.ErrBufferFull) {
		return nil, 0, len(frag) > 0, err
	}
	limit := s.opts.MaxLineBytes + 2 // room for "\r\n"
	if cap(s.buf) > 4<<20 {
		s.buf = nil // do not keep a huge buffer for one long line
	}
	s.buf = append(s.buf[:0], frag...)
	total := len(frag)
	var tail [2]byte // the line's last two bytes, to leave its ending out
	keepTail := func(frag []byte) {
		for _, c := range frag[max(0, len(frag)-2):] {
			tail[0], tail[1] = tail[1], c
		}
	}
	keepTail(frag)
	for errors.Is(err, bufio.ErrBufferFull) {
		frag, err = br.ReadSlice('\n')
		total += len(frag)
		keepTail(frag)
		if len(s.buf)+len(frag) <= limit {
			s.buf = append(s.buf, frag...)
		}
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, 0, true, err
	}
	if total > limit {
		// Too long: only the size matters, without the ending, as
		// trimEnding would cut it.
		if tail[1] == '\n' {
			total--
			if tail[0] == '\r' {
				total--
			}
		}
		return nil, total, true, err
	}
	line = trimEnding(s.buf)
	return line, len(line), true, err
}

func trimEnding(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
	}
	return b
}

// copyLine copies line out of the reader's buffer, carving small lines from
// a shared slab.
func (s *sender) copyLine(line []byte) []byte {
	if len(line) > slabBytes/16 {
		return append([]byte(nil), line...)
	}
	if cap(s.slab)-len(s.slab) < len(line) {
		s.slab = make([]byte, 0, slabBytes)
	}
	i := len(s.slab)
	s.slab = append(s.slab, line...)
	return s.slab[i:len(s.slab):len(s.slab)]
}

func (s *sender) record(line []byte) *kgo.Record {
	return &kgo.Record{Topic: s.opts.Topic, Value: s.copyLine(line), Headers: s.headers}
}

// send produces one line asynchronously.
func (s *sender) send(ctx context.Context, lineNo int64, line []byte) {
	s.cl.Produce(ctx, s.record(line), func(r *kgo.Record, err error) {
		if err != nil {
			if errors.Is(err, context.Canceled) && ctx.Err() != nil {
				return // the stop's cause is reported already
			}
			s.fail(fmt.Errorf("cannot send line %d to topic %q: %w", lineNo, s.opts.Topic, err))
			return
		}
		s.acked.Add(1)
		s.bytes.Add(int64(len(r.Value)))
		s.took(r.Partition, r.Offset)
	})
}

// sendBig produces one line too large for cl's batches through the
// large-record client, and waits for it. A line the broker refuses as too
// large is counted; anything else stops the send.
func (s *sender) sendBig(ctx context.Context, lineNo int64, line []byte) {
	big, err := s.bigClient()
	if err != nil {
		s.fail(err)
		return
	}
	rec := s.record(line)
	res := big.ProduceSync(ctx, rec)
	if err := res.FirstErr(); err != nil {
		if errors.Is(err, kerr.MessageTooLarge) {
			s.undelivered(lineNo, fmt.Sprintf("is %d bytes, and the broker refused it as too large even compressed (raise the topic's max.message.bytes)", len(line)))
			return
		}
		s.fail(fmt.Errorf("cannot send line %d (%d bytes) to topic %q: %w", lineNo, len(line), s.opts.Topic, err))
		return
	}
	s.acked.Add(1)
	s.bytes.Add(int64(len(line)))
	s.took(res[0].Record.Partition, res[0].Record.Offset)
}

func (s *sender) bigClient() (*kgo.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.big != nil {
		return s.big, nil
	}
	opts := append(append([]kgo.Opt{}, s.cl.Opts()...),
		kgo.ProducerBatchMaxBytes(int32(s.opts.MaxLineBytes+64<<10)),
		kgo.ProducerBatchCompression(kgo.ZstdCompression()),
		kgo.MaxBufferedBytes(0),
	)
	big, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("cannot create the Kafka client for large lines: %w", err)
	}
	s.big = big
	return big, nil
}

func (s *sender) closeBig() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.big != nil {
		s.big.Close()
		s.big = nil
	}
}
