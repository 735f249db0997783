package store

import (
	"fmt"
	"regexp"
)

// identRe is the one identifier rule: what logmart writes into statement
// text as a database, table or column name.
var identRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)

// ValidIdent reports whether s may stand in statement text as a database,
// table or column name: a letter or _, then letters, digits and _, at most
// 128 in all. Such a name needs no quoting and cannot end or alter the
// statement around it, so engines and callers check names with it instead
// of quoting them.
func ValidIdent(s string) bool { return identRe.MatchString(s) }

// CheckDatabase checks store.database, the database both engines create
// and run every statement in; config checks it at start with the same rule
// and words.
func CheckDatabase(name string) error {
	if !ValidIdent(name) {
		return fmt.Errorf("store.database %q must be a letter or _, then letters, digits and _, at most 128 in all", name)
	}
	return nil
}
