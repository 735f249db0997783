package templatetest

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/logmart/logmart/store"
)

// Command is one command of a script: its first word, the rest of its line
// and the block under it.
type Command struct {
	// Line is the command's line number, from 1.
	Line int
	// Name is the command's first word: now, load, run, expect.
	Name string
	// Rest is the line after the name, trimmed, as written.
	Rest string
	// Block holds the indented lines under the command, with their
	// indentation removed and comments left out.
	Block []string
	// BlockLine is the line number of the block's first line.
	BlockLine int
}

// Fields splits Rest at spaces; a field written as a Go quoted string
// ("a b", or name="a b") is unquoted.
func (c Command) Fields() ([]string, error) {
	var out []string
	s := c.Rest
	for {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
		if s == "" {
			return out, nil
		}
		var field strings.Builder
		for s != "" && !unicode.IsSpace(rune(s[0])) {
			if s[0] != '"' {
				field.WriteByte(s[0])
				s = s[1:]
				continue
			}
			q, err := strconv.QuotedPrefix(s)
			if err != nil {
				return nil, fmt.Errorf("line %d: unterminated or malformed quoted string in %q", c.Line, s)
			}
			v, _ := strconv.Unquote(q)
			field.WriteString(v)
			s = s[len(q):]
		}
		out = append(out, field.String())
	}
}

// Parse splits a script into commands. A command starts at the first
// character of its line; the indented lines right under it, up to a blank
// or an unindented line, are its block. Lines starting with # (after
// indentation) are comments.
// Parse knows no command names: what a command means is its runner's.
func Parse(text string) ([]Command, error) {
	var cmds []Command
	var cur *Command
	for i, line := range strings.Split(text, "\n") {
		n := i + 1
		line = strings.TrimRight(line, " \t\r")
		trimmed := strings.TrimLeft(line, " \t")
		switch {
		case trimmed == "":
			cur = nil
		case strings.HasPrefix(trimmed, "#"):
		case trimmed != line && cur != nil:
			if len(cur.Block) == 0 {
				cur.BlockLine = n
			}
			cur.Block = append(cur.Block, trimmed)
		case trimmed != line:
			return nil, fmt.Errorf("line %d: %q is indented but follows no command (a block ends at a blank line)", n, trimmed)
		default:
			name, rest, _ := strings.Cut(line, " ")
			cmds = append(cmds, Command{Line: n, Name: name, Rest: strings.TrimSpace(rest)})
			cur = &cmds[len(cmds)-1]
		}
	}
	return cmds, nil
}

// Request is a script's run line: a template request as the API takes it,
// with every value as text.
type Request struct {
	Template string
	// Version 0 means the latest version.
	Version uint32
	// From and To are as written, empty when left out. The Env resolves
	// them by the API's time grammar against Now.
	From, To string
	Now      time.Time
	// Params are the values by name, as text.
	Params map[string]string
}

// Env is what one script runs against.
type Env struct {
	// Store receives the script's load blocks. It is the script's own: a
	// fresh database whose rows no other script sees.
	Store store.Store
	// Run runs one request and returns its result, or the error a user
	// would see.
	Run func(ctx context.Context, req Request) (*store.Result, error)
}

// defaultNow is the instant relative times resolve against until a script
// sets its own with a now line.
var defaultNow = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// RunScripts runs every *.test file of fsys as a subtest named after the
// file, each against the Env newEnv gives it.
func RunScripts(t *testing.T, fsys fs.FS, newEnv func(t *testing.T) Env) {
	t.Helper()
	names, err := fs.Glob(fsys, "*.test")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatal("no *.test scripts")
	}
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(strings.TrimSuffix(path.Base(name), ".test"), func(t *testing.T) {
			RunScript(t, name, string(b), newEnv(t))
		})
	}
}

