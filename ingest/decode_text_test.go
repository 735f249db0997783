package ingest

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestTextDecodeDetect(t *testing.T) {
	d := newDecoder(TopicConfig{Format: "text"})
	f := func(in, want string) {
		t.Helper()
		got, err := decodeString(d, in)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if got != want {
			t.Fatalf("%q:\n got  %s\n want %s", in, got, want)
		}
	}
	// The whole line is the body, without its line end.
	f("plain words\r\n", `body="plain words"`)
	f("  indented\n\n", `body="  indented"`)
	// Leading timestamps.
	f(`2023-11-14T22:13:20Z INFO started`, `ts=1700000000000 level="info" body="2023-11-14T22:13:20Z INFO started"`)
	f(`2023-11-14T22:13:20.123456789Z started`, `ts=1700000000123 body="2023-11-14T22:13:20.123456789Z started"`)
	f(`2023-11-14T23:13:20+01:00 x`, `ts=1700000000000 body="2023-11-14T23:13:20+01:00 x"`)
	f(`2023-11-14T17:13:20-0500 x`, `ts=1700000000000 body="2023-11-14T17:13:20-0500 x"`)
	f(`2023-11-14T23:13:20+01 x`, `ts=1700000000000 body="2023-11-14T23:13:20+01 x"`)
	f(`2023-11-14 22:13:20,250 ERROR [main] c.e.App - boom`, `ts=1700000000250 level="error" body="2023-11-14 22:13:20,250 ERROR [main] c.e.App - boom"`)
	f(`2023/11/14 22:13:20 [error] 31#31: *1 open() failed`, `ts=1700000000000 level="error" body="2023/11/14 22:13:20 [error] 31#31: *1 open() failed"`)
	f(`[2023-11-14 22:13:20] WARNING: slow`, `ts=1700000000000 level="warn" body="[2023-11-14 22:13:20] WARNING: slow"`)
	f(`2023-11-14T22:13:20.5Z  INFO 4242 --- [main] o.s.Boot : up`, `ts=1700000000500 level="info" body="2023-11-14T22:13:20.5Z  INFO 4242 --- [main] o.s.Boot : up"`)
	f(`2023-11-14T22:13:20Z level=debug msg=x`, `ts=1700000000000 level="debug" body="2023-11-14T22:13:20Z level=debug msg=x"`)
	f(`2023-11-14T22:13:20Z`, `ts=1700000000000 body="2023-11-14T22:13:20Z"`)
	// Level words without a timestamp.
	f(`ERROR:root:it broke`, `level="error" body="ERROR:root:it broke"`)
	f(`[warn] careful`, `level="warn" body="[warn] careful"`)
	f(`10:00:00.123 [main] DEBUG c.e.X - hi`, `level="debug" body="10:00:00.123 [main] DEBUG c.e.X - hi"`)
	f(`[Tue Nov 14 22:13:20.123 2023] [core:crit] [pid 1] x`, `level="fatal" body="[Tue Nov 14 22:13:20.123 2023] [core:crit] [pid 1] x"`)
	f(`panic: runtime error: index out of range`, `level="fatal" body="panic: runtime error: index out of range"`)
	// Not timestamps or levels.
	f(`2023-11-14T22:13:20Zulu x`, `body="2023-11-14T22:13:20Zulu x"`)
	f(`2023-13-14T22:13:20Z x`, `body="2023-13-14T22:13:20Z x"`)
	f(`2023-11-14 x`, `body="2023-11-14 x"`)
	f(`alert sent to ops`, `body="alert sent to ops"`)
	f(`user error happened`, `body="user error happened"`)
	f(`informative INFO`, `body="informative INFO"`)
	// Hostile text is stored verbatim: text has no syntax to break.
	f("'; DROP TABLE logs; -- \x00 \x1b[31m\"red\" ${jndi:ldap://x}", `body="'; DROP TABLE logs; -- \x00 \x1b[31m\"red\" ${jndi:ldap://x}"`)
	f(`"unbalanced`, `body="\"unbalanced"`)
}

