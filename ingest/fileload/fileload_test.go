package fileload

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/logmart/logmart/ingest"
	"github.com/logmart/logmart/ingest/kafka"
	"github.com/logmart/logmart/internal/demo"
)

// newKafka starts an embedded broker with logmart's topics and returns the
// options that reach it.
func newKafka(t *testing.T) []kgo.Opt {
	t.Helper()
	kc := kafka.Default()
	kc.Listen = "127.0.0.1:0"
	kc.DataDir = filepath.Join(t.TempDir(), "kafka")
	emb, err := kafka.StartEmbedded(kc, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emb.Close)
	opts, err := kafka.ClientOpts(emb.Config())
	if err != nil {
		t.Fatal(err)
	}
	return opts
}

func newProducer(t *testing.T, kopts []kgo.Opt, extra ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(slices.Concat(kopts, ProducerOpts(), extra)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// consume reads n records of topic from the start.
func consume(t *testing.T, kopts []kgo.Opt, topic string, n int) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(slices.Concat(kopts, []kgo.Opt{kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())})...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out []*kgo.Record
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consumed %d of %d records before the deadline", len(out), n)
		}
		fs.EachError(func(topic string, p int32, err error) { t.Fatalf("fetch %s/%d: %v", topic, p, err) })
		out = append(out, fs.Records()...)
	}
	// Nothing more should arrive.
	short, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel2()
	if extra := cl.PollFetches(short).Records(); len(extra) > 0 {
		t.Fatalf("%d records more than the %d expected", len(extra), n)
	}
	return out
}

func header(r *kgo.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// bigJSONLine is a log line of about n bytes that compresses well, as long
// lines in real logs (stack traces, dumps) do.
func bigJSONLine(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"level":"error","message":"`)
	words := []string{"at", "com.acme.Handler.serve", "(Handler.java:42)", "caused", "by", "timeout"}
	for i := 0; b.Len() < n; i++ {
		b.WriteString(words[i%len(words)])
		b.WriteByte(' ')
	}
	b.WriteString(`"}`)
	return b.Bytes()
}

// TestSendFile sends a file mixing ordinary JSON lines, CRLF endings, an
// empty line, a line over 1 MiB, invalid UTF-8 and a last line without a
// newline, then reads the topic back: every non-empty line arrives once,
// byte for byte, with the stream, format and source headers.
func TestSendFile(t *testing.T) {
	kopts := newKafka(t)
	cl := newProducer(t, kopts)

	rng := rand.New(rand.NewPCG(1, 2))
	var file bytes.Buffer
	var want [][]byte
	big := bigJSONLine(1<<20 + 300<<10)
	for i := range 3000 {
		line := demo.LogLine(rng, time.Unix(1_700_000_000, int64(i)), nil)
		switch i {
		case 10:
			file.WriteString("\n") // empty: skipped
		case 20:
			line = []byte("plain text with a CRLF ending")
		case 1500:
			line = big
		case 2000:
			line = []byte("invalid UTF-8: \xff\xfe\xc3\x28 sent as is")
		}
		want = append(want, line)
		file.Write(line)
		switch {
		case i == 2999:
			// The last line has no line ending.
		case i%7 == 0 || i == 20:
			file.WriteString("\r\n")
		default:
			file.WriteString("\n")
		}
	}
	path := filepath.Join(t.TempDir(), "app.log")
	if err := os.WriteFile(path, file.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	p, err := Send(context.Background(), cl, Options{Stream: "app-logs", Format: "json", Source: "app.log"}, f, nil)
	if err != nil {
		t.Fatal(err)
	}
	var wantBytes int64
	for _, l := range want {
		wantBytes += int64(len(l))
	}
	if p.Lines != 3000 || p.Acked != 3000 || p.Empty != 1 || p.Large != 1 || p.Failed != 0 || p.Bytes != wantBytes {
		t.Fatalf("progress = %+v, want 3000 lines acked (%d bytes), 1 empty, 1 large", p, wantBytes)
	}

	recs := consume(t, kopts, DefaultTopic, len(want))
	var got [][]byte
	for _, r := range recs {
		if s, f, src := header(r, ingest.HeaderStream), header(r, ingest.HeaderFormat), header(r, ingest.HeaderSource); s != "app-logs" || f != "json" || src != "app.log" {
			t.Fatalf("record at %d/%d has headers stream %q, format %q, source %q", r.Partition, r.Offset, s, f, src)
		}
		got = append(got, r.Value)
	}
	slices.SortFunc(got, bytes.Compare)
	slices.SortFunc(want, bytes.Compare)
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("record %d (sorted) = %.80q… (%d bytes), want %.80q… (%d bytes)", i, got[i], len(got[i]), want[i], len(want[i]))
		}
	}
}

