package store

import (
	"fmt"
	"regexp"
	"strings"
)

// tokenRe is the deduplication token alphabet both engines accept. A token
// in it needs no quoting in statement text or settings.
var tokenRe = regexp.MustCompile(`^[A-Za-z0-9_.:/-]+$`)

// maxToken is the longest deduplication token, in bytes.
const maxToken = 256

// DedupToken makes s a deduplication token for Store.Insert by turning
// every byte outside the token alphabet ([A-Za-z0-9_.:/-]) into '_'.
//
// The exactly-once contract rests on it. A token names one batch's rows
// for one table: a retried batch carries the same token, and ClickHouse
// drops an insert whose token the table has already seen within its
// deduplication window; rows that differ must never share a token. So s
// must identify the rows (ingest uses topic, partition, offset range and
// table), and DedupToken must stay a function of s alone, unchanged across
// releases: a batch written before an upgrade and retried after it must get
// the same token, or it is written twice. Inputs that differ only in bytes
// outside the alphabet get the same token; Kafka topic names hold none.
func DedupToken(s string) string {
	out := []byte(s)
	for i, c := range out {
		ok := c == '_' || c == '.' || c == ':' || c == '/' || c == '-' ||
			(c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
		if !ok {
			out[i] = '_'
		}
	}
	return string(out)
}

// CheckInsert is what both engines check before an insert, so they refuse
// the same inserts with the same words and differ only in transport: the
// block's columns agree on their row count; an empty block writes nothing
// (write is false), whatever the table and token; the table and every
// column name are identifiers (ValidIdent), since engines write them into
// the statement; and a token, when given, is 1 to 256 bytes of the token
// alphabet (see DedupToken).
func CheckInsert(table string, b *Block, token string) (write bool, err error) {
	if err := b.Check(); err != nil {
		return false, fmt.Errorf("cannot insert into %s: %w", table, err)
	}
	if b.Rows() == 0 {
		return false, nil
	}
	if !ValidIdent(table) {
		return false, fmt.Errorf("cannot insert into %q: not a table name", table)
	}
	if len(token) > maxToken {
		return false, fmt.Errorf("cannot insert into %s: deduplication token %q is longer than %d bytes", table, token, maxToken)
	}
	if token != "" && !tokenRe.MatchString(token) {
		return false, fmt.Errorf("cannot insert into %s: deduplication token %q has characters outside [A-Za-z0-9_.:/-]", table, token)
	}
	for _, c := range b.Cols {
		if !ValidIdent(c.ColName()) {
			return false, fmt.Errorf("cannot insert into %s: %q is not a column name", table, c.ColName())
		}
	}
	return true, nil
}

// InsertStatement is "INSERT INTO table (`a`, `b`)", the statement both
// engines insert a block with; table and names are identifiers checked by
// CheckInsert.
func InsertStatement(table string, names []string) string {
	var sb strings.Builder
	sb.WriteString("INSERT INTO ")
	sb.WriteString(table)
	sb.WriteString(" (")
	for i, n := range names {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteByte('`')
		sb.WriteString(n)
		sb.WriteByte('`')
	}
	sb.WriteByte(')')
	return sb.String()
}

// InsertSettings are the settings an insert runs with. With a token,
// ClickHouse deduplicates on it; without one deduplication is off, since
// deduplication by the data's hash would drop a second, legitimately
// identical block. deferIndexes adds DeferSkipIndexes, for engines that
// know that setting.
func InsertSettings(token string, deferIndexes bool) []Setting {
	out := []Setting{{"insert_deduplicate", 0}}
	if token != "" {
		out = []Setting{{"insert_deduplicate", 1}, {"insert_deduplication_token", token}}
	}
	if deferIndexes {
		out = append(out, Setting{DeferSkipIndexes, 0})
	}
	return out
}
