package ingest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// checkRow fails t when a decoded row breaks what the tables rely on:
// valid UTF-8 everywhere, and no aliasing of the record (which is
// overwritten here).
func checkRow(t *testing.T, data []byte, row *logRow) {
	t.Helper()
	before := rowString(row)
	for _, s := range []string{row.service, row.host, row.level, row.body, row.traceID, row.eventType, row.tenant} {
		if !utf8.ValidString(s) {
			t.Fatalf("%q: column %q is not valid UTF-8", data, s)
		}
	}
	for _, a := range row.attrs {
		if !utf8.ValidString(a.k) || !utf8.ValidString(a.v) {
			t.Fatalf("%q: attribute %q=%q is not valid UTF-8", data, a.k, a.v)
		}
	}
	for i := range data {
		data[i] ^= 0x55
	}
	if after := rowString(row); after != before {
		t.Fatalf("row aliases the record:\n before %s\n after  %s", before, after)
	}
}

func FuzzJSONDecoder(f *testing.F) {
	lines, _ := benchLines(4)
	for _, l := range lines {
		f.Add(l)
	}
	for _, s := range []string{
		`{}`, `{"a":{"b":[1,{"c":null}]},"ts":1700000000}`, `{"m":"\ud83d\ude00\ud83d\u0041\ude00"}`,
		`{"a":1} x`, `{"a":"\u12"}`, "{\"a\":\"\xff\"}", `{"ts":1e300,"level":5,"message":null}`,
		strings.Repeat(`{"a":`, 33) + `1` + strings.Repeat(`}`, 33), `{"event":{"original":"x"},"message":"y","node":[1]}`,
		`{"a":-0.5e-3,"b":true,"c":false,"d":"\"\\\/\b\f\n\r\t"}`, `{"":"","":"","service":{}}`,
	} {
		f.Add([]byte(s))
	}
	plain := newDecoder(TopicConfig{Format: "json"})
	mapped := newDecoder(TopicConfig{Format: "json", Fields: FieldMap{Message: "event.original", Host: "node", Timestamp: "t"}})
	aliasing := newDecoder(TopicConfig{Format: "json"})
	aliasing.(*jsonDecoder).alias = true
	f.Fuzz(func(t *testing.T, data []byte) {
		var row logRow
		// The strings of an aliasing decoder are read before the record
		// changes; they must be those of a copying one.
		aerr := aliasing.decode(data, &row)
		aliased := rowString(&row)
		row.reset()
		buf := append([]byte(nil), data...)
		err := plain.decode(buf, &row)
		if (err == nil) != (aerr == nil) || (err == nil && rowString(&row) != aliased) {
			t.Fatalf("%q: aliasing decoder read %s (%v), copying one %s (%v)", data, aliased, aerr, rowString(&row), err)
		}
		// Nor do the keys of the records before (see jsonDecoder.key).
		fresh, ferr := decodeString(newDecoder(TopicConfig{Format: "json"}), string(data))
		if fmt.Sprint(ferr) != fmt.Sprint(err) || (err == nil && fresh != rowString(&row)) {
			t.Fatalf("%q: a fresh decoder read %s (%v), a used one %s (%v)", data, fresh, ferr, rowString(&row), err)
		}
		if err == nil {
			// partBatch relies on it rather than check records first.
			if !utf8.Valid(data) {
				t.Fatalf("%q is not valid UTF-8 but decodes", data)
			}
			checkRow(t, buf, &row)
		} else if utf8.Valid(data) && json.Valid(data) && strings.HasPrefix(strings.TrimLeft(string(data), " \t\r\n"), "{") &&
			!strings.Contains(err.Error(), "nested deeper") && !strings.Contains(err.Error(), "bad number") &&
			!errors.Is(err, errWrongType) {
			t.Fatalf("%q is a valid JSON object but: %v", data, err)
		}
		// A mapping changes where values land, never whether a record is
		// accepted.
		var mrow logRow
		buf = append(buf[:0], data...)
		merr := mapped.decode(buf, &mrow)
		if (err == nil) != (merr == nil) {
			t.Fatalf("%q: without mapping %v, with %v", data, err, merr)
		}
		if merr == nil {
			checkRow(t, buf, &mrow)
		}
	})
}

