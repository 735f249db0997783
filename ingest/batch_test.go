package ingest

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// benchBatchRows is the batch size production writes at (ingest.batch.rows).
const benchBatchRows = 100_000

// BenchmarkBatchAdd measures the ingest hot path per record: one demo log
// line from a fetched record to a row of the logs batch (decode, route,
// column appends). Batches are cut and their columns recycled every
// benchBatchRows records, as the ingester does after a write.
func BenchmarkBatchAdd(b *testing.B) {
	lines, mean := benchLines(8192)
	routes, err := CompileStreams(DefaultStreams())
	if err != nil {
		b.Fatal(err)
	}
	t := TopicConfig{Topic: "logs", Table: "logs", Format: "json", Stream: "default"}
	sent := time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)
	recs := make([]kgo.Record, len(lines))
	for i, l := range lines {
		recs[i] = kgo.Record{Topic: "logs", Value: l, Timestamp: sent}
	}
	now := time.Now()
	pb := newPartBatch(t, 0, 1<<20, routes)
	add := func(i int) {
		if pb.n == benchBatchRows {
			if len(pb.deadRecs) > 0 {
				b.Fatalf("%d dead letters", len(pb.deadRecs))
			}
			pb.release()
			pb = newPartBatch(t, 0, 1<<20, routes)
		}
		r := &recs[i%len(recs)]
		r.Offset = int64(i)
		pb.add(r, now)
	}
	// One batch first, so the timed ones reuse grown columns as in steady
	// state.
	for i := range benchBatchRows {
		add(i)
	}
	b.SetBytes(int64(mean))
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		add(benchBatchRows + i)
	}
	b.StopTimer()
	if len(pb.deadRecs) > 0 {
		b.Fatalf("%d dead letters", len(pb.deadRecs))
	}
	pb.release()
}
