package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/logmart/logmart/ingest/kafka"
)

// startKafka starts logmart's embedded broker on a free loopback port.
func startKafka(t *testing.T) kafka.Config {
	t.Helper()
	cfg := kafka.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	e, err := kafka.StartEmbedded(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e.Config()
}

func client(t *testing.T, cfg kafka.Config, extra ...kgo.Opt) *kgo.Client {
	t.Helper()
	opts, err := kafka.ClientOpts(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(append(opts, extra...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func testLog() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return nil
}

// consumeAll reads the three demo topics from the start until want records
// arrived.
func consumeAll(t *testing.T, cfg kafka.Config, want int64) []*kgo.Record {
	t.Helper()
	cl := client(t, cfg, kgo.ConsumeTopics("logs", "events", "metrics"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var recs []*kgo.Record
	for int64(len(recs)) < want {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consumed %d of %d records before timing out", len(recs), want)
		}
		fs.EachError(func(topic string, p int32, err error) { t.Fatalf("cannot consume %q[%d]: %v", topic, p, err) })
		recs = append(recs, fs.Records()...)
	}
	extra, cancelExtra := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancelExtra()
	recs = append(recs, cl.PollFetches(extra).Records()...)
	if int64(len(recs)) != want {
		t.Fatalf("the topics hold %d records, want %d", len(recs), want)
	}
	return recs
}

func TestRun(t *testing.T) {
	kcfg := startKafka(t)
	cfg := Config{Events: 2000, Seed: 3, Start: testStart} // Rate 0: as fast as possible
	st, err := Run(context.Background(), client(t, kcfg), cfg, testLog())
	if err != nil {
		t.Fatal(err)
	}
	if st.Records() != 2000 || st.Logs == 0 || st.Events == 0 || st.Metrics == 0 || st.Bytes == 0 {
		t.Fatalf("stats %+v, want 2000 records over three topics", st)
	}
	t.Logf("stats %+v", st)

	// What reached Kafka is what the Generator makes for the same Config,
	// record for record within each key's partition.
	g := NewGenerator(cfg)
	want := map[string][]Record{}
	for range 2000 {
		r := g.Next()
		want[r.Topic+"/"+r.Key] = append(want[r.Topic+"/"+r.Key], r)
	}
	got := map[string]int{}
	levels, services := map[string]bool{}, map[string]bool{}
	var logs, events, metrics int64
	for _, r := range consumeAll(t, kcfg, 2000) {
		k := r.Topic + "/" + string(r.Key)
		i := got[k]
		got[k]++
		if i >= len(want[k]) || string(want[k][i].Value) != string(r.Value) || !want[k][i].Timestamp.Equal(r.Timestamp) {
			t.Fatalf("record %d of %s differs from the generator's:\n%s", i, k, r.Value)
		}
		if len(r.Headers) != 1 || r.Headers[0].Key != "content-type" || string(r.Headers[0].Value) != want[k][i].ContentType {
			t.Fatalf("headers %v on %s", r.Headers, k)
		}
		switch r.Topic {
		case "logs":
			logs++
			l := checkLogLine(t, r.Value)
			levels[*l.Level] = true
			services[*l.Service] = true
		case "events":
			events++
			if bytes.HasPrefix(r.Value, []byte(`{"eventVersion"`)) {
				checkCloudTrail(t, string(r.Key), r.Value)
			} else if bytes.Contains(r.Value, []byte(`"type":"deploy"`)) {
				checkDeploy(t, r.Value)
			} else {
				checkEvent(t, r.Value)
			}
		case "metrics":
			metrics++
			if mfs := parseMetrics(t, r.Value); mfs["http_requests_total"] == nil {
				t.Fatalf("scrape without http_requests_total:\n%s", r.Value)
			}
		}
	}
	if logs != st.Logs || events != st.Events || metrics != st.Metrics {
		t.Fatalf("consumed %d/%d/%d logs/events/metrics, Run reported %+v", logs, events, metrics, st)
	}
	if len(levels) < 3 || len(services) < 10 {
		t.Fatalf("levels %v services %v: too little variety", levels, services)
	}
	if metrics != int64(len(services)) && metrics%12 != 0 {
		t.Fatalf("%d metrics records, want whole scrapes of 12 services", metrics)
	}
}

// TestRunRate checks the rate limit: 200 records at 400/s cannot take less
// than half a second (this bounds the limiter, not the machine's speed).
func TestRunRate(t *testing.T) {
	kcfg := startKafka(t)
	st, err := Run(context.Background(), client(t, kcfg), Config{Rate: 400, Events: 200}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Records() != 200 {
		t.Fatalf("%d records, want 200", st.Records())
	}
	if st.Elapsed < 450*time.Millisecond {
		t.Fatalf("200 records at 400/s took %s", st.Elapsed)
	}
}

func TestRunStops(t *testing.T) {
	kcfg := startKafka(t)
	cl := client(t, kcfg)

	// Duration: at 1000/s for 300ms, 300 records are due.
	st, err := Run(context.Background(), cl, Config{Rate: 1000, Duration: 300 * time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Records() != 300 {
		t.Fatalf("%d records in 300ms at 1000/s, want 300", st.Records())
	}

	// Cancellation is a normal stop: what was produced is delivered.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	st, err = Run(ctx, cl, Config{Rate: 1000}, nil)
	if err != nil {
		t.Fatalf("Run after cancellation: %v", err)
	}
	if st.Records() == 0 {
		t.Fatal("no records before cancellation")
	}

	// Already cancelled: nothing produced, no error.
	done, cancelDone := context.WithCancel(context.Background())
	cancelDone()
	if st, err = Run(done, cl, Config{}, nil); err != nil || st.Records() != 0 {
		t.Fatalf("Run(cancelled) = %+v, %v", st, err)
	}
}

func TestRunErrors(t *testing.T) {
	kcfg := startKafka(t)

	// A topic that does not exist, with a client that does not create
	// topics: the run stops with an error naming the topic.
	cl := client(t, kcfg, kgo.UnknownTopicRetries(1))
	_, err := Run(context.Background(), cl, Config{Events: 500, EventsTopic: "no.such.topic"}, nil)
	if err == nil || !strings.Contains(err.Error(), `cannot produce to "no.such.topic"`) {
		t.Fatalf("Run to a missing topic = %v", err)
	}

	if _, err := Run(context.Background(), cl, Config{Rate: -5}, nil); err == nil || !strings.Contains(err.Error(), "demo.rate") {
		t.Fatalf("Run(rate -5) = %v", err)
	}
}

// BenchmarkRun measures the demo producing to the embedded broker as fast
// as it accepts, fsync included.
func BenchmarkRun(b *testing.B) {
	cfg := kafka.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = b.TempDir()
	e, err := kafka.StartEmbedded(cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	opts, err := kafka.ClientOpts(e.Config())
	if err != nil {
		b.Fatal(err)
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	b.ResetTimer()
	st, err := Run(context.Background(), cl, Config{Events: b.N}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Bytes / int64(max(1, b.N)))
	b.ReportMetric(float64(st.Records())/st.Elapsed.Seconds(), "records/s")
}

// checkDeploy checks a deploy event: its service, a version and a time in
// the past.
func checkDeploy(t testing.TB, v []byte) {
	t.Helper()
	var e struct {
		Timestamp time.Time `json:"timestamp"`
		Service   string    `json:"service"`
		Version   string    `json:"version"`
	}
	if err := json.Unmarshal(v, &e); err != nil || e.Service == "" || !strings.HasPrefix(e.Version, "v1.") || !e.Timestamp.Before(testStart) {
		t.Fatalf("deploy event %s (%v)", v, err)
	}
}
