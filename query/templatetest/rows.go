package templatetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strings"
)

// parseRows reads an expect rows block: one JSON array a line.
func parseRows(lines []string) ([][]any, error) {
	rows := make([][]any, 0, len(lines))
	for i, l := range lines {
		dec := json.NewDecoder(strings.NewReader(l))
		dec.UseNumber()
		var row []any
		if err := dec.Decode(&row); err != nil || dec.More() {
			return nil, fmt.Errorf("expected row %d, %s, is not one JSON array", i+1, l)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// compareRows says how got differs from want, or "" when they match; with
// unordered, as multisets.
func compareRows(got, want [][]any, unordered bool) string {
	if unordered {
		got, want = sortedRows(got), sortedRows(want)
	}
	var b strings.Builder
	for i := range max(len(got), len(want)) {
		switch {
		case i >= len(got):
			fmt.Fprintf(&b, "row %d: missing, want %s\n", i+1, formatRow(want[i]))
		case i >= len(want):
			fmt.Fprintf(&b, "row %d: %s is one too many\n", i+1, formatRow(got[i]))
		case !equalValue(got[i], want[i]):
			fmt.Fprintf(&b, "row %d:\n got %s\nwant %s\n", i+1, formatRow(got[i]), formatRow(want[i]))
		}
	}
	if b.Len() == 0 {
		return ""
	}
	head := "rows differ"
	if len(got) != len(want) {
		head = fmt.Sprintf("%d rows, want %d", len(got), len(want))
	}
	return head + ":\n" + strings.TrimSuffix(b.String(), "\n")
}

// sortedRows orders rows by their JSON text, which makes equal rows
// neighbours whatever their order was.
func sortedRows(rows [][]any) [][]any {
	out := slices.Clone(rows)
	slices.SortFunc(out, func(a, b []any) int { return strings.Compare(canonical(a), canonical(b)) })
	return out
}

// canonical writes a row with its numbers in one form, so 1, 1.0 and 1e0
// sort alike.
func canonical(row []any) string {
	var norm func(v any) any
	norm = func(v any) any {
		switch v := v.(type) {
		case json.Number:
			if f, ok := new(big.Float).SetString(v.String()); ok {
				return f.Text('g', 17)
			}
		case []any:
			out := make([]any, len(v))
			for i, e := range v {
				out[i] = norm(e)
			}
			return out
		case map[string]any:
			out := make(map[string]any, len(v))
			for k, e := range v {
				out[k] = norm(e)
			}
			return out
		}
		return v
	}
	b, _ := json.Marshal(norm(any(row)))
	return string(b)
}

// equalValue compares a value of a result with an expected one. Numbers
// are equal as integers, or as floats within a relative 1e-9; a number
// never equals a string.
func equalValue(got, want any) bool {
	switch w := want.(type) {
	case json.Number:
		g, ok := got.(json.Number)
		return ok && equalNumber(g, w)
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !equalValue(g[i], w[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok || !equalValue(gv, wv) {
				return false
			}
		}
		return true
	default:
		return got == want
	}
}

func equalNumber(a, b json.Number) bool {
	if a == b {
		return true
	}
	ai, aok := new(big.Int).SetString(a.String(), 10)
	bi, bok := new(big.Int).SetString(b.String(), 10)
	if aok && bok {
		return ai.Cmp(bi) == 0
	}
	af, err1 := a.Float64()
	bf, err2 := b.Float64()
	if err1 != nil || err2 != nil {
		return false
	}
	return af == bf || math.Abs(af-bf) <= 1e-9*max(math.Abs(af), math.Abs(bf))
}

// formatRows writes rows as an expect rows block.
func formatRows(rows [][]any) string {
	if len(rows) == 0 {
		return "  (none)"
	}
	var b strings.Builder
	for _, r := range rows {
		b.WriteString("  ")
		b.WriteString(formatRow(r))
		b.WriteByte('\n')
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// formatRow writes one row as a JSON array with a space after each comma,
// the way scripts write them.
func formatRow(row []any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	b.WriteByte('[')
	for i, v := range row {
		if i > 0 {
			b.WriteString(", ")
		}
		if err := enc.Encode(v); err != nil {
			fmt.Fprintf(&b, "%q", fmt.Sprint(v))
			continue
		}
		b.Truncate(b.Len() - 1) // Encode's newline
	}
	b.WriteByte(']')
	return b.String()
}
