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

// A statement guarded by a MergeTree setting runs where the engine knows the
// setting and is skipped where it does not.
func TestMigrateSkipsStatementsForUnknownSettings(t *testing.T) {
	ctx := context.Background()
	if err := store.Migrate(ctx, testEngine, nil); err != nil {
		t.Fatal(err)
	}
	res, err := testEngine.Query(ctx, store.Query{SQL: "SELECT engine_full FROM system.tables WHERE database = currentDatabase() AND name = 'logs'"})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Rows[0][0].(string); !strings.Contains(got, "merge_selector_base = 20") || !strings.Contains(got, "min_bytes_for_wide_part = 268435456") {
		t.Fatalf("logs settings not applied:\n%s", got)
	}
	for _, tc := range []struct {
		sql  string
		want bool
	}{
		{"SELECT 1", true},
		{"-- requires merge_tree_setting merge_selector_base\nALTER TABLE logs MODIFY SETTING merge_selector_base = 20", true},
		{"-- requires merge_tree_setting no_such_setting_in_any_version\nALTER TABLE logs MODIFY SETTING no_such_setting_in_any_version = 1", false},
	} {
		ok, err := store.Supported(ctx, testEngine, tc.sql)
		if err != nil || ok != tc.want {
			t.Fatalf("%q: supported %v, %v; want %v", tc.sql, ok, err, tc.want)
		}
	}
}
