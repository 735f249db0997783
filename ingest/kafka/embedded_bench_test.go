package kafka

import (
	"bytes"
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

// BenchmarkEmbeddedProduce measures what fsync on every batch costs the
// embedded broker: "batched" is a producer keeping many records in flight
// (ingest-like traffic, large batches), "one-by-one" waits for each record's
// acknowledgement (every record is its own batch and its own fsync). Both
// report records/s; run with -benchtime=20000x or so.
func BenchmarkEmbeddedProduce(b *testing.B) {
	value := bytes.Repeat([]byte("x"), 250)
	for _, fsync := range []bool{true, false} {
		name := "fsync"
		if !fsync {
			name = "nofsync"
		}
		for _, mode := range []string{"batched", "one-by-one"} {
			b.Run(name+"/"+mode, func(b *testing.B) {
				cfg := Default()
				cfg.Listen = "127.0.0.1:0"
				cfg.DataDir = filepath.Join(b.TempDir(), "kafka")
				e, err := startEmbedded(cfg, nil, fsync)
				if err != nil {
					b.Fatal(err)
				}
				defer e.Close()
				cl := newClient(b, e.Config(), kgo.ProducerLinger(0))
				ctx := context.Background()
				b.SetBytes(int64(len(value)))
				b.ResetTimer()
				if mode == "one-by-one" {
					for i := 0; i < b.N; i++ {
						if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "logs", Value: value}).FirstErr(); err != nil {
							b.Fatal(err)
						}
					}
				} else {
					var wg sync.WaitGroup
					wg.Add(b.N)
					for i := 0; i < b.N; i++ {
						cl.Produce(ctx, &kgo.Record{Topic: "logs", Value: value}, func(_ *kgo.Record, err error) {
							if err != nil {
								b.Error(err)
							}
							wg.Done()
						})
					}
					wg.Wait()
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
			})
		}
	}
}