// TestSendRefusedLine: a line over 1 MiB that does not compress below the
// broker's max.message.bytes is refused by the broker. Send reports it by
// line number and delivers every other line, including a large line after
// it.
func TestSendRefusedLine(t *testing.T) {
	kopts := newKafka(t)
	cl := newProducer(t, kopts)
	noise := make([]byte, 2<<20)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range noise {
		noise[i] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/"[rng.IntN(64)]
	}
	big := bigJSONLine(3 << 20)
	in := "first\n" + string(noise) + "\nthird\n" + string(big) + "\nfifth\n"
	p, err := Send(context.Background(), cl, Options{Stream: "x", Format: "text"}, strings.NewReader(in), nil)
	if err == nil || !strings.Contains(err.Error(), "1 of 5 lines were not sent: line 2 is 2097152 bytes, and the broker refused it as too large") {
		t.Fatalf("err = %v, want line 2 refused as too large", err)
	}
	if p.Acked != 4 || p.Failed != 1 || p.Large != 2 {
		t.Fatalf("progress = %+v, want 4 acked, 1 failed, 2 large", p)
	}
	recs := consume(t, kopts, DefaultTopic, 4)
	var sizes []int
	for _, r := range recs {
		sizes = append(sizes, len(r.Value))
	}
	slices.Sort(sizes)
	if !slices.Equal(sizes, []int{5, 5, 5, len(big)}) {
		t.Fatalf("record sizes = %v, want the four lines other than line 2", sizes)
	}
}

// TestSendTooLongLine: a line over MaxLineBytes is read through, not sent,
// and reported; the lines around it are sent.
func TestSendTooLongLine(t *testing.T) {
	kopts := newKafka(t)
	cl := newProducer(t, kopts)
	in := "one\n" + strings.Repeat("x", 5000) + "\r\nthree"
	p, err := Send(context.Background(), cl, Options{Stream: "x", Format: "text", MaxLineBytes: 1000}, strings.NewReader(in), nil)
	if err == nil || err.Error() != "1 of 3 lines were not sent: line 2 is 5000 bytes, longer than the 1000-byte limit" {
		t.Fatalf("err = %v", err)
	}
	if p.Acked != 2 || p.Failed != 1 || p.Bytes != 8 {
		t.Fatalf("progress = %+v, want 2 lines (8 bytes) acked, 1 failed", p)
	}
	consume(t, kopts, DefaultTopic, 2)
}

// TestSendUnknownTopic: a record the broker refuses for another reason than
// its size stops the send with an error naming the line and topic.
func TestSendUnknownTopic(t *testing.T) {
	kopts := newKafka(t)
	cl := newProducer(t, kopts, kgo.RecordDeliveryTimeout(2*time.Second))
	_, err := Send(context.Background(), cl, Options{Topic: "no.such.topic", Stream: "x", Format: "text"}, strings.NewReader("a\nb\n"), nil)
	if err == nil || !strings.Contains(err.Error(), `to topic "no.such.topic"`) {
		t.Fatalf("err = %v, want an error naming the topic", err)
	}
}

func TestSendRefusesClient(t *testing.T) {
	kopts := newKafka(t)
	f := func(opt kgo.Opt, want string) {
		t.Helper()
		cl := newProducer(t, kopts, opt)
		_, err := Send(context.Background(), cl, Options{Stream: "x", Format: "text"}, strings.NewReader("a\n"), nil)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("err = %v, want %q", err, want)
		}
	}
	f(kgo.DisableIdempotentWrite(), "must use idempotent writes")
	f(kgo.ConsumerGroup("g"), "must be a producer only")
}

