package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"syscall"
	"time"

	"github.com/logmart/logmart/store"
	"github.com/logmart/logmart/store/chdb"
)

func cpu() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func main() {
	cfg := chdb.Default()
	cfg.Path = os.Args[1]
	st, err := chdb.Open(cfg, "logmart", slog.Default())
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	ex := func(sql string) {
		if err := st.Exec(ctx, store.Query{SQL: sql}); err != nil {
			panic(fmt.Sprint(sql, err))
		}
	}
	ex("DROP TABLE IF EXISTS src")
	ex("CREATE TABLE src ENGINE = Memory AS SELECT * FROM logs LIMIT 100000")
	variants := map[string]string{}
	base := `CREATE TABLE %s (
    timestamp       DateTime64(3) CODEC(Delta, %s),
    stream          LowCardinality(String),
    source          LowCardinality(String),
    service         LowCardinality(String),
    host            LowCardinality(String),
    level           LowCardinality(String),
    body            String CODEC(%s),
    attributes      Map(LowCardinality(String), String) CODEC(%s),
    trace_id        String CODEC(%s),
    ingest_time     DateTime64(3) CODEC(Delta, %s),
    retention_days  UInt16 DEFAULT 30,
    kafka_topic     LowCardinality(String),
    kafka_partition Int32 CODEC(%s),
    kafka_offset    Int64 CODEC(Delta, %s)
    %s
) ENGINE = MergeTree PARTITION BY toDate(timestamp) ORDER BY (stream, service, level, timestamp)
SETTINGS non_replicated_deduplication_window = 10000, min_bytes_for_wide_part = 268435456, parts_to_throw_insert=10000`
	idx := `, INDEX idx_body body TYPE tokenbf_v1(8192, 3, 0) GRANULARITY 4, INDEX idx_trace trace_id TYPE bloom_filter(0.01) GRANULARITY 4`
	mk := func(name, z1, z3, index string) {
		variants[name] = fmt.Sprintf(base, name, z1, z3, z1, z1, z1, z1, z1, index)
	}
	mk("v_current", "ZSTD(1)", "ZSTD(3)", idx)
	mk("v_noidx", "ZSTD(1)", "ZSTD(3)", "")
	mk("v_trace", "ZSTD(1)", "ZSTD(3)", `, INDEX idx_trace trace_id TYPE bloom_filter(0.01) GRANULARITY 4`)
	mk("v_body", "ZSTD(1)", "ZSTD(3)", `, INDEX idx_body body TYPE tokenbf_v1(8192, 3, 0) GRANULARITY 4`)
	order := []string{"v_current", "v_noidx", "v_trace", "v_body"}
	for _, n := range order {
		ex("DROP TABLE IF EXISTS " + n)
		ex(variants[n])
		ex("SYSTEM STOP MERGES " + n)
	}
	res := map[string][]time.Duration{}
	for round := 0; round < 8; round++ {
		for _, n := range order {
			c0 := cpu()
			ex("INSERT INTO " + n + " SELECT * FROM src SETTINGS insert_deduplicate=0")
			res[n] = append(res[n], cpu()-c0)
		}
	}
	for _, n := range order {
		fmt.Println(n, res[n])
	}
	q, _ := st.Query(ctx, store.Query{SQL: "SELECT table, formatReadableSize(sum(data_compressed_bytes)), formatReadableSize(sum(data_uncompressed_bytes)) FROM system.parts WHERE active AND database='logmart' AND table LIKE 'v_%' GROUP BY table ORDER BY table"})
	for _, r := range q.Rows {
		fmt.Println(r...)
	}
}
