package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/logmart/logmart/store"
)

// table is how alerts write one of its tables: rows as JSON objects whose
// fields are the columns, times as unix milliseconds (ms suffix in
// structure), converted by the statement.
type table struct {
	name string
	// structure is the JSON rows' schema ("id String, at_ms Int64, …").
	structure string
}

// insert writes rows in one statement, the rows travelling as one bound
// parameter parsed by the engine's JSONEachRow reader.
func (t table) insert(ctx context.Context, st store.Store, rows []map[string]any) error {
	if len(rows) == 0 {
		return nil
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for _, r := range rows {
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("cannot encode a %s row: %w", t.name, err)
		}
	}
	var cols, sel []string
	for _, f := range topLevel(t.structure) {
		name, typ, _ := strings.Cut(strings.TrimSpace(f), " ")
		if col, ok := strings.CutSuffix(name, "_ms"); ok && typ == "Int64" {
			cols = append(cols, col)
			sel = append(sel, "fromUnixTimestamp64Milli("+name+")")
			continue
		}
		cols = append(cols, name)
		sel = append(sel, name)
	}
	err := st.Exec(ctx, store.Query{
		SQL: "INSERT INTO " + t.name + " (" + strings.Join(cols, ", ") + ") SELECT " + strings.Join(sel, ", ") +
			" FROM format(JSONEachRow, '" + t.structure + "', {rows:String})",
		Params: map[string]string{"rows": b.String()},
	})
	if err != nil {
		return fmt.Errorf("cannot write to %s: %w", t.name, err)
	}
	return nil
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// topLevel splits a structure at its commas outside parentheses.
func topLevel(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}
