package ingest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/logmart/logmart/store"
)

// oneLinePerDay is a backfill: a line a day for days days, oldest first,
// ending yesterday, all to partition 0.
func oneLinePerDay(days int, headers ...kgo.RecordHeader) []*kgo.Record {
	now := time.Now().UTC()
	var out []*kgo.Record
	for i := days; i >= 1; i-- {
		ts := now.Add(-time.Duration(i) * 24 * time.Hour)
		out = append(out, &kgo.Record{Topic: "logs", Partition: 0, Headers: headers,
			Value: []byte(fmt.Sprintf(`{"ts":%q,"level":"info","service":"backfill","message":"day %d"}`, ts.Format(time.RFC3339), i))})
	}
	return out
}

func produceTo0(t *testing.T, opts []kgo.Opt, recs []*kgo.Record) {
	t.Helper()
	cl, err := kgo.NewClient(append(append([]kgo.Opt{}, opts...), kgo.RecordPartitioner(kgo.ManualPartitioner()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// Regression: a backfill of a line a day for 545 days made a batch that
// touched 545 daily partitions; ClickHouse refused it (more than
// max_partitions_per_insert_block, 100), the ingester retried it every 10 s
// for ever, and a line sent after it was never stored. Batches are now cut
// at 50 days, and the backfill is kept with its retention counted from
// ingest.
func TestBackfillOf545DaysThenCanary(t *testing.T) {
	st := newStore(t)
	_, opts := newKafka(t)
	cfg := testConfig("g-backfill")
	produceTo0(t, opts, oneLinePerDay(545, kgo.RecordHeader{Key: HeaderBackfill, Value: []byte("true")}))
	began := time.Now()
	stop := runIngester(t, cfg, st, opts, nil)
	defer stop()
	waitCount(t, st, "SELECT count() FROM logs WHERE service = 'backfill'", 545)
	t.Logf("the backfill was stored in %s", time.Since(began).Round(time.Millisecond))
	sent := time.Now()
	produceTo0(t, opts, []*kgo.Record{{Topic: "logs", Partition: 0, Value: []byte(`{"level":"info","service":"canary","message":"after the backfill"}`)}})
	for count(t, st, "SELECT count() FROM logs WHERE service = 'canary'") == 0 && time.Since(sent) < time.Minute {
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("the canary was stored %s after it was sent", time.Since(sent).Round(time.Millisecond))
	waitCount(t, st, "SELECT count() FROM logs WHERE service = 'canary'", 1)
	if n := count(t, st, "SELECT count() FROM dead_letters"); n != 0 {
		t.Fatalf("%d dead letters", n)
	}
	if n := count(t, st, "SELECT uniqExact(toDate(timestamp)) FROM logs WHERE service = 'backfill'"); n != 545 {
		t.Fatalf("%d days stored, want 545", n)
	}
	if n := count(t, st, "SELECT countIf(retention_from_ingest = 1) FROM logs WHERE service = 'backfill'"); n != 545 {
		t.Fatalf("%d backfilled rows count their retention from ingest, want 545", n)
	}
	// The TTL keeps them: a merge that applies it leaves every row.
	if err := st.Exec(context.Background(), store.Query{SQL: "OPTIMIZE TABLE logs FINAL"}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, st, "SELECT count() FROM logs"); n != 546 {
		t.Fatalf("%d rows after the TTL merge, want 546", n)
	}
}

// Regression: a record older than its stream's retention was written,
// counted as written and deleted by the TTL at the next merge, with no
// dead letter and no log line. It is now a dead letter (older_than_retention)
// and counted by stream; a stream that takes backfills keeps it.
func TestRecordsPastRetentionAreDeadLetters(t *testing.T) {
	st := newStore(t)
	_, opts := newKafka(t)
	routes := streamsFile(t, `streams:
  - name: history
    match: 'service == "history"'
    retention_days: 7
    backfill: true
  - name: short
    match: 'service == "short"'
    retention_days: 7
  - name: default
    retention_days: 30
`)
	old := time.Now().UTC().Add(-20 * 24 * time.Hour).Format(time.RFC3339)
	line := func(service, msg string) string {
		return fmt.Sprintf(`{"ts":%q,"service":%q,"message":%q}`, old, service, msg)
	}
	before := metricValue(t, expiredTotal.WithLabelValues("short"))
	produceTo0(t, opts, []*kgo.Record{
		{Topic: "logs", Value: []byte(line("short", "20 days old in a 7-day stream"))},
		{Topic: "logs", Value: []byte(line("default", "20 days old in a 30-day stream"))},
		{Topic: "logs", Value: []byte(line("history", "20 days old in a backfill stream"))},
		{Topic: "logs", Value: []byte(line("short", "sent as a backfill")), Headers: []kgo.RecordHeader{{Key: HeaderBackfill, Value: []byte("true")}}},
		{Topic: "logs", Value: []byte(line("x", "named stream short")), Headers: []kgo.RecordHeader{{Key: HeaderStream, Value: []byte("short")}}},
	})
	stop := runIngester(t, testConfig("g-expired"), st, opts, routes)
	defer stop()
	waitCount(t, st, "SELECT count() FROM logs", 3)
	waitCount(t, st, "SELECT count() FROM dead_letters", 2)
	res, err := st.Query(context.Background(), store.Query{SQL: "SELECT body, stream, retention_days, retention_from_ingest FROM logs ORDER BY body"})
	if err != nil {
		t.Fatal(err)
	}
	want := "[[20 days old in a 30-day stream default 30 0] [20 days old in a backfill stream history 7 1] [sent as a backfill short 7 1]]"
	if got := fmt.Sprint(res.Rows); got != want {
		t.Fatalf("rows:\n got  %s\n want %s", got, want)
	}
	if n := count(t, st, "SELECT count() FROM dead_letters WHERE reason = 'older_than_retention' AND error LIKE '%7-day retention of stream \"short\"%'"); n != 2 {
		t.Fatalf("%d older_than_retention dead letters naming the stream, want 2", n)
	}
	if d := metricValue(t, expiredTotal.WithLabelValues("short")) - before; d != 2 {
		t.Fatalf("logmart_ingest_expired_records_total{stream=short} rose by %v, want 2", d)
	}
	if err := st.Exec(context.Background(), store.Query{SQL: "OPTIMIZE TABLE logs FINAL"}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, st, "SELECT count() FROM logs"); n != 3 {
		t.Fatalf("%d rows after the TTL merge, want 3: nothing stored expires at once", n)
	}
}

// metrics and events take their stream's retention (they had fixed TTLs
// of 90 and 180 days outside the stream rules).
func TestMetricsAndEventsFollowStreamRetention(t *testing.T) {
	st := newStore(t)
	_, opts := newKafka(t)
	routes := streamsFile(t, `streams:
  - name: events
    match: 'topic == "events"'
    retention_days: 400
  - name: metrics
    match: 'topic == "metrics"'
    retention_days: 3
  - name: default
    retention_days: 30
`)
	old := time.Now().Add(-10 * 24 * time.Hour)
	produceTo0(t, opts, []*kgo.Record{
		{Topic: "events", Value: []byte(fmt.Sprintf(`{"ts":%q,"type":"signup","service":"web"}`, old.UTC().Format(time.RFC3339)))},
		{Topic: "metrics", Value: []byte(fmt.Sprintf("up{job=\"a\"} 1 %d\n", time.Now().UnixMilli()))},
		{Topic: "metrics", Value: []byte(fmt.Sprintf("up{job=\"b\"} 1 %d\n", old.UnixMilli()))},
	})
	stop := runIngester(t, testConfig("g-tables"), st, opts, routes)
	defer stop()
	waitCount(t, st, "SELECT count() FROM events WHERE stream = 'events' AND retention_days = 400", 1)
	waitCount(t, st, "SELECT count() FROM metrics WHERE stream = 'metrics' AND retention_days = 3", 1)
	waitCount(t, st, "SELECT count() FROM dead_letters WHERE reason = 'older_than_retention' AND kafka_topic = 'metrics'", 1)
}

func streamsFile(t *testing.T, yaml string) *Routes {
	t.Helper()
	path := t.TempDir() + "/streams.yaml"
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	routes, err := NewRoutes(path)
	if err != nil {
		t.Fatal(err)
	}
	return routes
}

// Regression: a batch ClickHouse refuses for what it holds was retried
// every 10 s for ever, and its partition never moved on. A constraint the
// engine checks on insert stands for any such refusal: the batch's records
// become dead letters with the engine's reason, exactly once, and the lines
// after it are stored.
func TestRefusedBatchBecomesDeadLetters(t *testing.T) {
	st := newStore(t)
	_, opts := newKafka(t)
	ctx := context.Background()
	if err := st.Exec(ctx, store.Query{SQL: "ALTER TABLE logs ADD CONSTRAINT no_poison CHECK body != 'poison'"}); err != nil {
		t.Fatal(err)
	}
	var recs []*kgo.Record
	for i := range 5 {
		recs = append(recs, &kgo.Record{Topic: "logs", Value: []byte(fmt.Sprintf(`{"service":"a","message":"fine %d"}`, i))})
	}
	recs = append(recs, &kgo.Record{Topic: "logs", Value: []byte(`{"service":"a","message":"poison"}`)},
		&kgo.Record{Topic: "logs", Value: []byte(`not json`)})
	produceTo0(t, opts, recs)
	stop := runIngester(t, testConfig("g-refused"), st, opts, nil)
	defer stop()
	waitCount(t, st, "SELECT count() FROM dead_letters", 7)
	if n := count(t, st, "SELECT count() FROM dead_letters WHERE reason = 'insert_refused' AND error LIKE '%VIOLATED_CONSTRAINT%no_poison%'"); n != 6 {
		t.Fatalf("%d insert_refused dead letters with the engine's reason, want 6", n)
	}
	if n := count(t, st, "SELECT count() FROM dead_letters WHERE reason = 'malformed'"); n != 1 {
		t.Fatalf("%d malformed dead letters, want the 1 it had", n)
	}
	if n := count(t, st, "SELECT uniqExact(kafka_offset) FROM dead_letters"); n != 7 {
		t.Fatalf("%d distinct offsets among the dead letters, want 7", n)
	}
	produceTo0(t, opts, []*kgo.Record{{Topic: "logs", Value: []byte(`{"service":"canary","message":"after"}`)}})
	waitCount(t, st, "SELECT count() FROM logs WHERE service = 'canary'", 1)
	waitCount(t, st, "SELECT count() FROM dead_letters", 7)
}

// Regression: a partition whose writes kept failing showed nowhere:
// /readyz said ready and lag read 0. It now shows as stalled in the
// Ingester's health (the overview), in Ready (/readyz) and in
// logmart_ingest_partition_stalled_seconds; and stopping no longer waits
// 30 s for the failing retry.
func TestStalledPartitionShows(t *testing.T) {
	defer func(d time.Duration) { stalledAfter = d }(stalledAfter)
	stalledAfter = time.Second
	st := newStore(t)
	_, opts := newKafka(t)
	ctx := context.Background()
	if err := st.Exec(ctx, store.Query{SQL: "RENAME TABLE logs TO logs_away"}); err != nil {
		t.Fatal(err)
	}
	produceTo0(t, opts, []*kgo.Record{{Topic: "logs", Value: []byte(`{"service":"a","message":"waits"}`)}})
	g, err := New(testConfig("g-stalled"), st, opts, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); g.Run(rctx) }()
	deadline := time.Now().Add(60 * time.Second)
	for g.Ready(ctx) == nil && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	err = g.Ready(ctx)
	if err == nil || !strings.Contains(err.Error(), "logs/0") || !strings.Contains(err.Error(), "UNKNOWN_TABLE") {
		t.Fatalf("Ready = %v, want logs/0 stalled with the engine's error", err)
	}
	var h PartitionHealth
	for _, x := range g.Health() {
		if x.Topic == "logs" && x.Partition == 0 {
			h = x
		}
	}
	if !h.Stalled || h.FailingSeconds < 1 || h.WriteFailures == 0 || h.WriteError == "" {
		t.Fatalf("health = %+v, want stalled", h)
	}
	if v := metricValue(t, partitionStalled.WithLabelValues("logs", "0")); v < 1 {
		t.Fatalf("logmart_ingest_partition_stalled_seconds = %v", v)
	}
	// The trouble ends: the batch is written and the partition is ready.
	if err := st.Exec(ctx, store.Query{SQL: "RENAME TABLE logs_away TO logs"}); err != nil {
		t.Fatal(err)
	}
	waitCount(t, st, "SELECT count() FROM logs", 1)
	deadline = time.Now().Add(30 * time.Second)
	for g.Ready(ctx) != nil && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if err := g.Ready(ctx); err != nil {
		t.Fatalf("Ready after the write = %v", err)
	}
	if v := metricValue(t, partitionStalled.WithLabelValues("logs", "0")); v != 0 {
		t.Fatalf("logmart_ingest_partition_stalled_seconds = %v after the write", v)
	}
	// A write failing at stop is left to the partition's next owner at
	// once: Run used to wait 30 s for it.
	if err := st.Exec(ctx, store.Query{SQL: "RENAME TABLE logs TO logs_away"}); err != nil {
		t.Fatal(err)
	}
	produceTo0(t, opts, []*kgo.Record{{Topic: "logs", Value: []byte(`{"service":"a","message":"left for the next owner"}`)}})
	deadline = time.Now().Add(60 * time.Second)
	for g.Ready(ctx) == nil && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return within 20 s of its stop while a write failed")
	}
}

// metricValue reads a counter's or gauge's value.
func metricValue(t *testing.T, m prometheus.Metric) float64 {
	t.Helper()
	var out dto.Metric
	if err := m.Write(&out); err != nil {
		t.Fatal(err)
	}
	if c := out.GetCounter(); c != nil {
		return c.GetValue()
	}
	return out.GetGauge().GetValue()
}

// Regression: a build before batches were cut at 50 days recorded the
// range of a backfill of more than 100 days, which ClickHouse refused, and every
// consumer since cut the same batch and was refused again. The batch is
// now stored in parts of at most 50 days, each part once.
func TestRecordedBatchOfManyDaysIsStoredInParts(t *testing.T) {
	st := newStore(t)
	_, opts := newKafka(t)
	ctx := context.Background()
	produceTo0(t, opts, oneLinePerDay(150, kgo.RecordHeader{Key: HeaderBackfill, Value: []byte("true")}))
	produceTo0(t, opts, []*kgo.Record{{Topic: "logs", Value: []byte(`not json`)}})
	// The range as an earlier build recorded it (the ingest_batches
	// fallback stands for its commit metadata).
	if err := st.Exec(ctx, store.Query{SQL: "INSERT INTO ingest_batches (topic, partition, first_offset, last_offset) VALUES ('logs', 0, 0, 150)"}); err != nil {
		t.Fatal(err)
	}
	stop := runIngester(t, testConfig("g-recorded"), st, opts, nil)
	waitCount(t, st, "SELECT count() FROM logs", 150)
	waitCount(t, st, "SELECT count() FROM dead_letters WHERE reason = 'malformed'", 1)
	stop()
	if n := count(t, st, "SELECT count() FROM dead_letters"); n != 1 {
		t.Fatalf("%d dead letters, want the malformed one", n)
	}
	// A consumer that meets the same range again (its commit lost) writes
	// nothing twice.
	if err := st.Exec(ctx, store.Query{SQL: "INSERT INTO ingest_batches (topic, partition, first_offset, last_offset) VALUES ('logs', 0, 0, 150)"}); err != nil {
		t.Fatal(err)
	}
	stop = runIngester(t, testConfig("g-recorded-again"), st, opts, nil)
	defer stop()
	produceTo0(t, opts, []*kgo.Record{{Topic: "logs", Value: []byte(`{"service":"canary","message":"after"}`)}})
	waitCount(t, st, "SELECT count() FROM logs WHERE service = 'canary'", 1)
	if n := count(t, st, "SELECT count() FROM logs"); n != 151 {
		t.Fatalf("%d rows after the range was written again, want 151", n)
	}
	if n := count(t, st, "SELECT count() FROM dead_letters"); n != 1 {
		t.Fatalf("%d dead letters after the range was written again, want 1", n)
	}
}

// The shipped streams keep a named import of old lines in history, and set
// the same lines aside in a stream that takes no backfills.
func TestShippedHistoryStreamTakesBackfills(t *testing.T) {
	rules, err := LoadStreams("../configs/streams.yaml")
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-400 * 24 * time.Hour)
	f := func(stream, wantReason string) {
		t.Helper()
		b := newPartBatch(TopicConfig{Topic: "logs", Table: "logs", Format: "json", Stream: "default"}, 0, 1<<20, rules)
		defer b.release()
		b.add(&kgo.Record{Topic: "logs", Timestamp: time.Now(), Headers: []kgo.RecordHeader{{Key: HeaderStream, Value: []byte(stream)}},
			Value: []byte(fmt.Sprintf(`{"ts":%q,"message":"old"}`, old.UTC().Format(time.RFC3339)))}, time.Now())
		reason := ""
		if len(b.deadRecs) > 0 {
			reason = header(b.deadRecs[0], "logmart-dead-reason")
		}
		if reason != wantReason {
			t.Fatalf("stream %s: dead-letter reason %q, want %q", stream, reason, wantReason)
		}
	}
	f("history", "")
	f("payments", ReasonOlderThanRetention)
	f("nosuchstream", ReasonOlderThanRetention)
}

// A partition whose batch ranges cannot be recorded (every commit
// refused) does not advance either: it shows as stalled until a batch of
// it is written.
func TestUnrecordedPartitionShowsStalled(t *testing.T) {
	defer func(d time.Duration) { stalledAfter = d }(stalledAfter)
	stalledAfter = time.Second
	st := newStore(t)
	emb, opts := newKafka(t)
	var failing atomic.Bool
	failing.Store(true)
	emb.Cluster().ControlKey(kmsg.OffsetCommit.Int16(), func(req kmsg.Request) (kmsg.Response, error, bool) {
		emb.Cluster().KeepControl()
		if !failing.Load() {
			return nil, nil, false
		}
		r := req.(*kmsg.OffsetCommitRequest)
		resp := r.ResponseKind().(*kmsg.OffsetCommitResponse)
		for _, rt := range r.Topics {
			rt2 := kmsg.NewOffsetCommitResponseTopic()
			rt2.Topic = rt.Topic
			for _, rp := range rt.Partitions {
				p := kmsg.NewOffsetCommitResponseTopicPartition()
				p.Partition = rp.Partition
				p.ErrorCode = kerr.CoordinatorLoadInProgress.Code
				rt2.Partitions = append(rt2.Partitions, p)
			}
			resp.Topics = append(resp.Topics, rt2)
		}
		return resp, nil, true
	})
	produceTo0(t, opts, []*kgo.Record{{Topic: "logs", Value: []byte(`{"service":"a","message":"waits"}`)}})
	g, err := New(testConfig("g-unrecorded"), st, opts, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); g.Run(ctx) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(60 * time.Second)
	for g.Ready(ctx) == nil && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if err := g.Ready(ctx); err == nil || !strings.Contains(err.Error(), "logs/0") {
		t.Fatalf("Ready = %v, want logs/0 stalled", err)
	}
	failing.Store(false)
	waitCount(t, st, "SELECT count() FROM logs", 1)
	deadline = time.Now().Add(30 * time.Second)
	for g.Ready(ctx) != nil && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if err := g.Ready(ctx); err != nil {
		t.Fatalf("Ready after the write = %v", err)
	}
}