func TestTextDecodePattern(t *testing.T) {
	cfg := TopicConfig{Format: "text", Text: TextConfig{
		Pattern: `^(?P<timestamp>\S+) (?P<level>\w+) \[(?P<service>[^\]]*)\] (?:(?P<trace_id>[0-9a-f]{8}) )?(?P<message>.*?)(?: user=(?P<user>\w+))?$`,
	}}
	d := newDecoder(cfg)
	f := func(in, want string) {
		t.Helper()
		got, err := decodeString(d, in)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if got != want {
			t.Fatalf("%q:\n got  %s\n want %s", in, got, want)
		}
	}
	f(`2023-11-14T22:13:20Z warning [api] deadbeef slow request user=bob`,
		`ts=1700000000000 service="api" level="warn" body="slow request" trace="deadbeef" @user="bob"`)
	// Optional groups that take no part are left out.
	f(`1700000000 info [api] hi`, `ts=1700000000000 service="api" level="info" body="hi"`)
	// An empty message group leaves the whole line as the body.
	f(`1700000000 info [api] `, `ts=1700000000000 service="api" level="info" body="1700000000 info [api] "`)
	// A timestamp that does not parse is an attribute.
	f(`never info [api] hi`, `service="api" level="info" body="hi" @timestamp="never"`)
	// Lines it does not match are kept whole and marked.
	f(`something else`, `body="something else" @logmart.parse="unmatched"`)
	f("\x00\x01", `body="\x00\x01" @logmart.parse="unmatched"`)

	// Groups with other names are attributes; built-in names fill columns.
	d = newDecoder(TopicConfig{Format: "text", Text: TextConfig{Pattern: `(?P<ts>\d+) (?P<host>\S+) (?P<pid>\d+) (?P<rest>.*)`}})
	f(`1700000000 web1 42 all good`, `ts=1700000000000 host="web1" body="1700000000 web1 42 all good" @pid="42" @rest="all good"`)
}

func TestTextDecodeLayout(t *testing.T) {
	now := time.Date(2024, 1, 10, 12, 0, 0, 0, time.UTC)
	f := func(cfg TextConfig, in, want string) {
		t.Helper()
		d := newDecoder(TopicConfig{Format: "text", Text: cfg}).(*textDecoder)
		d.fm.now = func() time.Time { return now }
		got, err := decodeString(d, in)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if got != want {
			t.Fatalf("%q:\n got  %s\n want %s", in, got, want)
		}
	}
	syslog := TextConfig{TimestampLayout: "Jan _2 15:04:05"}
	// No year: this year, or last year when that would be in the future.
	f(syslog, `Jan  9 08:00:00 web1 sshd[42]: Accepted`, `ts=1704787200000 body="Jan  9 08:00:00 web1 sshd[42]: Accepted"`)
	f(syslog, `Dec 31 23:00:00 web1 cron: ERROR x`, `ts=1704063600000 body="Dec 31 23:00:00 web1 cron: ERROR x"`)
	f(syslog, `Jan 10 12:00:00 INFO up`, `ts=1704888000000 level="info" body="Jan 10 12:00:00 INFO up"`)
	f(syslog, `not a time`, `body="not a time"`)
	f(syslog, `Jan`, `body="Jan"`)
	// Android's one-letter level after the pid and tid.
	f(TextConfig{TimestampLayout: "01-02 15:04:05.000"}, `03-17 16:13:38.811  1702  2395 D WindowManager: freeze`,
		`ts=1679069618811 level="debug" body="03-17 16:13:38.811  1702  2395 D WindowManager: freeze"`)
	f(TextConfig{TimestampLayout: "01-02 15:04:05.000"}, `03-17 16:13:38.811 I think so`, // no pid before it: a word
		`ts=1679069618811 body="03-17 16:13:38.811 I think so"`)
	// With a pattern the layout reads the timestamp group; values it does
	// not read are tried the built-in ways.
	clf := TextConfig{
		Pattern:         `^(?P<host>\S+) \S+ (?P<user>\S+) \[(?P<timestamp>[^\]]+)\] "(?P<message>[^"]*)" (?P<status>\d+)`,
		TimestampLayout: "02/Jan/2006:15:04:05 -0700",
	}
	f(clf, `10.0.0.1 - frank [14/Nov/2023:23:13:20 +0100] "GET / HTTP/1.1" 200 2326`,
		`ts=1700000000000 host="10.0.0.1" body="GET / HTTP/1.1" @user="frank" @status="200"`)
	f(clf, `10.0.0.1 - - [2023-11-14T22:13:20Z] "GET /" 404`,
		`ts=1700000000000 host="10.0.0.1" body="GET /" @user="-" @status="404"`)
	f(clf, `10.0.0.1 - - [yesterday] "GET /" 404`,
		`host="10.0.0.1" body="GET /" @user="-" @timestamp="yesterday" @status="404"`)
}