func TestOptionsValidate(t *testing.T) {
	f := func(o Options, want string) {
		t.Helper()
		err := o.Validate()
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != want {
			t.Fatalf("Validate(%+v) = %q, want %q", o, got, want)
		}
	}
	f(Options{Stream: "web", Format: "json"}, "")
	f(Options{Stream: "web.v2_x-y", Format: "logfmt", MaxLineBytes: 100}, "")
	f(Options{Format: "json"}, "stream is required")
	f(Options{Stream: "Web", Format: "json"}, `stream "Web" must be 1-64 characters of a-z, 0-9, '_', '.' and '-', starting with a letter or digit`)
	f(Options{Stream: "-web", Format: "json"}, `stream "-web" must be 1-64 characters of a-z, 0-9, '_', '.' and '-', starting with a letter or digit`)
	f(Options{Stream: strings.Repeat("a", 65), Format: "json"}, `stream "`+strings.Repeat("a", 65)+`" must be 1-64 characters of a-z, 0-9, '_', '.' and '-', starting with a letter or digit`)
	f(Options{Stream: "web", Format: "syslog"}, "")
	f(Options{Stream: "web"}, "format is required: "+FormatList())
	f(Options{Stream: "web", Format: "xml"}, `format "xml" must be `+FormatList())
	f(Options{Stream: "web", Format: "prometheus"}, `format "prometheus" must be `+FormatList())
	f(Options{Stream: "web", Format: "json", MaxLineBytes: -1}, "max line bytes must be between 1 and 67108864, got -1")
}

// TestReadLine drives the line reader with a 16-byte buffer, so lines
// longer than the buffer take the slow path too.
func TestReadLine(t *testing.T) {
	f := func(in string, max int, want ...string) {
		t.Helper()
		s := &sender{opts: Options{MaxLineBytes: max}}
		br := bufio.NewReaderSize(strings.NewReader(in), 16)
		var got []string
		for {
			line, size, more, err := s.readLine(br)
			if !more {
				break
			}
			if line == nil && size > 0 {
				got = append(got, "<too long: "+strconv.Itoa(size)+">")
			} else {
				got = append(got, string(line))
			}
			if err != nil {
				break
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("lines of %q = %q, want %q", in, got, want)
		}
	}
	f("", 100)
	f("a", 100, "a")
	f("a\n", 100, "a")
	f("a\r\nb\n\nc", 100, "a", "b", "", "c")
	f("\r\n\r\n", 100, "", "")
	f("0123456789abcdefghij\r\nxyz", 100, "0123456789abcdefghij", "xyz")
	f(strings.Repeat("z", 40)+"\n"+strings.Repeat("y", 20)+"\r\nend\n", 30, "<too long: 40>", "yyyyyyyyyyyyyyyyyyyy", "end")
	f(strings.Repeat("z", 31)+"\r\n", 30, "<too long: 31>")
	f(strings.Repeat("z", 30)+"\r\n", 30, strings.Repeat("z", 30))
}

// TestSendProgress: progress is reported while a slow reader is read, and
// never after Send returns.
func TestSendProgress(t *testing.T) {
	kopts := newKafka(t)
	cl := newProducer(t, kopts)
	pr, pw := io.Pipe()
	go func() {
		for i := range 200 {
			if i == 100 {
				time.Sleep(600 * time.Millisecond)
			}
			fmt.Fprintf(pw, "line %d\n", i)
		}
		pw.Close()
	}()
	var (
		mu       sync.Mutex
		calls    int
		last     Progress
		returned bool
	)
	p, err := Send(context.Background(), cl, Options{Stream: "x", Format: "text"}, pr, func(p Progress) {
		mu.Lock()
		defer mu.Unlock()
		if returned {
			t.Error("progress called after Send returned")
		}
		calls++
		last = p
	})
	mu.Lock()
	returned = true
	mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if p.Acked != 200 {
		t.Fatalf("progress = %+v, want 200 acked", p)
	}
	time.Sleep(300 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if calls == 0 || last.Lines < 100 || last.Lines > 200 || last.Elapsed <= 0 {
		t.Fatalf("%d progress calls, the last %+v; want at least one, with 100-200 lines read", calls, last)
	}
}
