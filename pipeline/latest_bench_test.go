package pipeline

import (
	"context"
	"testing"

	"github.com/logmart/logmart/store"
)

// BenchmarkLatestVersion compares the two ways of reading the latest
// version of each fact, on 1M interaction_facts rows (500k facts, each in
// two versions, unmerged): the *_latest view (FINAL) and argMax by version.
// Run: go test -run XXX -bench LatestVersion ./pipeline
func BenchmarkLatestVersion(b *testing.B) {
	st := testDatabase(b)
	ctx := context.Background()
	for v := 1; v <= 2; v++ {
		if err := st.Exec(ctx, store.Query{SQL: "INSERT INTO interaction_facts (tenant, id, media, start, `end`, result, talk_ms, version, deleted) " +
			"SELECT 't', toString(number), 'voice', toDateTime64('2026-03-02 00:00:00', 3, 'UTC') + number % 86400, " +
			"toDateTime64('2026-03-02 00:05:00', 3, 'UTC') + number % 86400, if(number % 10 = 0, 'abandoned_in_queue', 'completed'), " +
			"number % 600000 + " + string(rune('0'+v)) + ", " + string(rune('0'+v)) + ", 0 FROM numbers(500000)"}); err != nil {
			b.Fatal(err)
		}
	}
	queries := map[string]string{
		"final":  "SELECT result, count(), avg(talk_ms) FROM interaction_facts_latest GROUP BY result",
		"argmax": "SELECT result, count(), avg(talk) FROM (SELECT argMax(result, version) AS result, argMax(talk_ms, version) AS talk, argMax(deleted, version) AS del FROM interaction_facts GROUP BY tenant, id) WHERE del = 0 GROUP BY result",
	}
	for name, q := range queries {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := st.Query(ctx, store.Query{SQL: q}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
