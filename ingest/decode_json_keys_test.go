package ingest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// checkLikeFresh decodes each record with d, which remembers the keys of
// the records before, and with a decoder that has seen nothing: they must
// agree on the row or the error.
func checkLikeFresh(t *testing.T, d decoder, records []string) {
	t.Helper()
	for _, in := range records {
		want, werr := decodeString(newDecoder(TopicConfig{Format: "json"}), in)
		got, err := decodeString(d, in)
		if got != want || fmt.Sprint(err) != fmt.Sprint(werr) {
			t.Fatalf("%s:\n got  %s (%v)\n want %s (%v)", in, got, err, want, werr)
		}
	}
}

func TestJSONKeyPrediction(t *testing.T) {
	checkLikeFresh(t, newDecoder(TopicConfig{Format: "json"}), []string{
		`{"a":1,"b":{"c":2},"msg":"x"}`,
		`{"a":1,"b":{"c":2},"msg":"x"}`,  // all predicted
		`{"ab":1,"b":{"c":2},"msg":"x"}`, // a longer key where a shorter was
		`{"a":1,"b":{"cd":2},"ms":"x"}`,  // shorter keys where longer were
		`{"a":1,"c":{"c":2},"msg":"x"}`,  // same leaf, other prefix
		`{"a":1,"c":2,"msg":"x"}`,        // same key, no longer nested
		`{"a":1,"b":{"c":{"c":3}},"msg":"x"}`,
		`{"\u0061":1,"b":{"\u0063":2},"m\u0073g":"x"}`, // escaped spellings
		`{"a":1,"b":{"c":2},"msg":"x"}`,
		`{"a\"":1,"b":{"c\\":2},"msg\n":"x"}`, // escapes after the plain key
		`{"a":1,"b":{"c":2},"msg":"x"}`,
		`{"a" :1, "b" : { "c" :2} ,"msg" : "x" }`,
		`{"a":1,"b":{"c":2},"msg`,   // cut inside a predicted key
		`{"a":1,"b":{"c":2},"msg"`,  // cut right after it
		`{"a":1,"b":{"c":2},"msg":`, // and after the colon
		`{"a":1,"b":{"c":2},"msg":"x"}`,
		`{"a":1,"b":{"c":2},"MSG":"x"}`,
		`{"":1,"b":{"":2},"msg":"x"}`,
		`{"":1,"b":{"":2},"msg":"x"}`,
		`{"é":1,"b":{"日本":2},"msg":"x"}`,
		`{"é":1,"b":{"日本":2},"msg":"x"}`,
		`{"a":1,"b":{"c":2},"msg":"x","msg":"y"}`,
		`{"a":1,"a":1,"a":1}`,
		`{"a":1,"b":{"c":2},"msg":"x"}`,
	})
}

// Random records over a few keys, nested and escaped at random, keep
// reading as a fresh decoder reads them.
func TestJSONKeyPredictionRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	names := []string{"a", "ab", "b", "msg", "message", "level", "Level", "http", "status", "é", "", "x.y"}
	var obj func(b *strings.Builder, depth int)
	obj = func(b *strings.Builder, depth int) {
		b.WriteByte('{')
		for i := range r.IntN(5) {
			if i > 0 {
				b.WriteByte(',')
			}
			name := names[r.IntN(len(names))]
			if name != "" && r.IntN(8) == 0 { // escape the first letter
				name = fmt.Sprintf(`\u%04x`, name[0]) + name[1:]
			}
			fmt.Fprintf(b, `"%s":`, name)
			switch {
			case depth < 3 && r.IntN(4) == 0:
				obj(b, depth+1)
			case r.IntN(2) == 0:
				fmt.Fprintf(b, `"v%d"`, r.IntN(10))
			default:
				fmt.Fprintf(b, `%d`, r.IntN(10))
			}
		}
		b.WriteByte('}')
	}
	d := newDecoder(TopicConfig{Format: "json"})
	var records []string
	for range 3000 {
		var b strings.Builder
		obj(&b, 0)
		records = append(records, b.String())
		if r.IntN(4) == 0 { // the same shape again, as most records are
			records = append(records, b.String())
		}
	}
	checkLikeFresh(t, d, records)
}

// Past maxShape keys a record's keys are read as before.
func TestJSONKeyPredictionManyKeys(t *testing.T) {
	var b strings.Builder
	b.WriteString("{")
	for i := range 3 * maxShape {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"k%d":{"n":%d}`, i, i)
	}
	b.WriteString("}")
	checkLikeFresh(t, newDecoder(TopicConfig{Format: "json"}), []string{b.String(), b.String(), `{"k0":{"n":1}}`, b.String()})
}