func TestTextDecodeErrors(t *testing.T) {
	d := newDecoder(TopicConfig{Format: "text"})
	var row logRow
	if err := d.decode([]byte("\r\n"), &row); err == nil || err.Error() != "line is empty" {
		t.Fatalf("empty line: %v", err)
	}
	for _, in := range []string{"\xff", "ok \xc3", "2023-11-14T22:13:20Z \xed\xa0\x80"} {
		if err := d.decode([]byte(in), &row); !errors.Is(err, errBadUTF8) {
			t.Errorf("%q: got %v, want errBadUTF8", in, err)
		}
	}
	// A decoder built around a bad pattern (Validate was skipped) sets
	// every record aside.
	d = newDecoder(TopicConfig{Format: "text", Text: TextConfig{Pattern: `(`}})
	if err := d.decode([]byte("x"), &row); err == nil || !strings.Contains(err.Error(), "bad text.pattern: error parsing regexp") {
		t.Fatalf("bad pattern: %v", err)
	}
}

func TestTextDecodeHugeLine(t *testing.T) {
	big := "2023-11-14T22:13:20Z ERROR " + strings.Repeat("x ", 1<<19)
	for _, cfg := range []TextConfig{{}, {Pattern: `^(?P<timestamp>\S+) (?P<level>\S+) (?P<message>.*)$`}} {
		d := newDecoder(TopicConfig{Format: "text", Text: cfg})
		var row logRow
		if err := d.decode([]byte(big), &row); err != nil {
			t.Fatal(err)
		}
		if row.ts != 1700000000000 || row.level != "error" || len(row.body) < 1<<20 {
			t.Fatalf("%+v: ts %d level %q body %d bytes", cfg, row.ts, row.level, len(row.body))
		}
	}
}

func TestTextPatternCompiledOnce(t *testing.T) {
	cfg := TopicConfig{Format: "text", Text: TextConfig{Pattern: `(?P<message>once)`}}
	a := newDecoder(cfg).(*textDecoder)
	b := newDecoder(cfg).(*textDecoder)
	if a.re != b.re {
		t.Fatal("each decoder compiled the pattern again")
	}
}

func BenchmarkTextDecode(b *testing.B) {
	// The demo lines as "<RFC 3339> <LEVEL> <message>".
	lines, _ := logfmtLines(256)
	for i, l := range lines {
		var row logRow
		if err := newDecoder(TopicConfig{Format: "logfmt"}).decode(l, &row); err != nil {
			b.Fatal(err)
		}
		lines[i] = []byte(time.UnixMilli(row.ts).UTC().Format(time.RFC3339Nano) + " " + strings.ToUpper(row.level) + " " + row.body)
	}
	for _, c := range []struct {
		name string
		cfg  TextConfig
	}{
		{"detect", TextConfig{}},
		{"pattern", TextConfig{Pattern: `^(?P<timestamp>\S+) (?P<level>[A-Z]+) (?P<message>.*)$`}},
	} {
		b.Run(c.name, func(b *testing.B) {
			d := newDecoder(TopicConfig{Format: "text", Text: c.cfg})
			var row logRow
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				row.reset()
				if err := d.decode(lines[i%len(lines)], &row); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// levelOf keeps its own copy of normalizeLevel's table, to not allocate.
func TestLevelOfMatchesNormalizeLevel(t *testing.T) {
	for _, w := range []string{"trace", "debug", "dbg", "info", "notice", "information", "warn", "warning",
		"error", "err", "fatal", "critical", "crit", "panic", "emerg", "emergency", "alert"} {
		for _, v := range []string{w, strings.ToUpper(w)} {
			if got, want := levelOf(v, true), normalizeLevel(v); got != want {
				t.Errorf("%q: levelOf %q, normalizeLevel %q", v, got, want)
			}
		}
	}
	for _, w := range []string{"", "in", "informative", "errors", "warned", "x"} {
		if l := levelOf(w, true); l != "" {
			t.Errorf("%q: levelOf %q", w, l)
		}
	}
}
