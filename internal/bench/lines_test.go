package bench

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/logmart/logmart/internal/demo"
)

// Pool lines carry the time they are produced at, and are the generator's
// lines otherwise.
func TestLinePool(t *testing.T) {
	p, err := newLinePool(demo.LogLine, 1, 3)
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

// The two shapes differ as documented: compact lines leave out the http
// object and the user, and are about 245 bytes against about 310.
func TestLineShapes(t *testing.T) {
	avg := map[string]float64{}
	for name, gen := range lineShapes {
		p, err := newLinePool(gen, 7, 20000)
		if err != nil {
			t.Fatal(err)
		}
		avg[name] = float64(p.size()) / float64(len(p.ends))
		for i := range len(p.ends) {
			line := p.appendLine(nil, i, []byte(time.Now().UTC().Format(tsLayout)))
			var v map[string]any
			if err := json.Unmarshal(line, &v); err != nil {
				t.Fatalf("%s line %d is not JSON: %v", name, i, err)
			}
			_, http := v["http"]
			if name == "compact" && (http || v["user"] != nil) {
				t.Fatalf("compact line %d has http or user: %s", i, line)
			}
		}
	}
	if avg["compact"] < 200 || avg["compact"] > 280 || avg["rich"] < 280 || avg["rich"] > 360 {
		t.Fatalf("average line bytes %v, want compact about 245 and rich about 310", avg)
	}
}
