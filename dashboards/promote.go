package dashboards

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Item is one item of content as an instance serves it: its canonical
// bytes and their SHA-256.
type Item struct {
	UID  string
	Hash string
	// Body is the canonical form, exactly as the instance serves it;
	// promotion copies it unchanged.
	Body []byte
}

// Instance is one environment's content as promotion reads and writes it,
// for any content kind. cmd implements it over the instance's HTTP API;
// the instance checks and stores what it is given, so promotion never
// writes around the checks an edit through the API passes.
type Instance interface {
	// Hashes returns uid → hash of every item of kind the instance serves.
	Hashes(ctx context.Context, kind string) (map[string]string, error)
	// Get returns one item, or nil and no error when the instance has
	// none by that uid.
	Get(ctx context.Context, kind, uid string) (*Item, error)
	// Put writes body as uid: it creates when ifMatch is empty, and
	// otherwise replaces the item whose hash is ifMatch, failing when the
	// item changed meanwhile. It returns the hash the instance now holds.
	Put(ctx context.Context, kind, uid string, body []byte, ifMatch string) (string, error)
	// LastPromotion returns the newest promotion of kind and uid recorded
	// on the instance, or nil when there is none.
	LastPromotion(ctx context.Context, kind, uid string) (*Promotion, error)
	// Record records a promotion into the instance; the instance sets who
	// and when.
	Record(ctx context.Context, p Promotion) error
	// DependencyHash returns the hash of a versioned item the instance
	// holds (a template version), or "" and no error when it has none.
	DependencyHash(ctx context.Context, dep Dependency) (string, error)
}

// KindTemplate is the content kind of query template versions: today a
// dependency of dashboards, provisioned from files on every instance.
const KindTemplate = "template"

// Dependency is a versioned item that an item of content needs on the
// instance it is promoted to: a dashboard's template versions. A version
// is never overwritten, so promotion copies none: it checks the target
// holds each one with the source's hash.
type Dependency struct {
	Kind    string
	ID      string
	Version uint32
}

func (d Dependency) String() string { return fmt.Sprintf("%s %s v%d", d.Kind, d.ID, d.Version) }

// dependencies reads the dependencies of an item's body, per kind.
var dependencies = map[string]func(body []byte) ([]Dependency, error){
	KindDashboard: func(body []byte) ([]Dependency, error) {
		d, _, err := Decode(body, "")
		if err != nil {
			return nil, err
		}
		var out []Dependency
		for _, r := range d.Templates() {
			out = append(out, Dependency{Kind: KindTemplate, ID: r.ID, Version: r.Version})
		}
		return out, nil
	},
}

// DependencyState is one dependency's hash on two instances.
type DependencyState struct {
	Dependency
	FromHash, ToHash string // "" where the instance lacks it
}

// dependencyStates reads the hashes, on both instances, of what the
// bodies need (either body may be nil).
func dependencyStates(ctx context.Context, kind string, from, to Env, bodies ...[]byte) ([]DependencyState, error) {
	read := dependencies[kind]
	if read == nil {
		return nil, nil
	}
	seen := map[Dependency]bool{}
	var out []DependencyState
	for _, b := range bodies {
		if b == nil {
			continue
		}
		deps, err := read(b)
		if err != nil {
			return nil, err
		}
		for _, d := range deps {
			if seen[d] {
				continue
			}
			seen[d] = true
			s := DependencyState{Dependency: d}
			if s.FromHash, err = from.DependencyHash(ctx, d); err != nil {
				return nil, fmt.Errorf("cannot read %s on %s: %w", d, from.Name, err)
			}
			if s.ToHash, err = to.DependencyHash(ctx, d); err != nil {
				return nil, fmt.Errorf("cannot read %s on %s: %w", d, to.Name, err)
			}
			out = append(out, s)
		}
	}
	return out, nil
}

