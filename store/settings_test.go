package store

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestSeconds(t *testing.T) {
	f := func(d time.Duration, want string) {
		t.Helper()
		if got := Seconds(d); got != want {
			t.Errorf("Seconds(%s) = %q, want %q", d, got, want)
		}
	}
	f(30*time.Second, "30")
	f(1500*time.Millisecond, "1.5")
	f(2*time.Minute, "120")
	// A tiny limit must not round to 0, which ClickHouse reads as "no limit".
	f(time.Microsecond, "0.000001")
	f(time.Nanosecond, "0.000000001")
}

// readQuoted reads one single-quoted string the way ClickHouse reads a
// quoted value inside a Map literal, accepting only the escapes
// Quote writes; anything else is reported.
func readQuoted(s string) (val, rest string, err error) {
	if !strings.HasPrefix(s, "'") {
		return "", s, fmt.Errorf("no opening quote at %q", s)
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 == len(s) {
				return "", "", errors.New("backslash at the end")
			}
			i++
			if s[i] != '\\' && s[i] != '\'' {
				return "", "", fmt.Errorf("unexpected escape \\%c", s[i])
			}
			b.WriteByte(s[i])
		case '\'':
			return b.String(), s[i+1:], nil
		default:
			b.WriteByte(c)
		}
	}
	return "", "", errors.New("no closing quote")
}

// parseMapLiteral parses {'k': 'v', …} back into a map.
func parseMapLiteral(s string) (map[string]string, error) {
	if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") {
		return nil, fmt.Errorf("not braced: %q", s)
	}
	rest := s[1 : len(s)-1]
	out := map[string]string{}
	for rest != "" {
		k, r, err := readQuoted(rest)
		if err != nil {
			return nil, err
		}
		r, ok := strings.CutPrefix(r, ": ")
		if !ok {
			return nil, fmt.Errorf("no colon after key %q", k)
		}
		v, r, err := readQuoted(r)
		if err != nil {
			return nil, err
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("key %q twice", k)
		}
		out[k] = v
		if r != "" {
			if r, ok = strings.CutPrefix(r, ", "); !ok {
				return nil, fmt.Errorf("junk after value %q: %q", v, r)
			}
		}
		rest = r
	}
	return out, nil
}

func TestTableFiltersLiteralSurvivesHostileStrings(t *testing.T) {
	hostile := []string{
		"plain",
		"it's",
		`\`,
		`\'`,
		`\\'`,
		`trailing backslash \`,
		`'}, 'logs': '1 = 1`,
		`stream = 'a'); DROP TABLE logs; --`,
		"new\nline\ttab\rcr\x00nul",
		`\n is two characters`,
		"ünïcødé \u202e rtl",
		"",
	}
	f := func(m map[string]string) {
		t.Helper()
		lit := TableFiltersLiteral(m)
		got, err := parseMapLiteral(lit)
		if err != nil {
			t.Fatalf("literal %s does not parse: %v", lit, err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Fatalf("literal %s read back as %q, want %q", lit, got, m)
		}
	}
	for _, h := range hostile {
		f(map[string]string{"logs": h})
		f(map[string]string{h: "1 = 0"})
	}
	all := map[string]string{}
	for i, h := range hostile {
		all[fmt.Sprintf("t%d%s", i, h)] = h
	}
	f(all)

	// Keys are sorted, so equal settings render equally.
	if got := TableFiltersLiteral(map[string]string{"b": "2", "a": "1"}); got != "{'a': '1', 'b': '2'}" {
		t.Fatalf("literal = %s", got)
	}
}

// unescapeTSV reads a parameter value as the server does: a tab-separated
// field, where a raw tab or newline would end it.
func unescapeTSV(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\t', '\n':
			return "", fmt.Errorf("raw %q ends the field at byte %d", c, i)
		case '\\':
			if i+1 == len(s) {
				return "", errors.New("backslash at the end")
			}
			i++
			switch s[i] {
			case '\\':
				b.WriteByte('\\')
			case 't':
				b.WriteByte('\t')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case '0':
				b.WriteByte(0)
			default:
				return "", fmt.Errorf("unexpected escape \\%c", s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

func TestEscapeParam(t *testing.T) {
	values := []string{
		"plain",
		"it's",
		`'; DROP TABLE x; --`,
		`\' OR 1=1`,
		"tab\there\nnewline\\backslash",
		`\N`,
		`C:\temp\new`,
		"cr\rnul\x00",
		"ünïcødé \u202e rtl",
		"",
		strings.Repeat("A", 100000),
	}
	for _, v := range values {
		got := EscapeParam(v)
		back, err := unescapeTSV(got)
		if err != nil {
			t.Fatalf("%q sent as %q: %v", v, got, err)
		}
		if back != v {
			t.Fatalf("%q sent as %q reads back as %q", v, got, back)
		}
	}
	// `\N` typed by a user is text, not NULL.
	if got := EscapeParam(`\N`); got != `\\N` {
		t.Fatalf(`\N sent as %q`, got)
	}
}
