package templatetest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	cmds, err := Parse("# a comment\nnow 2026-01-01T00:00:00Z\n\nload logs\n  {\"a\": 1}\n  # left out\n\t{\"a\": 2}\nrun x  from \"last 1h\"  n=\"a b\"\nexpect rows\n  [1]\n\nexpect rows\n")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range cmds {
		got = append(got, fmt.Sprintf("%d %s %q %q@%d", c.Line, c.Name, c.Rest, c.Block, c.BlockLine))
	}
	want := []string{
		`2 now "2026-01-01T00:00:00Z" []@0`,
		`4 load "logs" ["{\"a\": 1}" "{\"a\": 2}"]@5`,
		`8 run "x  from \"last 1h\"  n=\"a b\"" []@0`,
		`9 expect "rows" ["[1]"]@10`,
		`12 expect "rows" []@0`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	fields, err := cmds[2].Fields()
	if err != nil || strings.Join(fields, "|") != "x|from|last 1h|n=a b" {
		t.Fatalf("fields %q, %v", fields, err)
	}
}

func TestParseErrors(t *testing.T) {
	f := func(script, want string) {
		t.Helper()
		cmds, err := Parse(script)
		if err == nil {
			for _, c := range cmds {
				if _, err = c.Fields(); err != nil {
					break
				}
			}
		}
		if err == nil || err.Error() != want {
			t.Fatalf("%q: error %v, want %q", script, err, want)
		}
	}
	f("  {\"a\": 1}", `line 1: "{\"a\": 1}" is indented but follows no command (a block ends at a blank line)`)
	f("load logs\n\n  {}", `line 3: "{}" is indented but follows no command (a block ends at a blank line)`)
	f(`run x n="a`, `line 1: unterminated or malformed quoted string in "\"a"`)
}

func TestCompareRows(t *testing.T) {
	rows := func(s string) [][]any {
		t.Helper()
		r, err := parseRows(strings.Split(s, "\n"))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	f := func(got, want string, unordered bool, diff string) {
		t.Helper()
		if d := compareRows(rows(got), rows(want), unordered); d != diff {
			t.Fatalf("got %s want %s: diff\n%s\nwant\n%s", got, want, d, diff)
		}
	}
	f(`[1, "a", {"k": [1.5]}]`, `[1.0, "a", {"k": [1.5000000000001]}]`, false, "")
	f(`[18446744073709551615]`, `[18446744073709551615]`, false, "")
	f(`[18446744073709551615]`, `[18446744073709551614]`, false, "rows differ:\nrow 1:\n got [18446744073709551615]\nwant [18446744073709551614]")
	f(`[1]`, `["1"]`, false, "rows differ:\nrow 1:\n got [1]\nwant [\"1\"]")
	f(`[{"a": "1"}]`, `[{"a": "1", "b": "2"}]`, false, "rows differ:\nrow 1:\n got [{\"a\":\"1\"}]\nwant [{\"a\":\"1\",\"b\":\"2\"}]")
	f("[1]\n[2]", "[2]\n[1]", true, "")
	f("[1]\n[2]", "[2]\n[1]", false, "rows differ:\nrow 1:\n got [1]\nwant [2]\nrow 2:\n got [2]\nwant [1]")
	f("[1]\n[1]", "[1]", true, "2 rows, want 1:\nrow 2: [1] is one too many")
	f("[1]", "[1]\n[2]", false, "1 rows, want 2:\nrow 2: missing, want [2]")
	if _, err := parseRows([]string{`[1] [2]`}); err == nil || err.Error() != "expected row 1, [1] [2], is not one JSON array" {
		t.Fatalf("two arrays on a line: %v", err)
	}
	if got := formatRows([][]any{{json.Number("1"), "a<b", nil}}); got != `  [1, "a<b", null]` {
		t.Fatalf("formatRows: %s", got)
	}
}
