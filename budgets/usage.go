package budgets

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/store"
)

// MaxUsageRange bounds one read of recorded usage: 92 days of minutes.
const MaxUsageRange = 92 * 24 * time.Hour

// UsagePoint is a budget's recorded usage in one minute, every outcome
// together, in both units: what a backtest replays.
type UsagePoint struct {
	Minute time.Time `json:"minute"`
	Bytes  float64   `json:"bytes"`
	Events float64   `json:"events"`
}

// RecordedUsage reads budget id's usage per minute in [from, to) from
// budget_usage, every replica and outcome summed; minutes without usage
// are absent.
func RecordedUsage(ctx context.Context, st store.Store, id string, from, to time.Time) ([]UsagePoint, error) {
	switch {
	case !from.Before(to):
		return nil, fault.New(fault.BadInput, "from %s is not before to %s", from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339))
	case to.Sub(from) > MaxUsageRange:
		return nil, fault.New(fault.BadInput, "from %s to %s is more than %d days: read it in parts", from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339), int(MaxUsageRange.Hours()/24))
	}
	res, err := st.Query(ctx, store.Query{SQL: `SELECT toUnixTimestamp(minute), sum(bytes), sum(events) FROM budget_usage
WHERE budget = {b:String} AND minute >= toDateTime({from:Int64}) AND minute < toDateTime({to:Int64})
GROUP BY minute ORDER BY minute`, Params: map[string]string{"b": id, "from": strconv.FormatInt(from.Unix(), 10), "to": strconv.FormatInt(to.Unix(), 10)}})
	if err != nil {
		return nil, fmt.Errorf("cannot read the usage of budget %s: %w", id, err)
	}
	out := make([]UsagePoint, len(res.Rows))
	for i, r := range res.Rows {
		out[i] = UsagePoint{Minute: store.CellUnix(r[0]).UTC(), Bytes: mustFloat(r[1]), Events: mustFloat(r[2])}
	}
	return out, nil
}

// Samples turns recorded usage into a series in the unit of capacity,
// in the buckets the live forecast of period p reads (five minutes for a
// daily period, a minute otherwise): one sample per bucket from from to
// to (the bucket holding to included), ending at the bucket's end, zero
// where nothing was recorded (a quiet minute is usage too).
func Samples(ps []UsagePoint, events bool, from, to time.Time, p Period) []Sample {
	step := bucketOf(p)
	from = from.Truncate(step)
	if t := to.Truncate(step); t.Before(to) {
		to = t.Add(step)
	}
	sums := map[int64]float64{}
	for _, u := range ps {
		v := u.Bytes
		if events {
			v = u.Events
		}
		sums[u.Minute.Truncate(step).Unix()] += v
	}
	out := make([]Sample, 0, int(to.Sub(from)/step))
	for m := from; m.Before(to); m = m.Add(step) {
		out = append(out, Sample{At: m.Add(step), Value: sums[m.Unix()]})
	}
	return out
}

// Usage is budget id's recorded usage per minute in [from, to).
func (b *Book) Usage(ctx context.Context, id string, from, to time.Time) ([]UsagePoint, error) {
	found := false
	for _, x := range b.Budgets() {
		found = found || x.ID == id
	}
	if !found {
		return nil, fault.New(fault.NotFound, "no budget %q", clip(id))
	}
	return RecordedUsage(ctx, b.st, id, from, to)
}
