package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/logmart/logmart/store"
	"github.com/logmart/logmart/store/chdb"
)

var testStore *chdb.Engine

func TestMain(m *testing.M) {
	Main(m, "storetest", func(st *chdb.Engine) { testStore = st })
}

// TestDatabasesAreMigratedAndApart: Main's database and each Database hold
// the current schema, and rows written in one are not seen in another.
func TestDatabasesAreMigratedAndApart(t *testing.T) {
	ctx := context.Background()
	a, b := Database(t), Database(t)
	if a.Database() == b.Database() || a.Database() == testStore.Database() {
		t.Fatalf("databases %q, %q and %q are not apart", testStore.Database(), a.Database(), b.Database())
	}
	if err := a.Exec(ctx, store.Query{SQL: "INSERT INTO logs (timestamp, service, body) SETTINGS insert_deduplicate = 0 VALUES (now64(3), 'a', 'x')"}); err != nil {
		t.Fatal(err)
	}
	for st, want := range map[*chdb.Engine]string{testStore: "0", a: "1", b: "0"} {
		res, err := st.Query(ctx, store.Query{SQL: "SELECT count() FROM logs"})
		if err != nil {
			t.Fatalf("%s: %v", st.Database(), err)
		}
		if got := fmt.Sprint(res.Rows[0][0]); got != want {
			t.Fatalf("%s: %v rows, want %s", st.Database(), got, want)
		}
		res, err = st.Query(ctx, store.Query{SQL: "SELECT count() FROM schema_migrations"})
		if err != nil || len(res.Rows) != 1 {
			t.Fatalf("%s is not migrated: %v", st.Database(), err)
		}
	}
}