// RunScript runs one script. A script that does not parse, or a load that
// fails, stops it; a run whose result differs from its expect is reported
// with the script's file and line, and the script goes on.
func RunScript(t *testing.T, name, text string, env Env) {
	t.Helper()
	runScript(t, name, text, env)
}

// reporter is the part of testing.T a script reports through.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
}

func runScript(t reporter, name, text string, env Env) {
	t.Helper()
	cmds, err := Parse(text)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	r := &scriptRun{t: t, name: name, env: env, now: defaultNow, ttlFree: map[string]bool{}}
	for i := 0; i < len(cmds); i++ {
		c := cmds[i]
		switch c.Name {
		case "now":
			r.setNow(c)
		case "load":
			r.load(c)
		case "run":
			if i+1 == len(cmds) || cmds[i+1].Name != "expect" {
				r.fatalf(c.Line, "run is not followed by an expect line")
			}
			r.run(c, cmds[i+1])
			i++
		case "expect":
			r.fatalf(c.Line, "expect follows no run")
		default:
			r.fatalf(c.Line, "unknown command %q (want now, load, run or expect)", c.Name)
		}
	}
}

// scriptRun is one script in progress.
type scriptRun struct {
	t       reporter
	name    string
	env     Env
	now     time.Time
	ttlFree map[string]bool // tables whose TTL is removed
}

func (r *scriptRun) fatalf(line int, format string, args ...any) {
	r.t.Helper()
	r.t.Fatalf("%s:%d: %s", r.name, line, fmt.Sprintf(format, args...))
}

func (r *scriptRun) errorf(line int, format string, args ...any) {
	r.t.Helper()
	r.t.Errorf("%s:%d: %s", r.name, line, fmt.Sprintf(format, args...))
}

func (r *scriptRun) setNow(c Command) {
	r.t.Helper()
	if len(c.Block) > 0 {
		r.fatalf(c.BlockLine, "now has no block")
	}
	now, err := time.Parse(time.RFC3339Nano, c.Rest)
	if err != nil {
		r.fatalf(c.Line, "now %q is not an RFC 3339 time", c.Rest)
	}
	r.now = now.UTC()
}

// load inserts the block into the table in the format named, JSONEachRow
// by default, after removing the table's TTL (rows with fixed times would
// otherwise be dropped as they are written, once their time is old).
func (r *scriptRun) load(c Command) {
	r.t.Helper()
	f, err := c.Fields()
	if err != nil {
		r.fatalf(c.Line, "%v", err)
	}
	if len(f) == 0 || len(f) > 2 {
		r.fatalf(c.Line, "want load <table> [<format>], got load %s", c.Rest)
	}
	table, format := f[0], "JSONEachRow"
	if len(f) == 2 {
		format = f[1]
	}
	if len(c.Block) == 0 {
		r.fatalf(c.Line, "load %s has no rows under it", table)
	}
	// The names go into the statement's text: both must be the engine's
	// own, looked up as bound values.
	ctx := context.Background()
	res, err := r.env.Store.Query(ctx, store.Query{
		SQL: `SELECT (SELECT groupArray(engine_full) FROM system.tables WHERE database = currentDatabase() AND name = {t:String}),
		             (SELECT count() FROM system.formats WHERE name = {f:String} AND is_input)`,
		Params: map[string]string{"t": table, "f": format},
	})
	if err != nil {
		r.fatalf(c.Line, "cannot look up table %s and format %s: %v", table, format, err)
	}
	engines, _ := res.Rows[0][0].([]any)
	if len(engines) != 1 {
		r.fatalf(c.Line, "there is no table %q in the schema", table)
	}
	if fmt.Sprint(res.Rows[0][1]) != "1" {
		r.fatalf(c.Line, "%q is not an input format of the engine (JSONEachRow, CSVWithNames, TabSeparatedWithNames …)", format)
	}
	if !r.ttlFree[table] && strings.Contains(fmt.Sprint(engines[0]), " TTL ") {
		if err := r.env.Store.Exec(ctx, store.Query{SQL: "ALTER TABLE " + table + " REMOVE TTL"}); err != nil {
			r.fatalf(c.Line, "cannot remove the TTL of %s: %v", table, err)
		}
	}
	r.ttlFree[table] = true
	sql := "INSERT INTO " + table + " SETTINGS insert_deduplicate = 0, date_time_input_format = 'best_effort' FORMAT " + format + "\n" +
		strings.Join(c.Block, "\n") + "\n"
	if err := r.env.Store.Exec(ctx, store.Query{SQL: sql}); err != nil {
		r.fatalf(c.BlockLine, "load %s: %v", table, err)
	}
}

