package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestSQL runs `logmart sql` against a real server: rows as TSV or the
// server's JSON, and every failure one line.
func TestSQL(t *testing.T) {
	base := startServerInRepo(t)
	serverEnv := ""
	run := func(args ...string) (string, int) {
		cmd := exec.Command(binPath, append([]string{"sql"}, args...)...)
		cmd.Env = append(os.Environ(), "LOGMART_TOKEN=", "LOGMART_SERVER="+serverEnv)
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return string(out), exit.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return string(out), 0
	}
	if out, code := run("--server", base, "SELECT number AS n, concat('row ', toString(number)) AS s FROM numbers(2)"); code != 0 || out != "0\trow 0\n1\trow 1\n" {
		t.Fatalf("tsv: exit %d\n%q", code, out)
	}
	// Issue 13: tabs and newlines went out raw, NULL printed as the empty
	// string, and there was no header.
	if out, code := run("--server", base, "--header", "SELECT NULL AS n, 'a\tb\nc' AS s, '' AS e"); code != 0 || out != "n\ts\te\n\\N\ta\\tb\\nc\t\n" {
		t.Fatalf("tsv --header: exit %d\n%q", code, out)
	}
	if out, code := run("--server", base, "--format", "csv", "--header", "SELECT 'x,y' AS a, NULL AS b"); code != 0 || out != "a,b\n\"x,y\",\\N\n" {
		t.Fatalf("csv: exit %d\n%q", code, out)
	}
	// Issue 13: LOGMART_SERVER is the default server of every client command.
	serverEnv = base
	if out, code := run("SELECT 1 AS one"); code != 0 || out != "1\n" {
		t.Fatalf("LOGMART_SERVER: exit %d\n%q", code, out)
	}
	serverEnv = ""
	out, code := run("--server", base, "--format", "json", "SELECT 42 AS answer")
	var res struct {
		Columns []struct{ Name string } `json:"columns"`
		Rows    [][]any                 `json:"rows"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || len(res.Columns) != 1 || res.Columns[0].Name != "answer" || len(res.Rows) != 1 {
		t.Fatalf("json: exit %d\n%s", code, out)
	}
	f := func(wantCode int, want string, args ...string) {
		t.Helper()
		out, code := run(args...)
		if code != wantCode || strings.Count(strings.TrimSpace(out), "\n") > 0 || !strings.Contains(out, want) {
			t.Fatalf("logmart sql %s: exit %d\n%s\nwant exit %d and one line with %q", strings.Join(args, " "), code, out, wantCode, want)
		}
	}
	f(1, "logmart sql: ", "--server", base, "SELEC 1")
	f(1, "logmart sql: ", "--server", base, "INSERT INTO logs (body) VALUES ('x')")
	f(2, `logmart sql: --server "127.0.0.1:8080" is not a server URL`, "--server", "127.0.0.1:8080", "SELECT 1")
	f(2, "logmart sql: give the statement as an argument", "--server", base)
	f(2, `logmart sql: --format "xml" must be tsv, csv, json or table`, "--server", base, "--format", "xml", "SELECT 1")
}
