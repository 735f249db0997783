package chdb

import (
	"context"
	"testing"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/store"
)

// Regression: throwIf, intDiv(1, 0), a missing alias and other statements
// a user got wrong answered 500 "internal error" and logged at ERROR; the
// codes were listed one by one as user errors and these were not listed.
func TestUserErrorsAreBadInput(t *testing.T) {
	f := func(sql string, want fault.Kind) {
		t.Helper()
		_, err := testEngine.Query(context.Background(), store.Query{SQL: sql, Settings: store.Settings{ReadOnly: true, MaxResultRows: 10}})
		if err == nil {
			t.Fatalf("%s: succeeded", sql)
		}
		if k := store.KindOf(err); k != want {
			t.Fatalf("%s: kind %s (%v), want %s", sql, k, err, want)
		}
	}
	f("SELECT throwIf(1)", fault.BadInput)
	f("SELECT intDiv(1, 0)", fault.BadInput)
	f("SELECT x", fault.BadInput)
	f("SELECT a FROM (SELECT 1 AS b)", fault.BadInput)
	f("SELECT toDate('not a date')", fault.BadInput)
	f("SELECT CAST('x' AS UInt8)", fault.BadInput)
	f("SELECT arrayElement([1], 'a')", fault.BadInput)
	f("SELECT nosuchfunction(1)", fault.BadInput)
	f("SELECT * FROM nosuchtable", fault.BadInput)
	f("SELECT sleep(10)", fault.Limit)
	f("SELECT number FROM numbers(100)", fault.Limit)
	f("CREATE TABLE x (a UInt8) ENGINE = Memory", fault.Forbidden)
}
