package templatetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/logmart/logmart/store"
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

// recorder collects what a script reports; Fatalf ends the script's
// goroutine as testing.T's does.
type recorder struct{ lines []string }

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.lines = append(r.lines, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.lines = append(r.lines, "FATAL "+fmt.Sprintf(format, args...))
	runtime.Goexit()
}

// TestRunScriptReports: each way a run can miss its expect is reported with
// the script's line, and the requests reach the Env as written.
func TestRunScriptReports(t *testing.T) {
	var reqs []string
	env := Env{Run: func(_ context.Context, req Request) (*store.Result, error) {
		reqs = append(reqs, fmt.Sprintf("%s v%d [%s, %s) now %s %v", req.Template, req.Version, req.From, req.To, req.Now.Format(time.RFC3339), req.Params))
		if req.Template == "bad" {
			return nil, errors.New(`param "x": is required`)
		}
		return &store.Result{Rows: [][]any{{json.Number("1"), "a"}, {json.Number("2"), "b"}}}, nil
	}}
	f := func(script string, want ...string) {
		t.Helper()
		reqs = nil
		rec := &recorder{}
		done := make(chan struct{})
		go func() {
			defer close(done)
			runScript(rec, "s.test", script, env)
		}()
		<-done
		if strings.Join(rec.lines, "\n") != strings.Join(want, "\n") {
			t.Fatalf("%s\nreported:\n%s\nwant:\n%s", script, strings.Join(rec.lines, "\n"), strings.Join(want, "\n"))
		}
	}
	f("run t\nexpect rows\n  [1, \"a\"]\n  [2, \"b\"]")
	if reqs[0] != "t v0 [, ) now 2026-01-01T00:00:00Z map[]" {
		t.Fatalf("request %s", reqs[0])
	}
	f("now 2026-11-21T12:00:00Z\nrun t 3 from \"now-1d/d Europe/Paris\" to now a=1 b=\"x y\"\nexpect rows unordered\n  [2, \"b\"]\n  [1, \"a\"]")
	if reqs[0] != "t v3 [now-1d/d Europe/Paris, now) now 2026-11-21T12:00:00Z map[a:1 b:x y]" {
		t.Fatalf("request %s", reqs[0])
	}
	f("run t\nexpect rows\n  [2, \"b\"]\n  [1, \"a\"]",
		"s.test:2: rows differ:\nrow 1:\n got [1, \"a\"]\nwant [2, \"b\"]\nrow 2:\n got [2, \"b\"]\nwant [1, \"a\"]\ngot rows:\n  [1, \"a\"]\n  [2, \"b\"]")
	f("run t\nexpect rows\n\nrun bad\nexpect rows",
		"s.test:2: 2 rows, want 0:\nrow 1: [1, \"a\"] is one too many\nrow 2: [2, \"b\"] is one too many\ngot rows:\n  [1, \"a\"]\n  [2, \"b\"]",
		`s.test:4: run failed: param "x": is required`)
	f("run bad\nexpect error param \"x\": is required\nrun bad\nexpect error param \"x\": …\nrun bad\nexpect error param \"y\": is required\nrun t\nexpect error nope",
		"s.test:6: error\n got param \"x\": is required\nwant param \"y\": is required",
		`s.test:8: run succeeded with 2 rows; want error "nope"`)
	f("run t\n", "FATAL s.test:1: run is not followed by an expect line")
	f("expect rows", "FATAL s.test:1: expect follows no run")
	f("eval t", `FATAL s.test:1: unknown command "eval" (want now, load, run or expect)`)
	f("now tomorrow", `FATAL s.test:1: now "tomorrow" is not an RFC 3339 time`)
	f("run t x\nexpect rows", `FATAL s.test:1: "x" is not from <time>, to <time> or <name>=<value>`)
	f("run t a=1 a=2\nexpect rows", `FATAL s.test:1: parameter a is set twice`)
	f("run t 0\nexpect rows", `FATAL s.test:1: version 0: versions start at 1 (leave it out for the latest)`)
	f("run t from\nexpect rows", `FATAL s.test:1: from needs a time`)
	f("run t\nexpect row", `FATAL s.test:2: want expect rows [unordered] or expect error <text>, got expect row`)
	f("run t\nexpect error", `FATAL s.test:2: want expect rows [unordered] or expect error <text>, got expect error`)
	f("run t\nexpect rows\n  1, a", `FATAL s.test:3: expected row 1, 1, a, is not one JSON array`)
}