func FuzzLogfmtDecoder(f *testing.F) {
	for _, s := range []string{
		`ts=2023-11-14T22:13:20Z level=info msg="hello \"world\"" flag k=`,
		`a=1 b="\u00e9\ud83d\ude00\ud83d" c="C:\x" d=x=y`, `msg="unterminated`, `=x`, `just text`,
		"a=\x00", "a=\"\xff\"", `a="x"y`, `a="\`, `a="\u12`, "k=v\tk2=v2\r\n", `text=x sev=ERR when=1700000000`,
	} {
		f.Add([]byte(s))
	}
	plain := newDecoder(TopicConfig{Format: "logfmt"})
	mapped := newDecoder(TopicConfig{Format: "logfmt", Fields: FieldMap{Message: "text", Level: "sev", Timestamp: "when"}})
	f.Fuzz(func(t *testing.T, data []byte) {
		var row logRow
		buf := append([]byte(nil), data...)
		err := plain.decode(buf, &row)
		if err == nil {
			checkRow(t, buf, &row)
		}
		var mrow logRow
		buf = append(buf[:0], data...)
		merr := mapped.decode(buf, &mrow)
		if (err == nil) != (merr == nil) {
			t.Fatalf("%q: without mapping %v, with %v", data, err, merr)
		}
		if merr == nil {
			checkRow(t, buf, &mrow)
		}
	})
}

// FuzzLogfmtQuoted checks that any value, quoted the way go-logfmt quotes,
// reads back as itself.
func FuzzLogfmtQuoted(f *testing.F) {
	for _, s := range []string{"", "plain", `say "hi"`, `back\slash`, "tab\tnew\nline\r", "é😀", "\x00\x1f\x7f", `\u0041`} {
		f.Add(s)
	}
	d := newDecoder(TopicConfig{Format: "logfmt"})
	f.Fuzz(func(t *testing.T, v string) {
		if !utf8.ValidString(v) {
			return
		}
		var b strings.Builder
		b.WriteString(`k="`)
		for _, r := range v {
			switch {
			case r == '"' || r == '\\':
				b.WriteByte('\\')
				b.WriteRune(r)
			case r == '\n':
				b.WriteString(`\n`)
			case r == '\r':
				b.WriteString(`\r`)
			case r == '\t':
				b.WriteString(`\t`)
			case r < 0x20 || r == 0x7f:
				b.WriteString(`\u00`)
				b.WriteByte("0123456789abcdef"[r>>4])
				b.WriteByte("0123456789abcdef"[r&0xf])
			default:
				b.WriteRune(r)
			}
		}
		b.WriteString(`"`)
		var row logRow
		if err := d.decode([]byte(b.String()), &row); err != nil {
			t.Fatalf("%s: %v", b.String(), err)
		}
		if len(row.attrs) != 1 || row.attrs[0].v != v {
			t.Fatalf("%s: read back as %s", b.String(), rowString(&row))
		}
	})
}

func FuzzTextDecoder(f *testing.F) {
	for _, s := range []string{
		"2023-11-14T22:13:20.123+01:00 INFO x", "2023/11/14 22:13:20,5 [error] y", "[2023-11-14 22:13:20] WARN",
		"2023-11-14T22:13:20+", "2023-11-14T22:13:20+1", "2023-11-14T22:13:20+01:", "2023-11-14T22:13:20.", "[x",
		"Jan  9 08:00:00 h x", "level=", "\xff", "", "\r\n", "[core:] x", "ERROR:",
	} {
		f.Add(s)
	}
	decs := []decoder{
		newDecoder(TopicConfig{Format: "text"}),
		newDecoder(TopicConfig{Format: "text", Text: TextConfig{TimestampLayout: "Jan _2 15:04:05"}}),
		newDecoder(TopicConfig{Format: "text", Text: TextConfig{Pattern: `^(?P<timestamp>\S+) (?P<level>\S+)(?: (?P<message>.*))?$`}}),
	}
	f.Fuzz(func(t *testing.T, line string) {
		for _, d := range decs {
			var row logRow
			buf := []byte(line)
			if err := d.decode(buf, &row); err == nil {
				checkRow(t, buf, &row)
				if row.body == "" {
					t.Fatalf("%q: empty body", line)
				}
			}
		}
	})
}
