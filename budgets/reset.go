package budgets

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/store"
)

// Reset is one manual reset of a budget's period.
type Reset struct {
	Budget string    `json:"budget"`
	At     time.Time `json:"at"`
	By     string    `json:"by"`
	Reason string    `json:"reason"`
}

// Reset starts budget id's current period over from now: its usage counts
// from the reset, and its next scheduled reset does not move. Every reset
// is kept, with who made it and why (the audit).
func (b *Book) Reset(ctx context.Context, id, who, reason string) (*Reset, error) {
	found := false
	for _, x := range b.Budgets() {
		found = found || x.ID == id
	}
	switch {
	case !found:
		return nil, fault.New(fault.NotFound, "no budget %q", clip(id))
	case strings.TrimSpace(reason) == "":
		return nil, fault.New(fault.BadInput, "reason is required: the audit says why the budget was reset")
	case len(reason) > 1000:
		return nil, fault.New(fault.BadInput, "reason: at most 1000 bytes")
	}
	r := &Reset{Budget: id, At: time.Now().UTC().Truncate(time.Millisecond), By: who, Reason: strings.TrimSpace(reason)}
	err := b.st.Exec(ctx, store.Query{SQL: `INSERT INTO budget_resets (budget, reset_at, reset_by, reason)
VALUES ({b:String}, fromUnixTimestamp64Milli({at:Int64}), {by:String}, {why:String})`,
		Params: map[string]string{"b": id, "at": strconv.FormatInt(r.At.UnixMilli(), 10), "by": who, "why": r.Reason}})
	if err != nil {
		return nil, fmt.Errorf("cannot record the reset of budget %s: %w", id, err)
	}
	return r, nil
}

// lastResets are each budget's latest manual reset after since.
func lastResets(ctx context.Context, st store.Store, since time.Time) (map[string]time.Time, error) {
	res, err := st.Query(ctx, store.Query{SQL: `SELECT budget, toUnixTimestamp64Milli(max(reset_at)) FROM budget_resets
WHERE reset_at >= fromUnixTimestamp64Milli({since:Int64}) GROUP BY budget`, Params: map[string]string{"since": strconv.FormatInt(since.UnixMilli(), 10)}})
	if err != nil {
		return nil, fmt.Errorf("cannot read the budget resets: %w", err)
	}
	out := map[string]time.Time{}
	for _, r := range res.Rows {
		out[store.CellString(r[0])] = store.CellUnixMilli(r[1])
	}
	return out, nil
}

// countsFrom is where a budget's period usage counts from: its start, or
// the minute after a manual reset within it. Usage is kept per minute, so
// the rest of the reset's own minute is not counted: a reset errs on the
// side of the budget's owner.
func countsFrom(start time.Time, resets map[string]time.Time, id string) time.Time {
	if r, ok := resets[id]; ok && r.After(start) {
		return r.Truncate(time.Minute).Add(time.Minute)
	}
	return start
}