// dependencyConflict says why the target cannot take an item whose
// dependencies are deps, or is nil.
func dependencyConflict(deps []DependencyState, from, to string) error {
	var msgs []string
	for _, d := range deps {
		switch {
		case d.FromHash == "":
			msgs = append(msgs, fmt.Sprintf("%s is missing on %s itself", d.Dependency, from))
		case d.ToHash == "":
			msgs = append(msgs, fmt.Sprintf("%s is missing on %s (deploy it there first; %s has %s)", d.Dependency, to, from, d.FromHash))
		case d.ToHash != d.FromHash:
			msgs = append(msgs, fmt.Sprintf("%s differs: %s has %s, %s has %s (a version is never overwritten: give the changed one a new version)", d.Dependency, from, d.FromHash, to, d.ToHash))
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return errors.New(strings.Join(msgs, "; "))
}

// Env is an Instance under its environment's name.
type Env struct {
	Name string
	Instance
}

// HashOf is the SHA-256 of a canonical body in hex, the hash every kind's
// items are identified by.
func HashOf(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// get reads one item and checks its bytes against its hash: trust but
// verify, so that a body changed on the way is never copied on.
func get(ctx context.Context, e Env, kind, uid string) (*Item, error) {
	it, err := e.Get(ctx, kind, uid)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s %s from %s: %w", kind, quoteUID(uid), e.Name, err)
	}
	if it != nil && HashOf(it.Body) != it.Hash {
		return nil, fmt.Errorf("%s %s on %s: the body read hashes to %s, but %s says its hash is %s", kind, quoteUID(uid), e.Name, HashOf(it.Body), e.Name, it.Hash)
	}
	return it, nil
}

// uidsOf returns uids when given, else every uid of kind on the instances,
// sorted.
func uidsOf(ctx context.Context, kind string, uids []string, envs ...Env) ([]string, map[string]map[string]string, error) {
	hashes := map[string]map[string]string{}
	all := map[string]bool{}
	for _, e := range envs {
		h, err := e.Hashes(ctx, kind)
		if err != nil {
			return nil, nil, fmt.Errorf("cannot list the %ss of %s: %w", kind, e.Name, err)
		}
		hashes[e.Name] = h
		for uid := range h {
			all[uid] = true
		}
	}
	if len(uids) > 0 {
		return uids, hashes, nil
	}
	out := make([]string, 0, len(all))
	for uid := range all {
		out = append(out, uid)
	}
	sort.Strings(out)
	return out, hashes, nil
}

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

// What a promotion of one item did.
const (
	OutcomeUnchanged = "unchanged"
	OutcomeCreated   = "created"
	OutcomeReplaced  = "replaced"
	OutcomeRefused   = "refused"
)

// Outcome is what promoting one item did, or would do under DryRun.
type Outcome struct {
	UID    string
	Action string // one of the Outcome… constants
	// OldHash is the target's hash before ("" when it had none); NewHash
	// the source's, which the target holds after.
	OldHash, NewHash string
	Forced           bool
	// Err says why the item was refused or failed.
	Err error
}

// PromoteOptions are promote's flags.
type PromoteOptions struct {
	// Force overwrites a target edited since the last promotion.
	Force bool
	// DryRun decides every outcome and writes nothing.
	DryRun bool
}

// Promote copies items of kind (uids, or every item the source holds)
// from one instance to another, each in one step: the source's canonical
// bytes unchanged, written with If-Match on the target's hash, then
// recorded on the target. An item the target already holds with the
// source's hash is left alone (a second run changes nothing). An item the
// target holds with a hash other than the one last promoted there (or
// that was never promoted there) was edited locally, and is refused
// unless opts.Force. An item that fails does not stop the others; the
// outcomes say what happened to each.
func Promote(ctx context.Context, kind string, from, to Env, uids []string, opts PromoteOptions) ([]Outcome, error) {
	if from.Name == to.Name {
		return nil, fmt.Errorf("--from and --to are both %s: promote between two environments", from.Name)
	}
	// Both ends answer before anything is written, so an unreachable
	// instance is one error rather than one per item.
	dstHashes, err := to.Hashes(ctx, kind)
	if err != nil {
		return nil, fmt.Errorf("cannot list the %ss of %s: %w", kind, to.Name, err)
	}
	srcHashes, err := from.Hashes(ctx, kind)
	if err != nil {
		return nil, fmt.Errorf("cannot list the %ss of %s: %w", kind, from.Name, err)
	}
	list := uids
	if len(list) == 0 {
		for uid := range srcHashes {
			list = append(list, uid)
		}
		sort.Strings(list)
	}
	out := make([]Outcome, 0, len(list))
	for _, uid := range list {
		// Equal hashes in the listings: nothing to read or write.
		if h := srcHashes[uid]; h != "" && h == dstHashes[uid] {
			out = append(out, Outcome{UID: uid, Action: OutcomeUnchanged, OldHash: h, NewHash: h})
			continue
		}
		out = append(out, promoteOne(ctx, kind, from, to, uid, opts))
	}
	return out, nil
}

func promoteOne(ctx context.Context, kind string, from, to Env, uid string, opts PromoteOptions) Outcome {
	o := Outcome{UID: uid, Action: OutcomeRefused}
	src, err := get(ctx, from, kind, uid)
	if err != nil {
		o.Err = err
		return o
	}
	if src == nil {
		o.Err = fmt.Errorf("no %s %s on %s", kind, quoteUID(uid), from.Name)
		return o
	}
	o.NewHash = src.Hash
	dst, err := get(ctx, to, kind, uid)
	if err != nil {
		o.Err = err
		return o
	}
	if dst != nil {
		o.OldHash = dst.Hash
		if dst.Hash == src.Hash {
			o.Action = OutcomeUnchanged
			return o
		}
		last, err := to.LastPromotion(ctx, kind, uid)
		if err != nil {
			o.Err = fmt.Errorf("cannot read the promotions of %s %s on %s: %w", kind, quoteUID(uid), to.Name, err)
			return o
		}
		if last == nil || last.NewHash != dst.Hash {
			if !opts.Force {
				o.Err = localEdit(kind, uid, from.Name, to.Name, src.Hash, dst.Hash, last)
				return o
			}
			o.Forced = true
		}
	}
	deps, err := dependencyStates(ctx, kind, from, to, src.Body)
	if err != nil {
		o.Err = err
		return o
	}
	if err := dependencyConflict(deps, from.Name, to.Name); err != nil {
		o.Err = fmt.Errorf("%s %s cannot go to %s: %w", kind, quoteUID(uid), to.Name, err)
		return o
	}
	o.Action = OutcomeCreated
	if dst != nil {
		o.Action = OutcomeReplaced
	}
	if opts.DryRun {
		return o
	}
	got, err := to.Put(ctx, kind, uid, src.Body, o.OldHash)
	if err != nil {
		o.Action, o.Err = OutcomeRefused, fmt.Errorf("cannot write %s %s to %s: %w", kind, quoteUID(uid), to.Name, err)
		return o
	}
	if got != src.Hash {
		o.Action, o.Err = OutcomeRefused, fmt.Errorf("%s %s: %s now holds hash %s, not %s's %s; the two instances do not read the same canonical form", kind, quoteUID(uid), to.Name, got, from.Name, src.Hash)
		return o
	}
	p := Promotion{Kind: kind, UID: uid, From: from.Name, To: to.Name, OldHash: o.OldHash, NewHash: src.Hash, Forced: o.Forced}
	if err := to.Record(ctx, p); err != nil {
		o.Err = fmt.Errorf("%s %s was written to %s but its promotion was not recorded, so the next promote will see a local edit: %w", kind, quoteUID(uid), to.Name, err)
	}
	return o
}

func localEdit(kind, uid, from, to, srcHash, dstHash string, last *Promotion) error {
	if last == nil {
		return fmt.Errorf("%s %s on %s was never promoted there and differs from %s: %s has %s, %s has %s; promote with --force to overwrite it",
			kind, quoteUID(uid), to, from, to, dstHash, from, srcHash)
	}
	return fmt.Errorf("%s %s on %s was edited there since the last promotion: %s has %s, the last promotion (from %s by %s at %s) left %s, %s has %s; promote with --force to overwrite it",
		kind, quoteUID(uid), to, to, dstHash, last.From, last.By, last.At.Format(time.RFC3339), last.NewHash, from, srcHash)
}

// VerifyRow is one item's hash on every instance verified.
type VerifyRow struct {
	UID string `json:"uid"`
	// Hashes maps each environment's name to the item's hash there, ""
	// where the instance does not have it.
	Hashes map[string]string `json:"hashes"`
	// Drift is true when the hashes are not all the same, an instance
	// lacks the item, or the instances hold one of its dependencies (a
	// template version) with different hashes or not at all: the same
	// dashboard over a different template shows something else.
	Drift bool `json:"drift"`
	// Dependencies names each dependency that drifts, and how.
	Dependencies []string `json:"-"`
}

// Verify reads the hash of every item of kind (uids, or all that any
// instance holds) on every instance: trust but verify that promoted
// content is identical everywhere.
func Verify(ctx context.Context, kind string, envs []Env, uids []string) ([]VerifyRow, error) {
	list, hashes, err := uidsOf(ctx, kind, uids, envs...)
	if err != nil {
		return nil, err
	}
	out := make([]VerifyRow, 0, len(list))
	for _, uid := range list {
		r := VerifyRow{UID: uid, Hashes: map[string]string{}}
		for i, e := range envs {
			h := hashes[e.Name][uid]
			r.Hashes[e.Name] = h
			if h == "" || h != hashes[envs[0].Name][uid] && i > 0 {
				r.Drift = true
			}
		}
		if !r.Drift {
			if r.Dependencies, err = dependencyDrift(ctx, kind, envs, uid); err != nil {
				return nil, err
			}
			r.Drift = len(r.Dependencies) > 0
		}
		out = append(out, r)
	}
	return out, nil
}

// dependencyDrift compares, across envs, the hashes of the dependencies of
// an item every env holds with one hash.
func dependencyDrift(ctx context.Context, kind string, envs []Env, uid string) ([]string, error) {
	read := dependencies[kind]
	if read == nil || len(envs) < 2 {
		return nil, nil
	}
	it, err := get(ctx, envs[0], kind, uid)
	if err != nil || it == nil {
		return nil, err
	}
	deps, err := read(it.Body)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range deps {
		var parts []string
		drift := false
		first := ""
		for i, e := range envs {
			h, err := e.DependencyHash(ctx, d)
			if err != nil {
				return nil, fmt.Errorf("cannot read %s on %s: %w", d, e.Name, err)
			}
			if i == 0 {
				first = h
			}
			drift = drift || h == "" || h != first
			parts = append(parts, e.Name+" "+ShortHash(h))
		}
		if drift {
			out = append(out, fmt.Sprintf("%s: %s", d, strings.Join(parts, ", ")))
		}
	}
	return out, nil
}

// ShortHash is a hash's first 12 digits, for tables a person reads.
func ShortHash(h string) string {
	if h == "" {
		return "-"
	}
	if len(h) > 12 {
		return h[:12]
	}
	return h
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
