// Package storetest gives tests the real embedded ClickHouse (store/chdb),
// migrated to the current schema, instead of a mock.
//
// The engine boots once per process on one data path and cannot move, so a
// test package boots it in its TestMain, on a temporary folder removed when
// the tests end:
//
//	var testStore *chdb.Engine
//
//	func TestMain(m *testing.M) {
//		storetest.Main(m, "server_test", func(st *chdb.Engine) { testStore = st })
//	}
//
// Tests that need tables of their own (empty ones, or rows other tests must
// not see) take a fresh database on the same engine with Database. A
// missing engine library fails the package, with the command that fetches
// it; it never skips.
//
// store/chdb's own tests cannot use this package (it imports store/chdb, so
// importing it from chdb's in-package tests is an import cycle); they boot
// the engine themselves, which is what they test.
package storetest

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/logmart/logmart/store"
	"github.com/logmart/logmart/store/chdb"
)

var (
	mu     sync.Mutex
	path   string // the data folder Main booted the engine on
	prefix string // Main's database, the start of Database's names
	seq    int
)

// Main is a test package's TestMain: it boots the embedded engine on a
// temporary folder, opens database on it migrated to the current schema,
// hands it to use (which may be nil), runs the tests, then closes the
// database, removes the folder and exits with the tests' code. When the
// engine cannot start (its library is missing, or the schema does not
// apply) it prints why to stderr and exits 1 before any test runs.
func Main(m *testing.M, database string, use func(st *chdb.Engine)) {
	os.Exit(run(m, database, use))
}

func run(m *testing.M, database string, use func(st *chdb.Engine)) int {
	dir, err := os.MkdirTemp("", "logmart-"+database+"-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "storetest: cannot create the engine folder:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	mu.Lock()
	if path != "" {
		mu.Unlock()
		fmt.Fprintln(os.Stderr, "storetest: Main called twice")
		return 1
	}
	path, prefix = dir, database
	mu.Unlock()
	st, err := Open(database)
	if err != nil {
		fmt.Fprintf(os.Stderr, "storetest: these tests need the embedded ClickHouse engine: %v\n", err)
		return 1
	}
	defer st.Close()
	if use != nil {
		use(st)
	}
	return m.Run()
}

// Open opens database on the engine Main booted (creating it if needed) and
// migrates it to the current schema. The caller closes it; for a database
// that lives as long as one test, use Database.
func Open(database string) (*chdb.Engine, error) {
	mu.Lock()
	dir := path
	mu.Unlock()
	if dir == "" {
		return nil, fmt.Errorf("storetest: the embedded engine is not booted: call storetest.Main from the package's TestMain")
	}
	cfg := chdb.Default()
	cfg.Path = dir
	st, err := chdb.Open(cfg, database, nil)
	if err != nil {
		return nil, err
	}
	if err := store.Migrate(context.Background(), st, nil); err != nil {
		st.Close()
		return nil, fmt.Errorf("cannot migrate database %q: %w", database, err)
	}
	return st, nil
}

// Database opens a new, migrated database on the engine Main booted, named
// after Main's database with a sequence number, and closes it when t ends.
// The folder Main removes holds its data.
func Database(t testing.TB) *chdb.Engine {
	t.Helper()
	mu.Lock()
	seq++
	name := fmt.Sprintf("%s_%d", prefix, seq)
	mu.Unlock()
	st, err := Open(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
