package pipeline_test

import (
	"testing"
	"time"

	"github.com/logmart/logmart/internal/demo"
	"github.com/logmart/logmart/pipeline"
)

// BenchmarkProcessor measures the state machines alone, as the runner
// drives them: decode, apply, flush and changelog per 1000 records.
func BenchmarkProcessor(b *testing.B) {
	recs, _ := demo.SimulateContactCenter(demo.ContactCenterConfig{Seed: 1, Agents: 50, Calls: 20000, MeanGap: 5 * time.Second})
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		p := pipeline.NewProcessor(pipeline.DefaultConfig())
		var newest int64
		for i, r := range recs {
			newest = max(newest, p.Process(r.Topic, 0, int64(i), r.Value))
			if i%1000 == 999 {
				p.Advance(newest)
				p.Flush()
				if _, err := p.TakeChanges(); err != nil {
					b.Fatal(err)
				}
			}
		}
		n += len(recs)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}
