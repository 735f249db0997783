package ingest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/logmart/logmart/internal/demo"
	"github.com/logmart/logmart/store"
	"github.com/logmart/logmart/store/storetest"
)

// cpuNow is the process's user and system CPU so far: the embedded
// engine's threads included.
func cpuNow(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkHotCodec measures the choice of the logs body's codec while
// hot: 1M demo lines inserted in blocks of 100k into a table like logs
// with the body in each codec, then merged into one part. It reports the
// CPU seconds of the inserts and of the merge (the process's, the engine's
// threads included), and the body's bytes on disk per line.
//
//	go test ./ingest -run X -bench HotCodec -benchtime 1x
func BenchmarkHotCodec(b *testing.B) {
	st := storetest.Database(b)
	ctx := context.Background()
	const n, block = 1_000_000, 100_000
	r := rand.New(rand.NewPCG(5, 5))
	start := time.Now().Add(-2 * time.Hour)
	lines := make([][]byte, n)
	for i := range lines {
		lines[i] = demo.LogLine(r, start.Add(time.Duration(i)*time.Millisecond), nil)
	}
	for _, codec := range []string{"ZSTD(3) warmup", "ZSTD(3)", "ZSTD(1)", "LZ4", "LZ4 again", "ZSTD(3) again"} {
		b.Run(codec, func(b *testing.B) {
			codec, again, _ := strings.Cut(codec, " ")
			table := "codec_" + strings.NewReplacer("(", "_", ")", "").Replace(codec) + again
			for range b.N {
				for _, sql := range []string{"DROP TABLE IF EXISTS " + table, fmt.Sprintf(`CREATE TABLE %s (timestamp DateTime64(3) CODEC(Delta, ZSTD(1)),
  body String CODEC(%s)) ENGINE = MergeTree ORDER BY timestamp SETTINGS min_bytes_for_wide_part = 268435456`, table, codec)} {
					if err := st.Exec(ctx, store.Query{SQL: sql}); err != nil {
						b.Fatal(err)
					}
				}
				before := cpuNow(b)
				for first := 0; first < n; first += block {
					ts, body := &store.Int64Column{Name: "timestamp", Type: "DateTime64(3)"}, &store.StringColumn{Name: "body"}
					for i := first; i < first+block; i++ {
						ts.Append(start.Add(time.Duration(i) * time.Millisecond).UnixMilli())
						body.AppendBytes(lines[i])
					}
					if err := st.Insert(ctx, table, &store.Block{Cols: []store.BlockColumn{ts, body}}, ""); err != nil {
						b.Fatal(err)
					}
				}
				inserted := cpuNow(b)
				if err := st.Exec(ctx, store.Query{SQL: "OPTIMIZE TABLE " + table + " FINAL"}); err != nil {
					b.Fatal(err)
				}
				merged := cpuNow(b)
				res, err := st.Query(ctx, store.Query{SQL: `SELECT sum(column_data_compressed_bytes) FROM system.parts_columns
WHERE database = currentDatabase() AND table = {t:String} AND column = 'body' AND active`, Params: map[string]string{"t": table}})
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric((inserted - before).Seconds(), "insert-cpu-s")
				b.ReportMetric((merged - inserted).Seconds(), "merge-cpu-s")
				b.ReportMetric(float64(store.CellUint64(res.Rows[0][0]))/n, "body-bytes/line")
			}
		})
	}
}
