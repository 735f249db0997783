package query

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/logmart/logmart/store"
	"github.com/logmart/logmart/store/chdb"
)

// testStore is the package's one embedded engine (the engine loads once per
// process), migrated to the current schema.
var testStore *chdb.Engine

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "logmart-query-test-")
	if err != nil {
		panic(err)
	}
	cfg := chdb.Default()
	cfg.Path = dir
	testStore, err = chdb.Open(cfg, "query_test", nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "the query tests need the embedded engine:", err)
		os.Exit(1)
	}
	if err := store.Migrate(context.Background(), testStore, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	testStore.Close()
	os.RemoveAll(dir)
	os.Exit(code)
}
