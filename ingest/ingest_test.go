package ingest

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/logmart/logmart/ingest/kafka"
	"github.com/logmart/logmart/internal/demo"
	"github.com/logmart/logmart/store"
	"github.com/logmart/logmart/store/chdb"
	"github.com/logmart/logmart/store/storetest"
)

func TestMain(m *testing.M) {
	storetest.Main(m, "ingest_test", nil)
}

// newStore opens a fresh database on the process's one engine.
func newStore(t *testing.T) *chdb.Engine {
	t.Helper()
	return storetest.Database(t)
}

func newKafka(t *testing.T) (*kafka.Embedded, []kgo.Opt) {
	t.Helper()
	kc := kafka.Default()
	kc.Listen = "127.0.0.1:0"
	kc.DataDir = t.TempDir()
	emb, err := kafka.StartEmbedded(kc, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emb.Close)
	opts, err := kafka.ClientOpts(emb.Config())
	if err != nil {
		t.Fatal(err)
	}
	return emb, opts
}

func testConfig(group string) Config {
	cfg := Default()
	cfg.Group = group
	cfg.Batch.Interval = 200 * time.Millisecond
	cfg.Batch.Rows = 5000
	return cfg
}

func produce(t *testing.T, opts []kgo.Opt, recs []*kgo.Record) {
	t.Helper()
	cl, err := kgo.NewClient(append(append([]kgo.Opt{}, opts...), kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

func count(t *testing.T, st store.Store, sql string) int {
	t.Helper()
	res, err := st.Query(context.Background(), store.Query{SQL: sql})
	if err != nil {
		t.Fatal(err)
	}
	return int(store.CellUint64(res.Rows[0][0]))
}

func waitCount(t *testing.T, st store.Store, sql string, want int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var got int
	for time.Now().Before(deadline) {
		if got = count(t, st, sql); got >= want {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Give a duplicate a chance to show up before judging.
	time.Sleep(300 * time.Millisecond)
	if got = count(t, st, sql); got != want {
		t.Fatalf("%s = %d, want %d", sql, got, want)
	}
}

func runIngester(t *testing.T, cfg Config, st store.Store, opts []kgo.Opt, routes *Routes) (stop func()) {
	t.Helper()
	g, err := New(cfg, st, opts, routes, slog.New(slog.NewTextHandler(os.Stderr, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); g.Run(ctx) }()
	return func() { cancel(); <-done }
}

func logRecords(n int, seed uint64) []*kgo.Record {
	r := rand.New(rand.NewPCG(seed, seed))
	now := time.Now()
	out := make([]*kgo.Record, n)
	for i := range out {
		line := demo.LogLine(r, now.Add(time.Duration(i)*time.Millisecond), nil)
		out[i] = &kgo.Record{Topic: "logs", Value: line}
	}
	return out
}

func TestIngestJSONLogs(t *testing.T) {
	st := newStore(t)
	_, opts := newKafka(t)
	produce(t, opts, logRecords(20000, 1))
	stop := runIngester(t, testConfig("g1"), st, opts, nil)
	defer stop()
	waitCount(t, st, "SELECT count() FROM logs", 20000)
	if n := count(t, st, "SELECT uniqExact(kafka_partition, kafka_offset) FROM logs"); n != 20000 {
		t.Fatalf("distinct records = %d", n)
	}
	if n := count(t, st, "SELECT countIf(service = '' OR level = '' OR body = '' OR host = '') FROM logs"); n != 0 {
		t.Fatalf("%d rows lost a common field", n)
	}
	if n := count(t, st, "SELECT countIf(attributes['region'] = '') FROM logs"); n != 0 {
		t.Fatalf("%d rows without the region attribute", n)
	}
	if n := count(t, st, "SELECT countIf(attributes['http.status'] != '') FROM logs"); n < 10000 {
		t.Fatalf("only %d rows with the flattened http.status attribute", n)
	}
}

func TestBadInputBecomesDeadLetters(t *testing.T) {
	st := newStore(t)
	_, opts := newKafka(t)
	good := func(i int) *kgo.Record {
		return &kgo.Record{Topic: "logs", Partition: 0, Value: []byte(fmt.Sprintf(`{"ts":"2026-11-21T10:00:00Z","level":"info","service":"svc","message":"good %d"}`, i))}
	}
	bad := []struct {
		value  string
		reason string
	}{
		{`{"level":"info","message":"unterminated`, ReasonMalformed},
		{`not json at all`, ReasonMalformed},
		{"{\"message\":\"bad \xff\xfe utf8\"}", ReasonInvalidUTF8},
		{`{"message":"x"} trailing`, ReasonMalformed},
		{`[1,2,3]`, ReasonMalformed},
		{`{"message":"` + strings.Repeat("A", 2<<20) + `"}`, ReasonTooLarge},
		{`{"message":"'); DROP TABLE logs; --"}`, ""},
		{`{"level":{"name":"error"},"message":"level is an object"}`, ReasonWrongType},
		{`{"service":["a","b"],"message":"service is an array"}`, ReasonWrongType},
	}
	var recs []*kgo.Record
	for i := range 12 {
		recs = append(recs, good(i))
		if i < len(bad) {
			recs = append(recs, &kgo.Record{Topic: "logs", Partition: 0, Value: []byte(bad[i].value)})
		}
	}
	cl, err := kgo.NewClient(append(append([]kgo.Opt{}, opts...), kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerBatchMaxBytes(4<<20))...)
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	cl.Close()
	stop := runIngester(t, testConfig("g2"), st, opts, nil)
	defer stop()
	waitCount(t, st, "SELECT count() FROM logs", 13) // 12 good + the injection-looking one, stored verbatim
	waitCount(t, st, "SELECT count() FROM dead_letters", 8)
	for _, b := range bad {
		if b.reason == "" {
			continue
		}
		if n := count(t, st, fmt.Sprintf("SELECT count() FROM dead_letters WHERE reason = '%s'", b.reason)); n == 0 {
			t.Fatalf("no dead letter with reason %s", b.reason)
		}
	}
	if n := count(t, st, "SELECT count() FROM dead_letters WHERE truncated = 1 AND raw_size > 2000000 AND endsWith(raw, '[truncated]')"); n != 1 {
		t.Fatalf("oversized record not truncated with a marker: %d", n)
	}
	if n := count(t, st, "SELECT count() FROM logs WHERE body = '''); DROP TABLE logs; --'"); n != 1 {
		t.Fatal("injection-looking body not stored verbatim")
	}
	// The dead-letter topic gets a copy with the reason.
	dl, _ := kgo.NewClient(append(append([]kgo.Opt{}, opts...), kgo.ConsumeTopics("logs.dead"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))...)
	defer dl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got := 0
	for got < 8 && ctx.Err() == nil {
		dl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			if header(r, "logmart-dead-reason") != "" {
				got++
			}
		})
	}
	if got != 8 {
		t.Fatalf("dead-letter topic got %d records, want 8", got)
	}
}

func TestStreamRouting(t *testing.T) {
	st := newStore(t)
	_, opts := newKafka(t)
	routes, err := NewRoutes("../configs/streams.yaml")
	if err != nil {
		t.Fatal(err)
	}
	produce(t, opts, []*kgo.Record{
		{Topic: "logs", Value: []byte(`{"service":"billing","message":"charge"}`)},
		{Topic: "logs", Value: []byte(`{"service":"auth","message":"login"}`)},
		{Topic: "logs", Value: []byte(`{"service":"api-gateway","message":"GET /"}`)},
		{Topic: "logs", Value: []byte(`{"service":"search","message":"q"}`)},
		{Topic: "logs", Value: []byte(`{"service":"search","message":"forced"}`), Headers: []kgo.RecordHeader{{Key: HeaderStream, Value: []byte("payments")}}},
	})
	stop := runIngester(t, testConfig("g3"), st, opts, routes)
	defer stop()
	waitCount(t, st, "SELECT count() FROM logs", 5)
	res, err := st.Query(context.Background(), store.Query{SQL: "SELECT body, stream, retention_days FROM logs ORDER BY body"})
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(res.Rows)
	// A record whose producer names its stream (the logmart-stream
	// header, as ingest file sends) keeps that stream's retention: it used
	// to get 30 days whatever streams.yaml said.
	want := "[[GET / edge 14] [charge payments 90] [forced payments 90] [login security 365] [q default 30]]"
	if got != want {
		t.Fatalf("routing:\n got  %s\n want %s", got, want)
	}
}

func TestStreamRulesRejectMistakes(t *testing.T) {
	f := func(rules []StreamRule, want string) {
		t.Helper()
		_, err := CompileStreams(StreamsFile{Streams: rules})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("err = %v, want %q", err, want)
		}
	}
	f(nil, "at least one stream")
	f([]StreamRule{{Name: "a", Match: "service =="}, {Name: "default"}}, `streams[0] (a): match "service =="`)
	f([]StreamRule{{Name: "a", Match: `service + 1`}, {Name: "default"}}, "streams[0] (a)")
	f([]StreamRule{{Name: "a", Match: `nosuchfield == "x"`}, {Name: "default"}}, "unknown name nosuchfield")
	f([]StreamRule{{Name: "a"}, {Name: "default"}}, "match is required")
	f([]StreamRule{{Name: "Bad Name"}}, "name must be lower-case")
	f([]StreamRule{{Name: "a", Match: "true"}}, "the last stream is the default")
	f([]StreamRule{{Name: "a", Match: "true"}, {Name: "a"}}, "used twice")
}

// TestCrashAfterWriteBeforeCommit: a consumer stores batches but never
// gets a commit past them accepted, as if it died after each write; the
// next consumer rereads the same records, cuts the same batches from the
// ranges recorded in the commit metadata, and ClickHouse drops the repeats.
func TestCrashAfterWriteBeforeCommit(t *testing.T) {
	st := newStore(t)
	emb, opts := newKafka(t)
	produce(t, opts, logRecords(12000, 2))
	var (
		failing  atomic.Bool
		mu       sync.Mutex
		firstAt  = map[int32]int64{} // the offset first committed, per partition
		recorded atomic.Int64        // commits accepted while failing
	)
	failing.Store(true)
	emb.Cluster().ControlKey(kmsg.OffsetCommit.Int16(), func(req kmsg.Request) (kmsg.Response, error, bool) {
		emb.Cluster().KeepControl()
		if !failing.Load() {
			return nil, nil, false
		}
		r := req.(*kmsg.OffsetCommitRequest)
		mu.Lock()
		defer mu.Unlock()
		advancing := false
		for _, rt := range r.Topics {
			for _, rp := range rt.Partitions {
				at, seen := firstAt[rp.Partition]
				if !seen {
					firstAt[rp.Partition], at = rp.Offset, rp.Offset
				}
				advancing = advancing || rp.Offset > at
			}
		}
		if !advancing {
			// Commits recording ranges keep the offset: the broker takes them.
			recorded.Add(1)
			return nil, nil, false
		}
		resp := r.ResponseKind().(*kmsg.OffsetCommitResponse)
		for _, rt := range r.Topics {
			t := kmsg.NewOffsetCommitResponseTopic()
			t.Topic = rt.Topic
			for _, rp := range rt.Partitions {
				p := kmsg.NewOffsetCommitResponseTopicPartition()
				p.Partition = rp.Partition
				p.ErrorCode = kerr.OffsetMetadataTooLarge.Code
				t.Partitions = append(t.Partitions, p)
			}
			resp.Topics = append(resp.Topics, t)
		}
		return resp, nil, true
	})
	cfg := testConfig("g4")
	stop1 := runIngester(t, cfg, st, opts, nil)
	waitCount(t, st, "SELECT count() FROM logs", 12000)
	stop1()
	failing.Store(false)
	if recorded.Load() == 0 {
		t.Fatal("no commit recorded a batch range")
	}
	// A second consumer with different batch sizes must still cut where the
	// first one did.
	cfg.Batch.Rows = 777
	stop := runIngester(t, cfg, st, opts, nil)
	defer stop()
	time.Sleep(3 * time.Second)
	waitCount(t, st, "SELECT count() FROM logs", 12000)
	if n := count(t, st, "SELECT uniqExact(kafka_partition, kafka_offset) FROM logs"); n != 12000 {
		t.Fatalf("distinct = %d", n)
	}
}

func TestTwoReplicasSplitPartitions(t *testing.T) {
	st := newStore(t)
	_, opts := newKafka(t)
	stop1 := runIngester(t, testConfig("g5"), st, opts, nil)
	stop2 := runIngester(t, testConfig("g5"), st, opts, nil)
	for i := range 4 {
		produce(t, opts, logRecords(5000, uint64(10+i)))
		time.Sleep(300 * time.Millisecond)
	}
	waitCount(t, st, "SELECT count() FROM logs", 20000)
	stop1()
	produce(t, opts, logRecords(5000, 99))
	waitCount(t, st, "SELECT count() FROM logs", 25000)
	stop2()
	if n := count(t, st, "SELECT uniqExact(kafka_partition, kafka_offset) FROM logs"); n != 25000 {
		t.Fatalf("distinct = %d", n)
	}
}

// TestReloadAppliesNewRules: rules reloaded while the ingester runs apply
// to the next records; a broken file keeps the rules in force.
func TestReloadAppliesNewRules(t *testing.T) {
	st := newStore(t)
	_, opts := newKafka(t)
	path := filepath.Join(t.TempDir(), "streams.yaml")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("streams:\n  - {name: first, match: 'service == \"svc\"'}\n  - {name: default}\n")
	routes, err := NewRoutes(path)
	if err != nil {
		t.Fatal(err)
	}
	stop := runIngester(t, testConfig("g6"), st, opts, routes)
	defer stop()
	produce(t, opts, []*kgo.Record{{Topic: "logs", Value: []byte(`{"service":"svc","message":"before"}`)}})
	waitCount(t, st, "SELECT count() FROM logs WHERE stream = 'first'", 1)

	write("streams:\n  - {name: second, match: 'service == \"svc\"'}\n  - {name: default}\n")
	if err := routes.Reload(); err != nil {
		t.Fatal(err)
	}
	produce(t, opts, []*kgo.Record{{Topic: "logs", Value: []byte(`{"service":"svc","message":"after"}`)}})
	waitCount(t, st, "SELECT count() FROM logs WHERE stream = 'second' AND body = 'after'", 1)

	write("streams:\n  - {name: third, match: 'service =='}\n  - {name: default}\n")
	if err := routes.Reload(); err == nil || !strings.Contains(err.Error(), "streams[0] (third)") {
		t.Fatalf("broken rules: err = %v", err)
	}
	produce(t, opts, []*kgo.Record{{Topic: "logs", Value: []byte(`{"service":"svc","message":"kept"}`)}})
	waitCount(t, st, "SELECT count() FROM logs WHERE stream = 'second' AND body = 'kept'", 1)
}

// slotStore is the engine with a count of the inserts into logs running at
// once; each is held a little after it returns, so that unbounded writers
// would overlap.
type slotStore struct {
	store.Store
	now, most atomic.Int32
}

func (s *slotStore) Insert(ctx context.Context, table string, b *store.Block, token string) error {
	if table != "logs" {
		return s.Store.Insert(ctx, table, b, token)
	}
	n := s.now.Add(1)
	defer s.now.Add(-1)
	for m := s.most.Load(); n > m && !s.most.CompareAndSwap(m, n); m = s.most.Load() {
	}
	err := s.Store.Insert(ctx, table, b, token)
	time.Sleep(20 * time.Millisecond)
	return err
}

func TestInsertsShareSlots(t *testing.T) {
	st := &slotStore{Store: newStore(t)}
	_, opts := newKafka(t)
	produce(t, opts, logRecords(20000, 7))
	cfg := testConfig("slots")
	cfg.Batch.Rows = 1000
	cfg.MaxConcurrentInserts = 1
	stop := runIngester(t, cfg, st, opts, nil)
	defer stop()
	waitCount(t, st, "SELECT count() FROM logs", 20000)
	if n := count(t, st, "SELECT uniqExact(kafka_partition) FROM logs"); n < 2 {
		t.Fatalf("records landed in %d partitions; the test needs several writers", n)
	}
	if m := st.most.Load(); m != 1 {
		t.Fatalf("%d inserts ran at once, want at most 1", m)
	}
}

func TestQuietPartitionWrittenEarly(t *testing.T) {
	st := newStore(t)
	_, opts := newKafka(t)
	cfg := testConfig("quiet")
	cfg.Batch.Interval = time.Hour
	cfg.Batch.Rows = 40000
	stop := runIngester(t, cfg, st, opts, nil)
	stopped := false
	defer func() {
		if !stopped {
			stop()
		}
	}()
	// A burst of a few thousand records per partition, over a tenth of a
	// batch: written once the partitions go quiet, not an hour later.
	produce(t, opts, logRecords(20000, 11))
	waitCount(t, st, "SELECT count() FROM logs", 20000)

	// A trickle stays below a tenth of a batch and waits for the interval
	// (here: for shutdown, which writes everything held).
	produce(t, opts, logRecords(10, 12))
	time.Sleep(time.Second)
	if n := count(t, st, "SELECT count() FROM logs"); n != 20000 {
		t.Fatalf("a trickle of 10 records was written early: %d rows, want 20000", n)
	}
	stop()
	stopped = true
	if n := count(t, st, "SELECT count() FROM logs"); n != 20010 {
		t.Fatalf("after shutdown: %d rows, want 20010", n)
	}
}

func TestParallelCallsEachIndexOnce(t *testing.T) {
	for _, spread := range []bool{false, true} {
		for _, n := range []int{0, 1, 2, 7, 100} {
			calls := make([]atomic.Int32, n)
			parallel(n, spread, func(i int) { calls[i].Add(1) })
			for i := range calls {
				if c := calls[i].Load(); c != 1 {
					t.Fatalf("spread=%v n=%d: index %d called %d times", spread, n, i, c)
				}
			}
		}
	}
}
