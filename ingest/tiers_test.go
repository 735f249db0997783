package ingest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/logmart/logmart/store"
)

func TestTierTimes(t *testing.T) {
	f := func(rule StreamRule, warm, cold, keep int, wantErr string) {
		t.Helper()
		rule.Name, rule.Match = "edge", "true"
		r, err := CompileStreams(StreamsFile{Streams: []StreamRule{rule, {Name: "default"}}})
		if wantErr != "" {
			if err == nil || err.Error() != "streams[0] (edge): "+wantErr {
				t.Errorf("%+v: error %v, want %q", rule, err, wantErr)
			}
			return
		}
		if err != nil {
			t.Fatalf("%+v: %v", rule, err)
		}
		got := r.Named("edge")
		w, c := got.TierDays()
		if w != warm || c != cold || got.RetentionDays != keep {
			t.Errorf("%+v: warm %d, cold %d, kept %d days; want %d, %d, %d", rule, w, c, got.RetentionDays, warm, cold, keep)
		}
	}
	f(StreamRule{Hot: "1d", ColdAfter: "7d", DeleteAfter: "30d"}, 1, 7, 30, "")
	f(StreamRule{WarmAfter: "48h", ColdAfter: "168h", RetentionDays: 90}, 2, 7, 90, "")
	f(StreamRule{Hot: "2d", WarmAfter: "2d"}, 2, 0, 30, "")
	f(StreamRule{ColdAfter: "7d"}, 0, 7, 30, "")
	f(StreamRule{}, 0, 0, 30, "")
	f(StreamRule{Hot: "1d", WarmAfter: "2d"}, 0, 0, 0, "hot 1d and warm_after 2d disagree: both say when rows leave the hot tier; give one")
	f(StreamRule{Hot: "7d", ColdAfter: "7d"}, 0, 0, 0, "cold_after 7d must be later than the hot tier's end (7d)")
	f(StreamRule{ColdAfter: "30d"}, 0, 0, 0, "cold_after 30d must be earlier than the deletion at 30d (delete_after or retention_days)")
	f(StreamRule{DeleteAfter: "30d", RetentionDays: 14}, 0, 0, 0, "delete_after 30d and retention_days 14 disagree; give one")
	f(StreamRule{Hot: "1 day"}, 0, 0, 0, `hot "1 day" must be whole days such as 7d (or hours making whole days, 48h)`)
	f(StreamRule{Hot: "36h"}, 0, 0, 0, `hot "36h" must be whole days such as 7d (or hours making whole days, 48h)`)
	f(StreamRule{DeleteAfter: "0d"}, 0, 0, 0, `delete_after "0d" must be between 1d and 3650d`)
}

// TestTiersMoveAndDelete: a stream hot for a day, cold at 7 days and
// deleted at 30. Rows ingested with ages of 2 hours, 3 days and 10 days,
// and a row 31 days old, are on the hot, warm and cold disks and gone
// after the TTL merge, as system.parts shows.
func TestTiersMoveAndDelete(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	res, err := st.Query(ctx, store.Query{SQL: "SELECT storage_policy FROM system.tables WHERE database = currentDatabase() AND name = 'logs'"})
	if err != nil {
		t.Fatal(err)
	}
	if p := store.CellString(res.Rows[0][0]); p != "logmart_tiers" {
		t.Fatalf("logs is on storage policy %q, want logmart_tiers (schema step 0017 and the engine's generated config)", p)
	}
	_, opts := newKafka(t)
	routes := streamsFile(t, `streams:
  - name: edge
    match: 'service == "edge"'
    hot: 1d
    cold_after: 7d
    delete_after: 30d
  - name: default
`)
	now := time.Now().UTC()
	ages := map[string]time.Duration{"hot": 2 * time.Hour, "warm": 3 * 24 * time.Hour, "cold": 10 * 24 * time.Hour}
	var recs []*kgo.Record
	for name, age := range ages {
		recs = append(recs, &kgo.Record{Topic: "logs",
			Value: fmt.Appendf(nil, `{"ts":%q,"service":"edge","message":%q}`, now.Add(-age).Format(time.RFC3339), name)})
	}
	produce(t, opts, recs)
	stop := runIngester(t, testConfig("g-tiers"), st, opts, routes)
	waitCount(t, st, "SELECT count() FROM logs WHERE stream = 'edge' AND warm_after_days = 1 AND cold_after_days = 7 AND retention_days = 30", 3)
	stop()
	// A row of the stream that has reached its deletion.
	if err := st.Exec(ctx, store.Query{SQL: `INSERT INTO logs (timestamp, stream, service, body, retention_days, warm_after_days, cold_after_days)
		VALUES (now64(3) - INTERVAL 31 DAY, 'edge', 'edge', 'expired', 30, 1, 7)`}); err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{"OPTIMIZE TABLE logs FINAL", "ALTER TABLE logs MATERIALIZE TTL SETTINGS mutations_sync = 2"} {
		if err := st.Exec(ctx, store.Query{SQL: sql}); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	want := map[string]string{"hot": "default", "warm": "warm", "cold": "cold"}
	deadline := time.Now().Add(60 * time.Second)
	for {
		got := map[string]string{}
		res, err := st.Query(ctx, store.Query{SQL: `SELECT l.body, p.disk_name FROM logs AS l
			INNER JOIN (SELECT name, disk_name FROM system.parts WHERE database = currentDatabase() AND table = 'logs' AND active) AS p
			ON l._part = p.name`})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res.Rows {
			got[store.CellString(r[0])] = store.CellString(r[1])
		}
		ok := len(got) == len(want)
		for k, v := range want {
			ok = ok && got[k] == v
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("rows by disk after the TTL merge: %v; want %v and the expired row gone", got, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
