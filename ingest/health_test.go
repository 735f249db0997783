package ingest

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// Partition health used to be one map for the whole process that nothing
// pruned: a partition revoked or lost in a rebalance stayed on the overview
// for as long as the process ran, its figures frozen. It now belongs to the
// Ingester that owns the partition and leaves with the partition.
func TestHealthLeavesWithThePartition(t *testing.T) {
	g := cutIngester(t)
	listed := func(list []PartitionHealth) string {
		out := ""
		for _, h := range list {
			out += fmt.Sprintf("%s/%d:%d ", h.Topic, h.Partition, h.Records)
		}
		return out
	}
	f := func(want string) {
		t.Helper()
		if got := listed(g.Health()); got != want {
			t.Fatalf("Ingester.Health: %q, want %q", got, want)
		}
		running.add(g)
		defer running.remove(g)
		if got := listed(Health()); got != want {
			t.Fatalf("Health: %q, want %q", got, want)
		}
	}
	// Full batches: cut at once, so nothing is held when partitions go.
	for p := range int32(3) {
		if ready := g.cut(fetchOf(p, 0, 10000, 10000), time.Now(), 0); len(ready) != 1 {
			t.Fatalf("partition %d: %d partitions with batches due, want 1", p, len(ready))
		}
	}
	f("logs/0:10000 logs/1:10000 logs/2:10000 ")
	g.onRevoked(context.Background(), g.cl, map[string][]int32{"logs": {0}})
	f("logs/1:10000 logs/2:10000 ")
	g.onLost(context.Background(), g.cl, map[string][]int32{"logs": {2}})
	f("logs/1:10000 ")
}
