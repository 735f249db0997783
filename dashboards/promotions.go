package dashboards

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/store"
)

// KindDashboard is the content kind of dashboards. Promotion is written
// over kinds so that templates, monitors and budgets join it as one more
// kind (an entry in the instance's PromotionLog and in the CLI's kind
// table), not as a copy of the machinery.
const KindDashboard = "dashboard"

// Promotion is one promotion of one item of content into an instance, as
// the promotions table keeps it.
type Promotion struct {
	Kind string `json:"kind"`
	UID  string `json:"uid"`
	// From and To are the environments' names in the environments file
	// of whoever promoted.
	From string `json:"from"`
	To   string `json:"to"`
	// OldHash is the hash the target held before ("" when it had none);
	// NewHash the one it holds after.
	OldHash string `json:"old_hash"`
	NewHash string `json:"new_hash"`
	// Forced is a promotion that overwrote a local edit (--force).
	Forced bool `json:"forced"`
	// By is the name of the token that promoted; At is when the instance
	// recorded it. Both are set by the instance, never by the caller.
	By string    `json:"by"`
	At time.Time `json:"at"`
}

// CurrentHash returns the hash an instance serves for uid of one kind, or
// a NotFound error.
type CurrentHash func(ctx context.Context, uid string) (string, error)

// PromotionLog records the promotions into this instance in the
// promotions table, and answers the last one of an item. It is the
// instance's side of promotion; the CLI's side is Promote.
type PromotionLog struct {
	st    store.Store
	kinds map[string]CurrentHash
}

// NewPromotionLog returns the log over st for the given kinds: each maps
// to how the instance reads an item's current hash, so that a record
// claiming a hash the instance does not hold is refused.
func NewPromotionLog(st store.Store, kinds map[string]CurrentHash) *PromotionLog {
	return &PromotionLog{st: st, kinds: kinds}
}

var hashRe = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Record appends p, with By set to who and At to now, after checking it:
// a known kind, environment names, hashes of 64 hex digits, and NewHash
// the hash the instance now serves for the uid, so the table never claims
// content the instance does not hold.
func (l *PromotionLog) Record(ctx context.Context, p Promotion, who string) (*Promotion, error) {
	current, ok := l.kinds[p.Kind]
	switch {
	case !ok:
		return nil, fault.New(fault.BadInput, "kind: %q is not a content kind (want %s)", p.Kind, strings.Join(l.Kinds(), ", "))
	case !uidRe.MatchString(p.UID) || len(p.UID) > MaxUIDLen:
		return nil, fault.New(fault.BadInput, "uid: %s is not a uid (letters, digits, _ and -, at most 40)", quoteUID(p.UID))
	case !envNameRe.MatchString(p.From):
		return nil, fault.New(fault.BadInput, "from: %q is not an environment name", p.From)
	case !envNameRe.MatchString(p.To):
		return nil, fault.New(fault.BadInput, "to: %q is not an environment name", p.To)
	case p.OldHash != "" && !hashRe.MatchString(p.OldHash):
		return nil, fault.New(fault.BadInput, "old_hash: %q is not a SHA-256 in hex", p.OldHash)
	case !hashRe.MatchString(p.NewHash):
		return nil, fault.New(fault.BadInput, "new_hash: %q is not a SHA-256 in hex", p.NewHash)
	}
	h, err := current(ctx, p.UID)
	if err != nil {
		return nil, err
	}
	if h != p.NewHash {
		return nil, fault.New(fault.BadInput, "new_hash: %s %s is %s here, not %s; promote it before recording the promotion", p.Kind, quoteUID(p.UID), h, p.NewHash)
	}
	p.By, p.At = who, time.Now().UTC().Truncate(time.Millisecond)
	forced := "0"
	if p.Forced {
		forced = "1"
	}
	err = l.st.Exec(ctx, store.Query{
		SQL: `INSERT INTO promotions (promoted_at, kind, uid, from_env, to_env, old_hash, new_hash, forced, promoted_by)
VALUES (fromUnixTimestamp64Milli({at:Int64}), {kind:String}, {uid:String}, {from:String}, {to:String}, {old:String}, {new:String}, {forced:UInt8}, {by:String})`,
		Params: map[string]string{"at": strconv.FormatInt(p.At.UnixMilli(), 10), "kind": p.Kind, "uid": p.UID, "from": p.From, "to": p.To,
			"old": p.OldHash, "new": p.NewHash, "forced": forced, "by": who},
	})
	if err != nil {
		return nil, fmt.Errorf("cannot record the promotion of %s %s in the promotions table: %w", p.Kind, quoteUID(p.UID), err)
	}
	return &p, nil
}

// List returns the promotions into this instance, newest first, of one
// kind and uid when they are not empty, at most limit.
func (l *PromotionLog) List(ctx context.Context, kind, uid string, limit int) ([]Promotion, error) {
	if kind != "" {
		if _, ok := l.kinds[kind]; !ok {
			return nil, fault.New(fault.BadInput, "kind: %q is not a content kind (want %s)", kind, strings.Join(l.Kinds(), ", "))
		}
	}
	var where []string
	params := map[string]string{"limit": strconv.Itoa(limit)}
	if kind != "" {
		where = append(where, "kind = {kind:String}")
		params["kind"] = kind
	}
	if uid != "" {
		where = append(where, "uid = {uid:String}")
		params["uid"] = uid
	}
	sql := `SELECT toUnixTimestamp64Milli(promoted_at), kind, uid, from_env, to_env, old_hash, new_hash, forced, promoted_by FROM promotions`
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	sql += " ORDER BY promoted_at DESC LIMIT {limit:UInt32}"
	res, err := l.st.Query(ctx, store.Query{SQL: sql, Params: params})
	if err != nil {
		return nil, fmt.Errorf("cannot read the promotions table: %w", err)
	}
	out := make([]Promotion, 0, len(res.Rows))
	for _, r := range res.Rows {
		if len(r) < 9 {
			continue
		}
		out = append(out, Promotion{At: store.CellUnixMilli(r[0]), Kind: store.CellString(r[1]), UID: store.CellString(r[2]),
			From: store.CellString(r[3]), To: store.CellString(r[4]), OldHash: store.CellString(r[5]), NewHash: store.CellString(r[6]),
			Forced: store.CellUint64(r[7]) == 1, By: store.CellString(r[8])})
	}
	return out, nil
}

// Kinds lists the content kinds the log records, sorted.
func (l *PromotionLog) Kinds() []string {
	out := make([]string, 0, len(l.kinds))
	for k := range l.kinds {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
