package ingest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/logmart/logmart/internal/demo"
)

// benchLines returns n demo log lines (the logs topic as the demo traffic
// writes it) and their mean length.
func benchLines(n int) ([][]byte, int) {
	r := rand.New(rand.NewPCG(1, 2))
	now := time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.UTC)
	lines := make([][]byte, n)
	total := 0
	for i := range lines {
		lines[i] = demo.LogLine(r, now, nil)
		total += len(lines[i])
	}
	return lines, total / n
}

func BenchmarkJSONDecode(b *testing.B) {
	lines, mean := benchLines(256)
	d := newDecoder(TopicConfig{Format: "json"})
	var row logRow
	b.SetBytes(int64(mean))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		row.reset()
		if err := d.decode(lines[i%len(lines)], &row); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(mean), "line_bytes")
}

func TestJSONDecode(t *testing.T) {
	d := newDecoder(TopicConfig{Format: "json"})
	f := func(in, want string) {
		t.Helper()
		got, err := decodeString(d, in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if got != want {
			t.Fatalf("%s:\n got  %s\n want %s", in, got, want)
		}
	}
	// Columns and flattening.
	f(`{"timestamp":"2023-11-14T22:13:20Z","level":"WARNING","service":"api","host":"h1","message":"hi","trace_id":"abc","type":"signup"}`,
		`ts=1700000000000 service="api" host="h1" level="warn" body="hi" trace="abc" type="signup"`)
	f(`{"a":{"b":{"c":1,"d":"x"}},"e":true}`, `@a.b.c="1" @a.b.d="x" @e="true"`)
	f(`{"a":{"message":"nested is an attribute"}}`, `@a.message="nested is an attribute"`)
	f(`{}`, ``)
	f(" \t\r\n{ \"a\" : 1 }\n ", `@a="1"`)
	f(`{"a":{}}`, ``)
	// Arrays are kept as their JSON text.
	f(`{"tags":["a","b"],"n":[1,{"x":[2,null]}],"e":[]}`, `@tags="[\"a\",\"b\"]" @n="[1,{\"x\":[2,null]}]" @e="[]"`)
	// Nulls are dropped, for columns too.
	f(`{"a":null,"message":null,"b":{"c":null}}`, ``)
	// A column takes the first value; a repeat is an attribute. A number
	// for a text column is an attribute; an object or array there makes the
	// record a wrong_type dead letter (TestJSONWrongType). A number is a level
	// all the same: a syslog severity or a pino level.
	f(`{"msg":"one","message":"two","level":5}`, `level="info" body="one" @message="two"`) // a syslog severity number
	f(`{"level":50,"time":1710428966000}`, `ts=1710428966000 level="error"`)               // pino
	f(`{"level":true}`, `@level="true"`)
	// Escapes.
	f(`{"m":"q\"b\\s\/\b\f\n\r\t"}`, `@m="q\"b\\s/\b\f\n\r\t"`)
	f(`{"m":"\u00e9\u4e2d\u0000"}`, `@m="é中\x00"`)
	f(`{"m":"\ud83d\ude00"}`, `@m="😀"`)
	f(`{"m":"\uD83D\uDE00"}`, `@m="😀"`)
	f(`{"m":"a\ud83db"}`, `@m="a�b"`) // lone high surrogate
	f(`{"m":"a\ude00b"}`, `@m="a�b"`) // lone low surrogate
	f(`{"m":"\ud83d"}`, `@m="�"`)     // high surrogate at the end
	// Regression: a high surrogate followed by an escape that is not a low
	// surrogate swallowed that escape ("\ud83d\u0041" read as U+FFFD
	// alone, and "\ude00\ud83d\ude00" as two U+FFFD).
	f(`{"m":"\ud83d\u0041"}`, `@m="�A"`)
	f(`{"m":"\ude00\ud83d\ude00"}`, `@m="�😀"`)
	f(`{"m":"\ud83d\ud83d\ude00"}`, `@m="�😀"`)
	f(`{"m":"\ud83d\n"}`, `@m="�\n"`)
	// Keys with escapes.
	f(`{"a\"b":"1","\u0063":"2"}`, `@a"b="1" @c="2"`)
	// Timestamps: epoch numbers by size, strings, RFC 3339 variants.
	for _, c := range []struct{ ts, want string }{
		{`1700000000`, `1700000000000`},
		{`1700000000.5`, `1700000000500`},
		{`1700000000123`, `1700000000123`},
		{`1700000000123456`, `1700000000123`},
		{`1700000000123456789`, `1700000000123`},
		{`"1700000000123"`, `1700000000123`},
		{`"2023-11-14T22:13:20Z"`, `1700000000000`},
		{`"2023-11-14T22:13:20.123456789Z"`, `1700000000123`},
		{`"2023-11-14T23:13:20.5+01:00"`, `1700000000500`},
		{`"2023-11-14T23:13:20+0100"`, `1700000000000`},
		{`"2023-11-14 22:13:20"`, `1700000000000`},
		{`"2023-11-14 22:13:20.250"`, `1700000000250`},
		{`"2023-11-14T22:13:20"`, `1700000000000`},
		{`"2023-11-14 17:13:20-05:00"`, `1700000000000`},
	} {
		f(`{"ts":`+c.ts+`}`, `ts=`+c.want)
	}
	for _, key := range []string{"timestamp", "time", "ts", "@timestamp", "TimeStamp"} {
		f(`{"`+key+`":1700000000}`, `ts=1700000000000`)
	}
	// Timestamps that do not parse stay attributes.
	f(`{"ts":"yesterday"}`, `@ts="yesterday"`)
	f(`{"ts":-5}`, `@ts="-5"`)
	f(`{"ts":0}`, `@ts="0"`)
	f(`{"ts":true}`, `@ts="true"`)
	f(`{"ts":"2023-13-45T99:00:00Z"}`, `@ts="2023-13-45T99:00:00Z"`)
	// Regression: epoch numbers beyond int64 nanoseconds overflowed into a
	// garbage time instead of being refused.
	f(`{"ts":1e300}`, `@ts="1e300"`)
	f(`{"ts":"99999999999999999999999"}`, `@ts="99999999999999999999999"`)
	// Hostile text is stored verbatim.
	f(`{"message":"'; DROP TABLE logs; --","q":"${jndi:ldap://x/a} {{.Env}} <script>alert(1)</script>","p":"../../etc/passwd\u0000"}`,
		`body="'; DROP TABLE logs; --" @q="${jndi:ldap://x/a} {{.Env}} <script>alert(1)</script>" @p="../../etc/passwd\x00"`)
}

func TestJSONDecodeErrors(t *testing.T) {
	d := newDecoder(TopicConfig{Format: "json"})
	f := func(in, want string) {
		t.Helper()
		var row logRow
		err := d.decode([]byte(in), &row)
		if err == nil {
			t.Fatalf("%q: no error, row %s", in, rowString(&row))
		}
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("%q:\n got  %v\n want %s", in, err, want)
		}
	}
	f(``, `not a JSON object`)
	f(`   `, `not a JSON object`)
	f(`[1,2]`, `not a JSON object`)
	f(`"x"`, `not a JSON object`)
	f(`null`, `not a JSON object`)
	f(`{"a":1} x`, `unexpected data after the JSON object at byte 8`)
	f(`{"a":1}{}`, `unexpected data after the JSON object`)
	f(`{"a":1`, `expected ',' or '}'`)
	f(`{"a" 1}`, `expected ':' after key "a"`)
	f(`{a:1}`, `bad key`)
	f(`{"a":}`, `bad value of "a"`)
	f(`{"a":tru}`, `bad value of "a": bad literal`)
	f(`{"a":1.2.3}`, `bad number`)
	f(`{"a":"x`, `unterminated string`)
	f(`{"a":"x\`, `unterminated escape`)
	f(`{"a":"\x"}`, `bad escape \x`)
	f(`{"a":"\u12"}`, `bad \u escape`)
	f(`{"a":"\ud83d\uZZZZ"}`, `bad \u escape`) // regression: the bad escape was read as text
	f("{\"a\":\"x\ny\"}", `control character in string`)
	f("{\"a\":\"x\x00y\"}", `control character in string`)
	f("{\"a\x01\":1}", `control character in string`)
	f(`{"a":[1,2}`, `expected ',' or ']'`)
	f(strings.Repeat(`{"a":`, 40)+`1`+strings.Repeat(`}`, 40), `nested deeper than 32 levels`)
	f(`{"a":`+strings.Repeat(`[`, 40)+strings.Repeat(`]`, 40)+`}`, `nested deeper than 32 levels`)
	f(`{"a":`+strings.Repeat(`[`, 100000), `nested deeper than 32 levels`)

	for _, in := range []string{"{\"m\":\"\xff\"}", "{\"\xc3\":1}", "{\"m\":\"a\xed\xa0\x80\"}", "{\"m\":\"\\n\xfe\"}"} {
		var row logRow
		if err := d.decode([]byte(in), &row); !errors.Is(err, errBadUTF8) {
			t.Errorf("%q: got %v, want errBadUTF8", in, err)
		}
	}
}

func TestJSONDecodeHugeValues(t *testing.T) {
	d := newDecoder(TopicConfig{Format: "json"})
	big := strings.Repeat("x", 1<<20)
	var row logRow
	if err := d.decode([]byte(`{"message":"`+big+`","k":"`+strings.Repeat(`\"`, 1<<16)+`"}`), &row); err != nil {
		t.Fatal(err)
	}
	if row.body != big || len(row.attrs) != 1 || row.attrs[0].v != strings.Repeat(`"`, 1<<16) {
		t.Fatalf("body %d bytes, attrs %d", len(row.body), len(row.attrs))
	}
	// Many keys.
	var b strings.Builder
	b.WriteString("{")
	for i := range 10000 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"k%d":%d`, i, i)
	}
	b.WriteString("}")
	row.reset()
	if err := d.decode([]byte(b.String()), &row); err != nil {
		t.Fatal(err)
	}
	if len(row.attrs) != 10000 {
		t.Fatalf("%d attrs", len(row.attrs))
	}
}

// The strings a decoder puts in a row must not alias the record: the
// consumer reuses fetch buffers.
func TestDecodersDoNotAliasInput(t *testing.T) {
	for _, c := range []struct{ format, in string }{
		{"json", `{"message":"hello","ts":"2023-11-14T22:13:20Z","k":"v","a":[1]}`},
		{"logfmt", `msg=hello ts=2023-11-14T22:13:20Z k=v q="a\"b" flag`},
		{"text", `2023-11-14T22:13:20Z INFO hello k=v`},
	} {
		data := []byte(c.in)
		var row logRow
		if err := newDecoder(TopicConfig{Format: c.format}).decode(data, &row); err != nil {
			t.Fatal(err)
		}
		before := rowString(&row)
		for i := range data {
			data[i] = '#'
		}
		if after := rowString(&row); after != before {
			t.Errorf("%s: row changed with the input:\n before %s\n after  %s", c.format, before, after)
		}
	}
}

func TestJSONWrongType(t *testing.T) {
	f := func(in string) {
		t.Helper()
		var d jsonDecoder
		var row logRow
		err := d.decode([]byte(in), &row)
		if !errors.Is(err, errWrongType) {
			t.Fatalf("%s: err = %v, want a wrong-type error", in, err)
		}
	}
	f(`{"host":["a"]}`)
	f(`{"level":{"n":1}}`)
	f(`{"message":"x","service":{}}`)
	f(`{"trace_id":[1,2]}`)
}

// A decoder that may alias the record reads every record as one that
// copies: escaped strings still go through the arena, never the scratch
// buffer the next string overwrites.
func TestJSONAliasMatchesCopy(t *testing.T) {
	lines, _ := benchLines(200)
	ins := []string{
		`{"a":"x\ny","b":"p\tq","c\"d":"r\u00e9s","e":"plain","f":["s\"t",{"g":"\\"}],"h":-1.5e3,"i":true}`,
		`{"message":"\"quoted\" body","level":"W\u0041RN","service":"a\/b","http":{"path":"\/x","status":200}}`,
		`{"m":"` + strings.Repeat("x", 1<<17) + `","n":"` + strings.Repeat(`\"`, 1<<10) + `","o":"é😀"}`,
		`{"a":"1","a":"2","A":"3","msg":"dup","msg":"dup2"}`,
		`{"ts":"2023-11-14T22:13:20Z","x":{"y":{"z":"deep"}},"e":[],"o":{}}`,
	}
	for _, l := range lines {
		ins = append(ins, string(l))
	}
	copying, aliasing := newDecoder(TopicConfig{Format: "json"}), newDecoder(TopicConfig{Format: "json"})
	aliasing.(*jsonDecoder).alias = true
	for _, in := range ins {
		want, err := decodeString(copying, in)
		if err != nil {
			t.Fatal(err)
		}
		var row logRow
		if err := aliasing.decode([]byte(in), &row); err != nil {
			t.Fatal(err)
		}
		if got := rowString(&row); got != want {
			t.Fatalf("%.60s…:\n got  %.200s\n want %.200s", in, got, want)
		}
	}
}
