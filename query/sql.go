package query

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/store"
)

// MaxSQLBytes caps ad-hoc SQL text.
const MaxSQLBytes = 256 << 10

// Runner runs queries for callers and audits every run.
type Runner struct {
	st    store.Store
	audit *Audit
}

// NewRunner returns a Runner on st; audit may be nil (nothing recorded).
func NewRunner(st store.Store, audit *Audit) *Runner { return &Runner{st: st, audit: audit} }

// SQL runs one ad-hoc statement. It always runs read-only: s.ReadOnly is
// forced on, so ClickHouse refuses writes and setting changes whatever the
// text says.
func (r *Runner) SQL(ctx context.Context, who Caller, sql string, s store.Settings) (*store.Result, error) {
	sql = strings.TrimSpace(sql)
	switch {
	case sql == "":
		return nil, fault.New(fault.BadInput, "sql: statement is empty")
	case len(sql) > MaxSQLBytes:
		return nil, fault.New(fault.BadInput, "sql: statement is %d bytes, more than the %d allowed", len(sql), MaxSQLBytes)
	case !utf8.ValidString(sql):
		return nil, fault.New(fault.BadInput, "sql: statement is not valid UTF-8")
	}
	s.ReadOnly = true
	if err := checkAdHoc(ctx, r.st, sql, s); err != nil {
		r.audit.Record(Entry{Time: time.Now(), Caller: who, SQL: sql, Err: err})
		return nil, err
	}
	return r.run(ctx, who, store.Query{SQL: sql, Settings: s}, Entry{SQL: sql})
}

// checkAdHoc has ClickHouse's parser say what the statement is before it
// runs read-only, and refuses what the engine's read-only mode does not:
//   - any statement that is not a read (KILL QUERY, USE, SYSTEM, SET ROLE,
//     transactions, BACKUP…): read-only mode lets some of these through, and
//     USE would stick to a pooled session;
//   - a client-side INTO OUTFILE (the embedded engine writes that file
//     itself, read-only or not) and a second statement after a semicolon;
//   - every table function but those that make rows up, and every function
//     that reads the host's files, wherever it stands in the statement.
//
// The text reaches the parser only as a bound value of formatQuery, which
// parses one statement without running anything and returns its canonical
// form; only a statement known to hold no INTO OUTFILE is ever explained or
// run.
func checkAdHoc(ctx context.Context, st store.Store, sql string, s store.Settings) error {
	probe := store.Settings{ReadOnly: true, MaxExecutionTime: s.MaxExecutionTime, Owner: s.Owner}
	format := func(q string) (string, error) {
		res, err := st.Query(ctx, store.Query{SQL: "SELECT formatQuerySingleLine({q:String})", Params: map[string]string{"q": q}, Settings: probe})
		if err != nil {
			return "", err
		}
		if len(res.Rows) != 1 || len(res.Rows[0]) != 1 {
			return "", fault.New(fault.BadInput, "sql: ClickHouse parses the statement as nothing")
		}
		return store.CellString(res.Rows[0][0]), nil
	}
	canonical, err := format(sql)
	if err != nil {
		if k := store.KindOf(err); k != fault.BadInput {
			return err
		}
		return fault.Wrap(fault.BadInput, fmt.Errorf("sql: %s", syntaxMessage(sql, engineMessage(err))))
	}
	// A SELECT is exactly what parses as a subquery: no INTO OUTFILE, no
	// FORMAT. Anything else must be another read kind and name no output
	// file (the formatter always writes that clause so).
	_, notSubquery := format("SELECT * FROM (" + canonical + ")")
	if notSubquery != nil {
		if strings.Contains(canonical, " INTO OUTFILE ") {
			return fault.New(fault.Forbidden, "sql: INTO OUTFILE is not available: results come back to you, never to a file on the server")
		}
		if u := strings.ToUpper(canonical); strings.HasPrefix(u, "SELECT ") || strings.HasPrefix(u, "WITH ") || strings.HasPrefix(u, "(") {
			return fault.New(fault.BadInput, "sql: remove the FORMAT clause: logmart chooses the result format")
		}
	}
	res, err := st.Query(ctx, store.Query{SQL: "EXPLAIN AST " + canonical, Settings: probe})
	if err != nil {
		return err
	}
	var lines []string
	for _, r := range res.Rows {
		if len(r) > 0 {
			lines = append(lines, store.CellString(r[0]))
		}
	}
	ast := parseAST(lines)
	if ast.Kind == "Explain" && len(lines) > 1 {
		// What is explained must be a read as well.
		if inner := strings.Fields(lines[1]); len(inner) > 0 && !isRead(inner[0]) {
			ast.Kind = inner[0]
		}
	}
	if !isRead(ast.Kind) {
		return fault.New(fault.Forbidden, "sql: only reads run here (SELECT, WITH, EXPLAIN, SHOW, DESCRIBE, EXISTS); ClickHouse parses this statement as %s", ast.Kind)
	}
	if fn, table := ast.refused(); fn != "" {
		if table {
			return fault.New(fault.Forbidden, "sql: the table function %s() is not available here: it reads outside logmart's tables", fn)
		}
		return fault.New(fault.Forbidden, "sql: the function %s() is not available here: it reads outside logmart's tables", fn)
	}
	return nil
}

// run executes q and records it.
func (r *Runner) run(ctx context.Context, who Caller, q store.Query, e Entry) (*store.Result, error) {
	start := time.Now()
	res, err := r.st.Query(ctx, q)
	e.Time, e.Caller, e.Duration, e.Err = start, who, time.Since(start), err
	if e.SQL == "" {
		e.SQL = q.SQL
	}
	if res != nil {
		e.Stats, e.ResultRows = res.Stats, len(res.Rows)
	}
	r.audit.Record(e)
	if err != nil {
		return nil, err
	}
	return res, nil
}

var (
	// wrapperScopeRe is the tail ClickHouse adds to a syntax error in the
	// statement checkAdHoc hands to formatQuerySingleLine: the wrapper, and
	// the user's statement quoted as a literal inside it.
	wrapperScopeRe = regexp.MustCompile(`:? In scope SELECT formatQuerySingleLine\(.*$`)
	// failedAtRe finds where ClickHouse says parsing failed; the line and
	// column it adds for a statement of several lines.
	failedAtRe = regexp.MustCompile(`failed at position (\d+)( \((?:[^()]|\([^()]*\))*\))?(?: \(line (\d+), col (\d+)\))?`)
)

// syntaxMessage rewrites the engine's message about the user's statement
// so that it names only that statement: without the formatQuerySingleLine
// wrapper checkAdHoc parses it in, and with the place as line and column of
// what the user wrote, followed by that line.
func syntaxMessage(stmt, msg string) string {
	msg = wrapperScopeRe.ReplaceAllString(msg, "")
	m := failedAtRe.FindStringSubmatchIndex(msg)
	if m == nil {
		return msg
	}
	sub := func(i int) string {
		if m[2*i] < 0 {
			return ""
		}
		return msg[m[2*i]:m[2*i+1]]
	}
	line, col := 1, 0
	if sub(3) != "" {
		line, _ = strconv.Atoi(sub(3))
		col, _ = strconv.Atoi(sub(4))
	} else {
		col, _ = strconv.Atoi(sub(1))
	}
	where := fmt.Sprintf("failed at line %d, column %d%s", line, col, sub(2))
	msg = msg[:m[0]] + where + msg[m[1]:]
	lines := strings.Split(stmt, "\n")
	if line >= 1 && line <= len(lines) {
		msg += fmt.Sprintf(" (line %d: %s)", line, strings.TrimSpace(lines[line-1]))
	}
	return msg
}
