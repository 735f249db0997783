package ingest

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// fieldOf agrees with lower-casing every key and matching the built-in
// names, whatever the case and however odd the key.
func TestFieldOf(t *testing.T) {
	names := []string{"timestamp", "time", "ts", "@timestamp", "message", "msg", "log", "level", "severity", "lvl",
		"service", "service.name", "app", "host", "hostname", "trace_id", "traceid", "trace.id", "type", "tenant"}
	slow := func(key string) field { return lowerFieldOf(strings.ToLower(key)) }
	keys := []string{"", "x", "region", "http.status", "TS", "Message", "HOSTNAME", "Service.Name", "tYpE",
		"t\u0130me",  // U+0130 lower-cases to 'i'
		"\u212Aey",   // the Kelvin sign lower-cases to 'k'
		"lev\u0131l", // dotless i stays itself
		"h\xffost", "msg\x00", "message ", " message", "messages", "@TIMESTAMP"}
	keys = append(keys, names...)
	r := rand.New(rand.NewPCG(5, 6))
	for range 2000 {
		b := []byte(names[r.IntN(len(names))])
		for i := range b {
			if r.IntN(2) == 0 {
				b[i] = strings.ToUpper(string(b[i]))[0]
			}
		}
		keys = append(keys, string(b))
	}
	for _, k := range keys {
		if got, want := fieldOf(k), slow(k); got != want {
			t.Errorf("fieldOf(%q) = %d, want %d", k, got, want)
		}
	}
	if fieldOf("t\u0130me") != fieldTimestamp {
		t.Errorf("a key that lower-cases to a built-in name is not recognized")
	}
}

// The JSON decoder classifies a key once, when interning it: upper-case,
// escaped, duplicate and nested spellings still file as before.
func TestJSONKeyFields(t *testing.T) {
	d := newDecoder(TopicConfig{Format: "json"})
	for range 2 { // the second round reads the interned keys
		for _, c := range []struct{ in, want string }{
			{`{"MESSAGE":"a","Level":"WARN","HostName":"h"}`, `host="h" level="warn" body="a"`},
			{`{"\u006dsg":"a","m\u0053g":"b"}`, `body="a" @mSg="b"`},
			{`{"msg":"a","msg":"b","msg":null}`, `body="a" @msg="b"`},
			{`{"x":{"msg":"a","level":"info"},"service":"s"}`, `service="s" @x.msg="a" @x.level="info"`},
			{`{"t\u0130me":1700000000}`, `ts=1700000000000`},
			{`{"type":"t","tenant":"n","Type":"u"}`, `type="t" tenant="n" @Type="u"`},
		} {
			got, err := decodeString(d, c.in)
			if err != nil || got != c.want {
				t.Fatalf("%s:\n got  %s %v\n want %s", c.in, got, err, c.want)
			}
		}
	}
}
