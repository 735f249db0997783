package dashboards

import (
	"context"
	"fmt"
	"strings"
)

// Difference is how one item differs between two instances.
type Difference struct {
	UID              string
	FromHash, ToHash string // "" where the instance has none
	// Diff is a unified diff from the target's canonical form to the
	// source's: the change promote would make; "" when they are equal.
	Diff             string
	FromName, ToName string
	// Dependencies are the hashes on both instances of what either copy
	// needs (a dashboard's template versions).
	Dependencies []DependencyState
}

// Same reports whether both instances hold the item with one hash.
func (d Difference) Same() bool { return d.FromHash != "" && d.FromHash == d.ToHash }

// Diff compares the items of kind (uids, or all that either holds) between
// two instances, by hash and, where they differ, line by line.
func Diff(ctx context.Context, kind string, from, to Env, uids []string) ([]Difference, error) {
	list, _, err := uidsOf(ctx, kind, uids, from, to)
	if err != nil {
		return nil, err
	}
	var out []Difference
	for _, uid := range list {
		a, err := get(ctx, from, kind, uid)
		if err != nil {
			return nil, err
		}
		b, err := get(ctx, to, kind, uid)
		if err != nil {
			return nil, err
		}
		if a == nil && b == nil {
			return nil, fmt.Errorf("no %s %s on %s or %s", kind, quoteUID(uid), from.Name, to.Name)
		}
		d := Difference{UID: uid, FromName: from.Name, ToName: to.Name}
		var ab, bb []byte
		if a != nil {
			d.FromHash, ab = a.Hash, a.Body
		}
		if b != nil {
			d.ToHash, bb = b.Hash, b.Body
		}
		if !d.Same() {
			// From the target's copy to the source's: the change promote
			// would make.
			d.Diff = UnifiedDiff(to.Name+"/"+uid, from.Name+"/"+uid, string(bb), string(ab))
		}
		if d.Dependencies, err = dependencyStates(ctx, kind, from, to, ab, bb); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// UnifiedDiff is a line diff of a and b in the unified format with three
// lines of context; "" when they are equal.
func UnifiedDiff(nameA, nameB, a, b string) string {
	if a == b {
		return ""
	}
	x, y := splitLines(a), splitLines(b)
	// Longest common subsequence by dynamic programming: content files are
	// hundreds of lines, so the table stays small.
	n, m := len(x), len(y)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type op struct {
		kind   byte // ' ', '-', '+'
		text   string
		ai, bi int // line numbers (0-based) in a and b before this op
	}
	var ops []op
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && x[i] == y[j]:
			ops = append(ops, op{' ', x[i], i, j})
			i, j = i+1, j+1
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, op{'-', x[i], i, j})
			i++
		default:
			ops = append(ops, op{'+', y[j], i, j})
			j++
		}
	}
	const context = 3
	var b2 strings.Builder
	fmt.Fprintf(&b2, "--- %s\n+++ %s\n", nameA, nameB)
	for k := 0; k < len(ops); {
		if ops[k].kind == ' ' {
			k++
			continue
		}
		start := max(k-context, 0)
		end := k
		// Extend the hunk while changes are closer than twice the context.
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run == len(ops) || run-end > 2*context {
				end = min(end+context, len(ops))
				break
			}
			end = run
		}
		var la, lb int
		for _, o := range ops[start:end] {
			if o.kind != '+' {
				la++
			}
			if o.kind != '-' {
				lb++
			}
		}
		// A side with no lines in the hunk names the line before it.
		sa, sb := ops[start].ai+1, ops[start].bi+1
		if la == 0 {
			sa--
		}
		if lb == 0 {
			sb--
		}
		fmt.Fprintf(&b2, "@@ -%d,%d +%d,%d @@\n", sa, la, sb, lb)
		for _, o := range ops[start:end] {
			b2.WriteByte(o.kind)
			b2.WriteString(o.text)
			b2.WriteByte('\n')
		}
		k = end
	}
	return b2.String()
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}
