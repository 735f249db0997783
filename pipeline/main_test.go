package pipeline

import (
	"testing"

	"github.com/logmart/logmart/store/chdb"
	"github.com/logmart/logmart/store/storetest"
)

// testStore is the embedded ClickHouse engine, migrated to the current
// schema; tests that write rows take a database of their own
// (storetest.Database).
var testStore *chdb.Engine

func TestMain(m *testing.M) {
	storetest.Main(m, "pipeline_test", func(st *chdb.Engine) { testStore = st })
}

// testDatabase is a fresh database on the engine, for a test's own rows.
func testDatabase(t testing.TB) *chdb.Engine {
	t.Helper()
	return storetest.Database(t)
}