// run runs a run line and checks its result against the expect line after
// it.
func (r *scriptRun) run(c, exp Command) {
	r.t.Helper()
	if len(c.Block) > 0 {
		r.fatalf(c.BlockLine, "run has no block")
	}
	req, err := r.request(c)
	if err != nil {
		r.fatalf(c.Line, "%v", err)
	}
	kind, arg, _ := strings.Cut(exp.Rest, " ")
	arg = strings.TrimSpace(arg)
	switch {
	case kind == "rows" && (arg == "" || arg == "unordered"):
	case kind == "error" && arg != "" && len(exp.Block) == 0:
	default:
		r.fatalf(exp.Line, "want expect rows [unordered] or expect error <text>, got expect %s", exp.Rest)
	}
	res, err := r.env.Run(context.Background(), req)
	if kind == "error" {
		switch {
		case err == nil:
			r.errorf(exp.Line, "run succeeded with %d rows; want error %q", len(res.Rows), arg)
		case !errorMatches(err.Error(), arg):
			r.errorf(exp.Line, "error\n got %s\nwant %s", err, arg)
		}
		return
	}
	if err != nil {
		r.errorf(c.Line, "run failed: %v", err)
		return
	}
	want, err := parseRows(exp.Block)
	if err != nil {
		r.fatalf(exp.BlockLine, "%v", err)
	}
	if diff := compareRows(res.Rows, want, arg == "unordered"); diff != "" {
		r.errorf(exp.Line, "%s\ngot rows:\n%s", diff, formatRows(res.Rows))
	}
}

// request reads a run line.
func (r *scriptRun) request(c Command) (Request, error) {
	f, err := c.Fields()
	if err != nil {
		return Request{}, err
	}
	if len(f) == 0 {
		return Request{}, fmt.Errorf("want run <template> [<version>] [from <time>] [to <time>] [<name>=<value> …]")
	}
	req := Request{Template: f[0], Now: r.now, Params: map[string]string{}}
	f = f[1:]
	if len(f) > 0 {
		if v, err := strconv.ParseUint(f[0], 10, 32); err == nil {
			if v == 0 {
				return Request{}, fmt.Errorf("version 0: versions start at 1 (leave it out for the latest)")
			}
			req.Version = uint32(v)
			f = f[1:]
		}
	}
	for len(f) > 0 {
		switch f[0] {
		case "from", "to":
			if len(f) < 2 {
				return Request{}, fmt.Errorf("%s needs a time", f[0])
			}
			if f[0] == "from" {
				req.From = f[1]
			} else {
				req.To = f[1]
			}
			f = f[2:]
			continue
		}
		name, value, ok := strings.Cut(f[0], "=")
		if !ok || name == "" {
			return Request{}, fmt.Errorf("%q is not from <time>, to <time> or <name>=<value>", f[0])
		}
		if _, dup := req.Params[name]; dup {
			return Request{}, fmt.Errorf("parameter %s is set twice", name)
		}
		req.Params[name] = value
		f = f[1:]
	}
	return req, nil
}

// errorMatches compares an error with an expect error text; text ending in
// "…" is a prefix.
func errorMatches(got, want string) bool {
	if prefix, ok := strings.CutSuffix(want, "…"); ok {
		return strings.HasPrefix(got, prefix)
	}
	return got == want
}
