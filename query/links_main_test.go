package query

import (
	"testing"

	"github.com/logmart/logmart/store/chdb"
	"github.com/logmart/logmart/store/storetest"
)

// testStore is the package's database on the embedded engine, migrated to
// the current schema.
var testStore *chdb.Engine

func TestMain(m *testing.M) {
	storetest.Main(m, "query_test", func(st *chdb.Engine) { testStore = st })
}
