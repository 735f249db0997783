package chdb

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/logmart/logmart/store"
)

func TestMigrateIsIdempotent(t *testing.T) {
	ctx := context.Background()
	for range 2 {
		if err := store.Migrate(ctx, testEngine, nil); err != nil {
			t.Fatal(err)
		}
	}
	migs, _ := store.Migrations("")
	res, err := testEngine.Query(ctx, store.Query{SQL: "SELECT count(), uniqExact(version) FROM schema_migrations"})
	if err != nil {
		t.Fatal(err)
	}
	want := json.Number(itoa(len(migs)))
	if res.Rows[0][0] != want || res.Rows[0][1] != want {
		t.Fatalf("schema_migrations rows = %v, want %s each", res.Rows[0], want)
	}
	for _, tbl := range []string{"logs", "metrics", "events", "dead_letters", "query_log"} {
		if _, err := testEngine.Query(ctx, store.Query{SQL: "SELECT count() FROM " + tbl}); err != nil {
			t.Fatalf("table %s: %v", tbl, err)
		}
	}
}

func TestMigrationsRenderForACluster(t *testing.T) {
	migs, err := store.Migrations("prod")
	if err != nil {
		t.Fatal(err)
	}
	st := migs[0].Statements[0]
	if !strings.Contains(st, "ON CLUSTER `prod`") || !strings.Contains(st, "ReplicatedMergeTree") {
		t.Fatalf("cluster DDL not rendered:\n%s", st)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
