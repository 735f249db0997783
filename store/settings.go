package store

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Setting is one ClickHouse setting a statement runs with. Value is a
// string, a number, or a Literal written as it is.
type Setting struct {
	Name  string
	Value any
}

// Literal is a setting value already written as ClickHouse text (a map
// literal, for example); engines pass it on unquoted where the statement
// text needs it.
type Literal string

// Deny is the table filter that hides every row: scoped readers see no row
// of a table their scope does not name.
const Deny = "0"

// List is the one translation of s into ClickHouse settings, in the order a
// session must apply them: read-only last, since after it no setting can
// change. tables are the engine's own tables; with DenyUnlisted each one
// TableFilters does not name gets the Deny filter.
func (s Settings) List(tables []string) []Setting {
	var out []Setting
	if s.MaxExecutionTime > 0 {
		out = append(out, Setting{"max_execution_time", Literal(Seconds(s.MaxExecutionTime))})
	}
	if s.MaxResultRows > 0 {
		out = append(out, Setting{"max_result_rows", s.MaxResultRows}, Setting{"result_overflow_mode", "throw"})
	}
	if s.MaxRowsToRead > 0 {
		out = append(out, Setting{"max_rows_to_read", s.MaxRowsToRead}, Setting{"read_overflow_mode", "throw"})
	}
	if s.MaxMemoryUsage > 0 {
		out = append(out, Setting{"max_memory_usage", s.MaxMemoryUsage})
	}
	if f := s.filters(tables); len(f) > 0 {
		out = append(out, Setting{"additional_table_filters", Literal(TableFiltersLiteral(f))},
			// The engine's ORDER BY … LIMIT dynamic filter compares the
			// sort key against the scope's values and fails ("converting
			// 'payments' to DateTime64 … __topKFilter") on some reads of a
			// filtered table; it only saves work, so filtered sessions go
			// without it.
			Setting{"use_top_k_dynamic_filtering", 0})
	}
	if s.ReadOnly {
		out = append(out, Setting{"readonly", 1})
	}
	return out
}

// filters are the table filters s applies given the engine's tables.
func (s Settings) filters(tables []string) map[string]string {
	if !s.DenyUnlisted {
		return s.TableFilters
	}
	f := make(map[string]string, len(tables)+len(s.TableFilters))
	for _, t := range tables {
		f[t] = Deny
	}
	for k, v := range s.TableFilters {
		f[k] = v
	}
	return f
}

// Key fingerprints what s asks of a session: equal keys mean sessions and
// results that can be shared. Owner only labels statements and is left out.
func (s Settings) Key() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ro=%t;t=%d;res=%d;read=%d;mem=%d;deny=%t", s.ReadOnly, s.MaxExecutionTime, s.MaxResultRows,
		s.MaxRowsToRead, s.MaxMemoryUsage, s.DenyUnlisted)
	keys := make([]string, 0, len(s.TableFilters))
	for k := range s.TableFilters {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, ";f%d:%s=%d:%s", len(k), k, len(s.TableFilters[k]), s.TableFilters[k])
	}
	return b.String()
}

// Seconds renders a duration as the decimal seconds ClickHouse's timespan
// settings parse ("30", "1.5"); a positive duration never renders as 0,
// which would mean "no limit".
func Seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
}

// TableFiltersLiteral renders additional_table_filters as the Map(String,
// String) text ClickHouse parses the setting from: {'table': 'filter', …},
// keys sorted so equal settings render equally. The filters come from
// logmart's configuration (token scopes), never from a query's caller; they
// are quoted as string literals all the same.
func TableFiltersLiteral(f map[string]string) string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(Quote(k))
		b.WriteString(": ")
		b.WriteString(Quote(f[k]))
	}
	b.WriteByte('}')
	return b.String()
}

// literalEscaper escapes what ends or alters a single-quoted ClickHouse
// string: the quote and the backslash. Every other byte, newlines and NULs
// included, is read back as itself.
var literalEscaper = strings.NewReplacer(`\`, `\\`, `'`, `\'`)

// Quote writes s as a single-quoted ClickHouse string literal.
func Quote(s string) string {
	return "'" + literalEscaper.Replace(s) + "'"
}

// paramEscaper escapes what ends or alters a tab-separated field.
var paramEscaper = strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`, "\x00", `\0`)

// EscapeParam writes a bound parameter's value the way ClickHouse reads
// one, on both engines: as a tab-separated field, where backslash, tab,
// newline, carriage return and NUL are escaped. Without it "a\tb" would end
// the field at the tab, `\n` typed by a user would arrive as a newline and
// `\N` as NULL.
func EscapeParam(v string) string {
	if !strings.ContainsAny(v, "\\\t\n\r\x00") {
		return v
	}
	return paramEscaper.Replace(v)
}

// Render writes a setting's value as statement text (SET name = value).
func (s Setting) Render() string {
	switch v := s.Value.(type) {
	case Literal:
		return string(v)
	case string:
		return Quote(v)
	default:
		return fmt.Sprint(v)
	}
}

// Marker is the comment every statement run on a caller's behalf starts
// with. It ties the statement to one run (id), so that run alone can be
// cancelled, and to its owner, so system.processes can show a caller only
// their own statements. The owner is hex-encoded: no name can close the
// comment or forge another's prefix.
func Marker(owner, id string) string {
	return ownerPrefix(owner) + id + " */ "
}

func ownerPrefix(owner string) string {
	o := "-"
	if owner != "" {
		o = hex.EncodeToString([]byte(owner))
	}
	return "/* logmart owner=" + o + " q="
}

// OwnerFilter is the system.processes filter that shows only owner's
// statements (see Marker).
func OwnerFilter(owner string) string {
	return "startsWith(query, " + Quote(ownerPrefix(owner)) + ")"
}

// ProcessesTable is the engine's list of running statements.
const ProcessesTable = "system.processes"

// Mark is the leading comment of a statement run with s: Marker of its
// owner and its Statement id, or a fresh id when it has none.
func (s Settings) Mark() string {
	id := s.Statement
	if id == "" {
		id = NewStatementID()
	}
	return Marker(s.Owner, id)
}

// ValidStatementID reports whether id may name a statement: 8 to 64
// letters, digits or dashes, so that it can sit inside a statement's
// leading comment and a system.processes filter as it is.
func ValidStatementID(id string) bool {
	if len(id) < 8 || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// NewStatementID returns a fresh id for Marker: 16 random hex digits.
func NewStatementID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

var positionRe = regexp.MustCompile(`position (\d+)`)

// Unmark takes a Marker of n bytes back out of an engine error: the
// statement's own text starts n bytes later than the engine saw it, so
// "failed at position N" reads as the caller counts.
func Unmark(err error, n int) error {
	var e *Error
	if !errors.As(err, &e) || !strings.Contains(e.Message, "position ") {
		return err
	}
	e.Message = positionRe.ReplaceAllStringFunc(e.Message, func(m string) string {
		p, convErr := strconv.Atoi(m[len("position "):])
		if convErr != nil || p < n {
			return m
		}
		return "position " + strconv.Itoa(p-n)
	})
	return err
}
