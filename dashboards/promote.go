package dashboards

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
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
	if dst != nil && dst.Hash == src.Hash {
		o.OldHash, o.Action = dst.Hash, OutcomeUnchanged
		return o
	}
	last, err := to.LastPromotion(ctx, kind, uid)
	if err != nil {
		o.Err = fmt.Errorf("cannot read the promotions of %s %s on %s: %w", kind, quoteUID(uid), to.Name, err)
		return o
	}
	switch {
	case dst != nil:
		o.OldHash = dst.Hash
		if last == nil || last.NewHash != dst.Hash {
			if !opts.Force {
				o.Err = localEdit(kind, uid, from.Name, to.Name, src.Hash, dst.Hash, last)
				return o
			}
			o.Forced = true
		}
	case last != nil:
		// Promoted there once and gone since: deleted on the target, which
		// is a local edit too.
		if !opts.Force {
			o.Err = fmt.Errorf("%s %s was deleted on %s since the last promotion (from %s by %s at %s, which left %s); promote with --force to create it again",
				kind, quoteUID(uid), to.Name, last.From, last.By, last.At.Format(time.RFC3339), last.NewHash)
			return o
		}
		o.Forced = true
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
