package ingest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/logmart/logmart/store"
)

func TestRangesRoundTrip(t *testing.T) {
	for _, ranges := range [][]intent{nil, {{0, 0}}, {{5, 99}, {100, 100}, {101, 1 << 40}}} {
		meta := encodeRanges(ranges)
		got, ours, err := parseRanges(meta)
		if err != nil || !ours || fmt.Sprint(got) != fmt.Sprint(ranges) {
			t.Fatalf("%q read back as %v (ours %v, err %v), want %v", meta, got, ours, err, ranges)
		}
	}
	// What other clients and earlier versions commit is not ours.
	for _, meta := range []string{"", "kgo-3f2a-member", "logmart/2:1-2"} {
		if got, ours, err := parseRanges(meta); ours || err != nil || got != nil {
			t.Fatalf("%q taken as ranges %v (ours %v, err %v)", meta, got, ours, err)
		}
	}
	// Ours but damaged: the error names the range at fault.
	for meta, bad := range map[string]string{
		"logmart/1:5-3":       `"5-3"`,
		"logmart/1:1-2,2-3":   `"2-3"`,
		"logmart/1:1-2,,4-5":  `""`,
		"logmart/1:x-2":       `"x-2"`,
		"logmart/1:-1-2":      `"-1-2"`,
		"logmart/1:1-2;DROP":  `"1-2;DROP"`,
		"logmart/1:7":         `"7"`,
		"logmart/1:1-2,10-9x": `"10-9x"`,
	} {
		_, ours, err := parseRanges(meta)
		if !ours || err == nil || !strings.Contains(err.Error(), bad) {
			t.Fatalf("%q: err %v, want one naming %s", meta, err, bad)
		}
	}
}

func TestPendingFrom(t *testing.T) {
	list := []intent{{0, 9}, {10, 19}, {20, 29}}
	for off, want := range map[int64]string{0: "[{0 9} {10 19} {20 29}]", 10: "[{10 19} {20 29}]", 15: "[{10 19} {20 29}]", 30: "[]"} {
		if got := fmt.Sprint(pendingFrom(list, off)); got != want {
			t.Fatalf("from %d: %s, want %s", off, got, want)
		}
	}
}

// Batches an earlier version recorded in ingest_batches, and that its
// commits do not list, are still cut at the recorded offsets.
func TestRangesInIngestBatchesStillCut(t *testing.T) {
	st := newStore(t)
	_, opts := newKafka(t)
	produce(t, opts, logRecords(8000, 7))
	ctx := context.Background()
	for p := range 4 {
		err := st.Exec(ctx, store.Query{SQL: fmt.Sprintf(
			"INSERT INTO ingest_batches (topic, partition, first_offset, last_offset) VALUES ('logs', %d, 0, %d)", p, 123+p)})
		if err != nil {
			t.Fatal(err)
		}
	}
	g, err := New(testConfig("g-legacy"), st, opts, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		first = map[int32]int64{}
	)
	g.OnWritten(func(_ string, p int32, last int64) {
		mu.Lock()
		defer mu.Unlock()
		if _, ok := first[p]; !ok {
			first[p] = last
		}
	})
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); g.Run(rctx) }()
	waitCount(t, st, "SELECT count() FROM logs", 8000)
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	for p := range int32(4) {
		if first[p] != int64(123+p) {
			t.Fatalf("partition %d: first batch ended at %d, want %d as recorded", p, first[p], 123+p)
		}
	}
}

// A partition at maxPending refuses the whole record, and no other
// partition keeps ranges from it that were never committed.
func TestRecordRefusedLeavesNoRanges(t *testing.T) {
	g := &Ingester{ledgers: map[tp]*ledger{}}
	full, free := tp{"logs", 0}, tp{"logs", 1}
	for i := range maxPending {
		g.ledgerOf(full).pending = append(g.ledgerOf(full).pending, intent{int64(10 * i), int64(10*i + 9)})
	}
	g.ledgerOf(free).pending = []intent{{0, 9}}
	ready := map[tp][]*partBatch{
		free: {{topic: "logs", partition: 1, first: 10, last: 19}},
		full: {{topic: "logs", partition: 0, first: 10 * maxPending, last: 10*maxPending + 9}},
	}
	err := g.record(context.Background(), ready)
	if err == nil || !strings.Contains(err.Error(), "logs/0") {
		t.Fatalf("err = %v, want a refusal naming logs/0", err)
	}
	if got := fmt.Sprint(g.ledgers[free].pending); got != "[{0 9}]" {
		t.Fatalf("logs/1 holds %s after the refusal, want [{0 9}]", got)
	}
	if n := len(g.ledgers[full].pending); n != maxPending {
		t.Fatalf("logs/0 holds %d ranges, want %d", n, maxPending)
	}
}
