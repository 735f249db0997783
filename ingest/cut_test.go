package ingest

import (
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// fetchOf is a poll's result holding n log records of partition p from
// offset first, with the partition's high watermark at hw.
func fetchOf(p int32, first int64, n int, hw int64) kgo.Fetches {
	recs := make([]*kgo.Record, n)
	for i := range recs {
		recs[i] = &kgo.Record{Topic: "logs", Partition: p, Offset: first + int64(i),
			Value: []byte(fmt.Sprintf(`{"service":"svc","message":"line %d"}`, i))}
	}
	return kgo.Fetches{{Topics: []kgo.FetchTopic{{Topic: "logs", Partitions: []kgo.FetchPartition{
		{Partition: p, HighWatermark: hw, Records: recs},
	}}}}}
}

func cutIngester(t *testing.T) *Ingester {
	t.Helper()
	cfg := Default()
	cfg.Batch = BatchConfig{Rows: 10000, Bytes: 32 << 20, Interval: time.Second, Idle: 100 * time.Millisecond}
	g, err := New(cfg, nil, []kgo.Opt{kgo.SeedBrokers("127.0.0.1:1")}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.cl.Close)
	return g
}

func reasons(ready map[tp][]*partBatch) []string {
	var out []string
	for _, list := range ready {
		for _, b := range list {
			out = append(out, fmt.Sprintf("p%d:%d-%d", b.partition, b.first, b.last))
		}
	}
	return out
}

func TestQuietCountsOnlyTimeSpentWaiting(t *testing.T) {
	g := cutIngester(t)
	t0 := time.Now()
	// 2000 records, a fifth of a batch, and the partition's newest.
	if got := reasons(g.cut(fetchOf(0, 0, 2000, 2000), t0, 0)); len(got) != 0 {
		t.Fatalf("cut at once: %v", got)
	}
	// 150ms later, but the consumer spent them decoding and writing: it
	// waited only 10ms for more. Not quiet yet.
	if got := reasons(g.cut(nil, t0.Add(150*time.Millisecond), 10*time.Millisecond)); len(got) != 0 {
		t.Fatalf("cut after 10ms of waiting: %v", got)
	}
	// Another 95ms of waiting: 105ms in all.
	got := reasons(g.cut(nil, t0.Add(250*time.Millisecond), 95*time.Millisecond))
	if len(got) != 1 || got[0] != "p0:0-1999" {
		t.Fatalf("after 105ms of waiting: %v, want p0:0-1999", got)
	}
}

func TestQuietNeedsACaughtUpSizableBatch(t *testing.T) {
	g := cutIngester(t)
	t0 := time.Now()
	// Behind: the partition holds more than was fetched.
	g.cut(fetchOf(0, 0, 2000, 50000), t0, 0)
	// A trickle: less than a tenth of a batch.
	g.cut(fetchOf(1, 0, 50, 50), t0, 0)
	if got := reasons(g.cut(nil, t0.Add(300*time.Millisecond), 300*time.Millisecond)); len(got) != 0 {
		t.Fatalf("cut a partition that is behind, or a trickle: %v", got)
	}
	// Both wait for the interval.
	if got := reasons(g.cut(nil, t0.Add(time.Second), 200*time.Millisecond)); len(got) != 2 {
		t.Fatalf("after the interval: %v, want both batches", got)
	}
}

func TestPollWaitEndsWhenABatchIsDue(t *testing.T) {
	g := cutIngester(t)
	t0 := time.Now()
	if w := g.pollWait(t0); w != 250*time.Millisecond {
		t.Fatalf("with nothing held: poll waits %s, want a quarter of the interval", w)
	}
	g.cut(fetchOf(0, 0, 2000, 2000), t0, 0)
	if w := g.pollWait(t0.Add(20 * time.Millisecond)); w != 100*time.Millisecond {
		t.Fatalf("a quiet-eligible batch: poll waits %s, want the idle time", w)
	}
	g.cut(nil, t0.Add(60*time.Millisecond), 60*time.Millisecond)
	if w := g.pollWait(t0.Add(60 * time.Millisecond)); w != 40*time.Millisecond {
		t.Fatalf("after 60ms of quiet: poll waits %s, want 40ms", w)
	}
}
