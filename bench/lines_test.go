package bench

import (
	"encoding/json"
	"testing"
	"time"
)

// Pool lines carry the time they are produced at, and are the generator's
// lines otherwise.
func TestLinePool(t *testing.T) {
	p, err := newLinePool(1, 3)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 21, 19, 12, 0, 0, time.UTC) // trailing zeros in the fraction
	var dst []byte
	for i := range 4 {
		k := len(dst)
		dst = p.appendLine(dst, i, stamp(nil, now))
		line := string(dst[k:])
		want := `{"timestamp":"2026-11-21T19:12:00.000000000Z","level":"`
		if len(line) < len(want) || line[:len(want)] != want {
			t.Fatalf("line %d: %s", i, line)
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("line %d is not JSON: %v\n%s", i, err, line)
		}
	}
	if a, b := string(p.appendLine(nil, 0, stamp(nil, now))), string(p.appendLine(nil, 3, stamp(nil, now))); a != b {
		t.Fatalf("the pool does not cycle:\n%s\n%s", a, b)
	}
}
