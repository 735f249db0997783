package query

import (
	"strings"
)

// statement is what ClickHouse's own parse (EXPLAIN AST) says a statement
// is: its kind, and every function and table function it names, wherever
// they stand (joins, subqueries, lambdas, WITH clauses).
type statement struct {
	// Kind is the root node: SelectWithUnionQuery, KillQueryQuery, UseQuery…
	Kind string
	// TableFunctions are the functions standing as a table (FROM f(…)).
	TableFunctions []string
	// Functions are every other function call.
	Functions []string
	// Tables are the tables it names, without their database.
	Tables []string
}

// parseAST reads an EXPLAIN AST dump, one node a line, children indented one
// space deeper than their parent.
func parseAST(lines []string) statement {
	var st statement
	if len(lines) == 0 {
		return st
	}
	if f := strings.Fields(lines[0]); len(f) > 0 {
		st.Kind = f[0]
	}
	for i, l := range lines {
		f := strings.Fields(l)
		if len(f) >= 2 && f[0] == "TableIdentifier" {
			name := f[1]
			if _, table, ok := strings.Cut(name, "."); ok {
				name = table
			}
			st.Tables = append(st.Tables, name)
			continue
		}
		if len(f) < 2 || f[0] != "Function" {
			continue
		}
		if i > 0 && depth(lines[i-1]) == depth(l)-1 && strings.HasPrefix(strings.TrimSpace(lines[i-1]), "TableExpression") {
			st.TableFunctions = append(st.TableFunctions, f[1])
		} else {
			st.Functions = append(st.Functions, f[1])
		}
	}
	return st
}

func depth(l string) int { return len(l) - len(strings.TrimLeft(l, " ")) }

// readKinds are the statements ad-hoc SQL may run: those that only read.
// Every other kind (KILL, USE, SYSTEM, SET ROLE, transactions, BACKUP…)
// changes the server or the session, and is refused before it runs.
var readKinds = map[string]bool{
	"SelectWithUnionQuery":       true,
	"SelectIntersectExceptQuery": true,
	"Explain":                    true,
	"DescribeQuery":              true,
	"ExistsTableQuery":           true,
	"ExistsDatabaseQuery":        true,
	"ExistsDictionaryQuery":      true,
	"ExistsViewQuery":            true,
	"ShowTables":                 true,
	"ShowColumns":                true,
	"ShowIndexes":                true,
	"ShowCreateTableQuery":       true,
	"ShowCreateViewQuery":        true,
	"ShowCreateDatabaseQuery":    true,
	"ShowProcesslistQuery":       true,
	"ShowSettingQuery":           true,
	"ShowFunctions":              true,
}

// isRead reports whether kind is a statement that only reads.
func isRead(kind string) bool { return readKinds[kind] }

// generatingTableFunctions are the table functions ad-hoc SQL may use: they
// make rows up and read nothing. Every other one reads files, URLs, other
// servers or tables around a scope's filters.
var generatingTableFunctions = map[string]bool{
	"numbers": true, "numbers_mt": true, "zeros": true, "zeros_mt": true,
	"generate_series": true, "generateseries": true, "values": true, "generaterandom": true,
	"null": true, "one": true,
}

// outsideFunctions are functions that read outside logmart's tables (the
// host's files) or read a table by a name in a string, past the table
// identifiers a scope filters on. A missing file and a forbidden one must
// answer alike, so these are refused before anything runs.
var outsideFunctions = map[string]bool{
	"file": true, "joinget": true, "joingetornull": true,
}

// refused returns the first function of st that ad-hoc SQL may not call, and
// whether it stands as a table.
func (st statement) refused() (name string, table bool) {
	for _, f := range st.TableFunctions {
		if !generatingTableFunctions[strings.ToLower(f)] {
			return f, true
		}
	}
	for _, f := range st.Functions {
		if outsideFunctions[strings.ToLower(f)] {
			return f, false
		}
	}
	return "", false
}
