package pipeline

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/logmart/logmart/ingest/kafka"
	"github.com/logmart/logmart/store"
)

func startKafka(t *testing.T) []kgo.Opt {
	t.Helper()
	kc := kafka.Default()
	kc.Listen = "127.0.0.1:0"
	kc.DataDir = t.TempDir()
	kc.Topics = nil
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

func produceRecords(t *testing.T, opts []kgo.Opt, topic string, recs ...string) {
	t.Helper()
	cl, err := kgo.NewClient(append(append([]kgo.Opt{}, opts...), kgo.AllowAutoTopicCreation(), kgo.RecordPartitioner(kgo.ManualPartitioner()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var rs []*kgo.Record
	for _, r := range recs {
		rs = append(rs, &kgo.Record{Topic: topic, Value: []byte(r), Partition: 0})
	}
	if err := cl.ProduceSync(context.Background(), rs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// runPipeline runs a Runner and a Loader until the returned stop is called.
func runPipeline(t *testing.T, cfg Config, opts []kgo.Opt, st store.Store) (stop func(), r *Runner) {
	ctx, cancel := context.WithCancel(context.Background())
	r = NewRunner(cfg, opts, nil)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		if err := r.Run(ctx); err != nil {
			t.Error(err)
		}
	}()
	go func() {
		defer wg.Done()
		if err := NewLoader(st).Consume(ctx, cfg, opts, nil); err != nil {
			t.Error(err)
		}
	}()
	return func() { cancel(); wg.Wait() }, r
}

func waitRows(t *testing.T, st store.Store, sql, want string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var got string
	for time.Now().Before(deadline) {
		res, err := st.Query(context.Background(), store.Query{SQL: sql})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(res.Rows)
		if got = string(b); got == want {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s\n got %s\nwant %s", sql, got, want)
}

// TestRunnerOnKafka runs the pipeline against the embedded Kafka over TCP
// and the embedded ClickHouse: facts land in the tables, an invalid record
// in dead_letters; after a restart (state from the changelog, offsets from
// the group) a late hold corrects the call with version 2 and nothing is
// duplicated.
func TestRunnerOnKafka(t *testing.T) {
	opts := startKafka(t)
	st := testDatabase(t)
	cfg := DefaultConfig()
	cfg.AllowedLateness = 0
	cfg.TransactionalID = "pipeline-test-" + t.Name()
	cfg.Group = "pipeline-test"
	cfg.IdleAdvance = time.Hour

	produceRecords(t, opts, TopicVoiceCallthread,
		`{"version":1,"event":"created","time":"2026-03-02T10:00:00Z","tenant":"t","call_id":"c1","from":"+15550101","to":"8000"}`,
		`{"version":1,"event":"queued","time":"2026-03-02T10:00:00Z","tenant":"t","call_id":"c1","party":{"type":"queue","id":"sales"}}`,
		`{"version":1,"event":"ringing","time":"2026-03-02T10:00:10Z","tenant":"t","call_id":"c1","party":{"type":"agent","id":"bob","dn":"5002"},"queue":"sales"}`,
		`{"version":1,"event":"established","time":"2026-03-02T10:00:15Z","tenant":"t","call_id":"c1","party":{"type":"agent","id":"bob","dn":"5002"}}`,
		`{"version":1,"event":"released","time":"2026-03-02T10:02:15Z","tenant":"t","call_id":"c1","party":{"type":"customer"}}`,
		`{"version":7,"event":"created","time":"2026-03-02T10:00:00Z","tenant":"t","call_id":"c2"}`)
	produceRecords(t, opts, TopicVoiceAgentState,
		`{"version":1,"event":"login","time":"2026-03-02T09:00:00Z","tenant":"t","agent":"bob","dn":"5002"}`,
		`{"version":1,"event":"ready","time":"2026-03-02T09:00:00Z","tenant":"t","agent":"bob","dn":"5002"}`,
		`{"version":1,"event":"busy","time":"2026-03-02T10:00:15Z","tenant":"t","agent":"bob","dn":"5002","call_id":"c1"}`,
		`{"version":1,"event":"acw","time":"2026-03-02T10:02:15Z","tenant":"t","agent":"bob","dn":"5002","call_id":"c1"}`,
		`{"version":1,"event":"ready","time":"2026-03-02T10:03:00Z","tenant":"t","agent":"bob","dn":"5002"}`)
	produceRecords(t, opts, TopicConfig,
		`{"version":1,"op":"upsert","time":"2026-03-02T08:00:00Z","tenant":"t","objects":[{"kind":"agent","id":"p-2","name":"Bob Smith","logins":["bob"]}]}`)

	stop, r := runPipeline(t, cfg, opts, st)
	waitRows(t, st, "SELECT id, result, queue_ms, ring_ms, talk_ms, hold_ms, acw_ms FROM interaction_facts_latest",
		`[["c1","completed",10000,5000,120000,0,45000]]`)
	waitRows(t, st, "SELECT resource_id, resource_key, resource_name, acw_ms FROM interaction_resource_facts_latest WHERE resource_type = 'agent'",
		`[["bob","p-2","Bob Smith",45000]]`)
	waitRows(t, st, "SELECT state, duration_ms FROM agent_state_facts_latest ORDER BY start",
		`[["ready",3615000],["busy",120000],["acw",45000],["ready",0]]`)
	waitRows(t, st, "SELECT kafka_topic, kafka_offset, reason FROM dead_letters", `[["voice-callthread",5,"unknown_version"]]`)
	if s := r.Status(); !s.Running || s.Committed == 0 {
		t.Errorf("status while running: %+v", s)
	}
	stop()

	// A restart: the state comes back from the changelog, so a late hold
	// corrects the call instead of finding no such call.
	stop, r = runPipeline(t, cfg, opts, st)
	defer stop()
	produceRecords(t, opts, TopicVoiceCallthread,
		`{"version":1,"event":"held","time":"2026-03-02T10:01:00Z","tenant":"t","call_id":"c1","party":{"type":"agent","id":"bob","dn":"5002"}}`,
		`{"version":1,"event":"retrieved","time":"2026-03-02T10:01:40Z","tenant":"t","call_id":"c1","party":{"type":"agent","id":"bob","dn":"5002"}}`)
	waitRows(t, st, "SELECT id, version, talk_ms, hold_ms, acw_ms FROM interaction_facts_latest",
		`[["c1",2,80000,40000,45000]]`)
	// Every version of c1 was loaded once: no fact was produced twice.
	waitRows(t, st, "SELECT version, count() FROM interaction_facts WHERE id = 'c1' GROUP BY version ORDER BY version",
		`[[1,1],[2,1]]`)
	if s := r.Status(); s.Restores == 0 {
		t.Errorf("status after restart: %+v", s)
	}
}
