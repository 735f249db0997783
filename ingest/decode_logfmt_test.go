package ingest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestLogfmtDecode(t *testing.T) {
	d := newDecoder(TopicConfig{Format: "logfmt"})
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
	f(`ts=2023-11-14T22:13:20Z level=WARNING service=api host=h1 msg="disk is full" trace_id=abc user=bob`,
		`ts=1700000000000 service="api" host="h1" level="warn" body="disk is full" trace="abc" @user="bob"`)
	f("a=1\tb=2  c=3\r\n", `@a="1" @b="2" @c="3"`)
	f(`time=1700000000123 lvl=err`, `ts=1700000000123 level="error"`)
	// Flags are "true" and never fill a column.
	f(`cached a=1 msg`, `@cached="true" @a="1" @msg="true"`)
	// Empty values.
	f(`a= b="" c=1`, `@a="" @b="" @c="1"`)
	// Bare values keep '=' and '"' verbatim.
	f(`url=/p?a=b&c=d q=say"hi" eq==`, `@url="/p?a=b&c=d" @q="say\"hi\"" @eq="="`)
	// Quoted values and escapes.
	f(`msg="quoted value with \"escapes\"" p="C:\Users\x" e="a\\b\/c\n\t\r\b\f"`,
		`body="quoted value with \"escapes\"" @p="C:\\Users\\x" @e="a\\b/c\n\t\r\b\f"`)
	f(`u="\u00e9\ud83d\ude00\ud83dX\u12" t="a	b"`, `@u="é😀�X\\u12" @t="a\tb"`)
	f(`k="="`, `@k="="`)
	// The first value of a column wins; repeats are attributes.
	f(`msg=one msg=two message=three`, `body="one" @msg="two" @message="three"`)
	// Dotted and odd keys.
	f(`http.status=200 @timestamp=1700000000 a.b-c_d/e=1`, `ts=1700000000000 @http.status="200" @a.b-c_d/e="1"`)
	// A bad timestamp stays an attribute.
	f(`ts=soon a=1`, `@ts="soon" @a="1"`)
	// Hostile text is stored verbatim.
	f(`msg="'; DROP TABLE logs; --" q="${jndi:ldap://x/a}" h=<script>`,
		`body="'; DROP TABLE logs; --" @q="${jndi:ldap://x/a}" @h="<script>"`)
	f(`k="\u0000"`, `@k="\x00"`)
	f("k=é 中=文", `@k="é" @中="文"`)
}

func TestLogfmtDecodeErrors(t *testing.T) {
	d := newDecoder(TopicConfig{Format: "logfmt"})
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
	f(``, `line has no key=value pair`)
	f("\r\n", `line has no key=value pair`)
	f(`just some text`, `line has no key=value pair`)
	f(`{"json":"is not logfmt"}`, `unexpected '"' in key at byte 1`)
	f(`=x`, `empty key at byte 0`)
	f(`a=1 =2`, `empty key at byte 4`)
	f(`msg="never closed`, `unterminated quote in value of "msg"`)
	f(`msg="escaped at the end\"`, `unterminated quote in value of "msg"`)
	f(`msg="ends with a backslash\`, `unterminated quote in value of "msg"`)
	f(`msg="a"b c=1`, `unexpected 'b' after the quoted value of "msg" at byte 7`)
	f(`msg="a""b"`, `unexpected '"' after the quoted value of "msg"`)
	f(`a"b=1`, `unexpected '"' in key`)
	f("a=1\x00", `control character 0x00 in value of "a" at byte 3`)
	f("a\x00=1", `control character 0x00 in key at byte 1`)
	f("a=\"x\x00\"", `control character 0x00 in value of "a"`)
	f("a=\"x\\\x00\"", `control character 0x00 in value of "a"`)
	f("a=1\nb=2", `control character 0x0a in value of "a"`)
	f("a=1 \x1b[31m=2", `control character 0x1b in key`)
	f("a=\x7f", `control character 0x7f`)

	for _, in := range []string{"a=\xff", "\xff=1", "a=\"\xc3\"", "msg=ok k=\xed\xa0\x80"} {
		var row logRow
		err := d.decode([]byte(in), &row)
		if !errors.Is(err, errBadUTF8) {
			t.Errorf("%q: got %v, want errBadUTF8", in, err)
		}
	}
}

func TestLogfmtDecodeHugeLine(t *testing.T) {
	d := newDecoder(TopicConfig{Format: "logfmt"})
	big := strings.Repeat("x", 1<<20)
	var row logRow
	if err := d.decode([]byte(`level=info msg="`+big+`" esc="`+strings.Repeat(`\"`, 1<<16)+`" bare=`+big), &row); err != nil {
		t.Fatal(err)
	}
	if row.body != big || len(row.attrs) != 2 || len(row.attrs[0].v) != 1<<16 || row.attrs[1].v != big {
		t.Fatalf("body %d bytes, %d attrs", len(row.body), len(row.attrs))
	}
	row.reset()
	if err := d.decode([]byte(strings.Repeat("k=v ", 1<<18)), &row); err != nil {
		t.Fatal(err)
	}
	if len(row.attrs) != 1<<18 {
		t.Fatalf("%d attrs", len(row.attrs))
	}
}

// logfmtLines rewrites the demo JSON lines as logfmt.
func logfmtLines(n int) ([][]byte, int) {
	lines, _ := benchLines(n)
	d := newDecoder(TopicConfig{Format: "json"})
	total := 0
	for i, l := range lines {
		var row logRow
		if err := d.decode(l, &row); err != nil {
			panic(err)
		}
		var b []byte
		b = fmt.Appendf(b, "ts=%s level=%s service=%s host=%s msg=%q trace_id=%s",
			time.UnixMilli(row.ts).UTC().Format(time.RFC3339Nano), row.level, row.service, row.host, row.body, row.traceID)
		for _, a := range row.attrs {
			b = fmt.Appendf(b, " %s=%s", a.k, a.v)
		}
		lines[i] = b
		total += len(b)
	}
	return lines, total / n
}

func BenchmarkLogfmtDecode(b *testing.B) {
	lines, mean := logfmtLines(256)
	d := newDecoder(TopicConfig{Format: "logfmt"})
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
}
