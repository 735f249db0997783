package server

import (
	"reflect"
	"testing"

	"github.com/logmart/logmart/store"
)

// TestZonedTimes: before, the API passed ClickHouse's zone-less time text
// through ("2026-11-21 10:00:00.123"), and a browser in New York read it
// as local time, five hours off the UTC it was.
func TestZonedTimes(t *testing.T) {
	f := func(typ string, in, want any) {
		t.Helper()
		rows := [][]any{{in, "x"}}
		got := zonedTimes([]store.Column{{Name: "t", Type: typ}, {Name: "s", Type: "String"}}, rows)
		if !reflect.DeepEqual(got[0][0], want) {
			t.Errorf("%s %v: got %v, want %v", typ, in, got[0][0], want)
		}
		if rows[0][0] != in {
			t.Errorf("%s: the input row changed to %v", typ, rows[0][0])
		}
	}
	f("DateTime64(3)", "2026-11-21 10:00:00.123", "2026-11-21T10:00:00.123Z")
	f("DateTime", "2026-11-21 10:00:00", "2026-11-21T10:00:00Z")
	f("Nullable(DateTime64(3))", nil, nil)
	f("DateTime64(3, 'UTC')", "2026-11-21 10:00:00.500", "2026-11-21T10:00:00.500Z")
	f("DateTime('America/New_York')", "2026-11-21 05:00:00", "2026-11-21T05:00:00-05:00")
	f("DateTime64(6, 'Europe/Paris')", "2026-07-01 12:00:00.000001", "2026-07-01T12:00:00.000001+02:00")
	f("Date", "2026-11-21", "2026-11-21")
	f("String", "2026-11-21 10:00:00", "2026-11-21 10:00:00")
	f("DateTime", "2026-11-21T10:00:00Z", "2026-11-21T10:00:00Z")
}
