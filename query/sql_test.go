package query

import (
	"context"
	"strings"
	"testing"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/store"
)

// TestAdHocSQLRefusesWhatChangesOrReadsOutside pins the refusals of ad-hoc
// SQL. Before each was fixed: file('/proc/self/environ') returned every API
// token; a table function after the first (numbers(1) AS a, merge(…) AS b)
// passed the check; a missing file answered 500 and a present one 403 (an
// existence oracle); KILL QUERY cancelled other callers' statements; USE
// system stuck to the pooled session; SYSTEM STOP MERGES and SET ROLE NONE
// ran.
func TestAdHocSQLRefusesWhatChangesOrReadsOutside(t *testing.T) {
	r := NewRunner(testStore, nil)
	who := Caller{User: "editor-1", Role: "editor", Source: "api"}
	s := store.Settings{ReadOnly: true, Owner: "editor-1"}
	f := func(sql string, want fault.Kind, text string) {
		t.Helper()
		_, err := r.SQL(context.Background(), who, sql, s)
		if err == nil {
			t.Fatalf("%s: ran, want it refused", sql)
		}
		if k := fault.KindOf(err); k != want {
			t.Fatalf("%s: kind %s (%v), want %s", sql, k, err, want)
		}
		if !strings.Contains(err.Error(), text) {
			t.Fatalf("%s: error %q does not say %q", sql, err, text)
		}
	}
	forbidden := fault.Forbidden
	f("SELECT file('/proc/self/environ')", forbidden, "function file()")
	f("SELECT file('/etc/shadow')", forbidden, "function file()")
	f("SELECT file('/no/such/file')", forbidden, "function file()")
	f("select FILE('/etc/passwd')", forbidden, "FILE()")
	f("SELECT length(arrayMap(x -> file(x), ['/etc/passwd']))", forbidden, "function file()")
	f("SELECT * FROM (SELECT 1) WHERE 1 IN (SELECT length(file('/etc/passwd')))", forbidden, "function file()")
	f("WITH (SELECT file('/etc/passwd')) AS x SELECT x", forbidden, "function file()")
	f("EXPLAIN SYNTAX SELECT file('/etc/passwd')", forbidden, "function file()")
	f("SELECT * FROM numbers(1) AS a, merge('logmart','^logs$') AS b", forbidden, "table function merge()")
	f("SELECT * FROM file('/etc/passwd', 'LineAsString')", forbidden, "table function file()")
	f("SELECT * FROM numbers(1) UNION ALL SELECT * FROM url('http://127.0.0.1:1/', 'LineAsString', 'number UInt64')", forbidden, "table function url()")
	f("SELECT * FROM s3('http://127.0.0.1:1/b/k', 'LineAsString')", forbidden, "table function s3()")
	f("SELECT * FROM remote('127.0.0.1', system.one)", forbidden, "table function remote()")
	f("SELECT * FROM executable('x', 'TSV', 'a String')", forbidden, "table function executable()")
	f("SELECT * FROM mysql('127.0.0.1:1', 'd', 't', 'u', 'p')", forbidden, "table function mysql()")
	f("SELECT * FROM postgresql('127.0.0.1:1', 'd', 't', 'u', 'p')", forbidden, "table function postgresql()")
	f("SELECT * FROM hdfs('hdfs://127.0.0.1:1/x', 'TSV', 'a String')", forbidden, "table function hdfs()")
	f("SELECT joinGet('j', 'v', 1)", forbidden, "joinGet")
	f("KILL QUERY WHERE 1", forbidden, "KillQueryQuery")
	f("USE system", forbidden, "UseQuery")
	f("SYSTEM STOP MERGES", forbidden, "SYSTEM")
	f("SYSTEM STOP TTL MERGES", forbidden, "SYSTEM")
	f("SYSTEM STOP MOVES", forbidden, "SYSTEM")
	f("SET ROLE NONE", forbidden, "SetRoleQuery")
	f("ROLLBACK", forbidden, "only reads")
	f("BEGIN TRANSACTION", forbidden, "only reads")
	f("EXPLAIN AST KILL QUERY WHERE 1", forbidden, "KillQueryQuery")
	f("SELECT 1 INTO OUTFILE '/tmp/x'", forbidden, "INTO OUTFILE")
	f("SELECT 1 FORMAT TSV", fault.BadInput, "FORMAT")
	f("SELECT 1; SELECT 2", fault.BadInput, "sql:")
}

func TestAdHocSQLRunsReads(t *testing.T) {
	r := NewRunner(testStore, nil)
	who := Caller{User: "editor-1", Role: "editor", Source: "api"}
	s := store.Settings{ReadOnly: true, Owner: "editor-1"}
	for _, sql := range []string{
		"SELECT 42 AS answer",
		"WITH 1 AS x SELECT x",
		"SELECT * FROM numbers(3) AS a, values('v UInt8', 1, 2) AS b",
		"SELECT 1 UNION ALL SELECT 2",
		"EXPLAIN SELECT 1",
		"SHOW TABLES",
		"DESCRIBE TABLE system.one",
		"EXISTS TABLE system.one",
		"SELECT count() FROM system.processes",
	} {
		if _, err := r.SQL(context.Background(), who, sql, s); err != nil {
			t.Errorf("%s: %v", sql, err)
		}
	}
}

// Issue 13: a syntax error ended "In scope SELECT
// formatQuerySingleLine('…')", the wrapper checkAdHoc parses the statement
// in, with the user's statement re-quoted inside it. The message now names
// only the user's statement: line and column of what they wrote, and that
// line.
func TestAdHocSyntaxErrorNamesTheUsersStatement(t *testing.T) {
	f := func(stmt, want string) {
		t.Helper()
		err := checkAdHoc(context.Background(), testStore, stmt, store.Settings{})
		if err == nil || fault.KindOf(err) != fault.BadInput {
			t.Fatalf("%q: %v, want a bad-input error", stmt, err)
		}
		msg := err.Error()
		if strings.Contains(msg, "formatQuerySingleLine") || strings.Contains(msg, "In scope") || !strings.Contains(msg, want) {
			t.Fatalf("%q:\n got  %s\n want it to contain %q and not the wrapper", stmt, msg, want)
		}
	}
	f("SELEC 1", "sql: Syntax error: failed at line 1, column 7 (1)")
	f("SELECT (1", "failed at line 1, column 8 ((): (1. Unmatched parentheses: ( (line 1: SELECT (1)")
	f("SELECT *\nFROM logs\nWHERE level = 'x' AND AND 1", "failed at line 3, column 27 (1)")
	f("SELECT *\nFROM logs\nWHERE level = 'x' AND AND 1", "(line 3: WHERE level = 'x' AND AND 1)")
}
