package alerts

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/logmart/logmart/store"
)

// Lease makes one replica at a time the one that evaluates monitors and
// delivers notifications, arbitrated by ClickHouse (the alert_lease
// table). To take the lease a replica writes a row with a version above
// the current one, waits Settle for any rival's write to land, and reads
// back: the highest version holds it. The holder renews every TTL/3 and
// regards itself as holder only until its last renewal plus TTL minus
// Settle, so that it stops before a rival can take over.
type Lease struct {
	st     store.Store
	name   string
	holder string
	ttl    time.Duration
	settle time.Duration
	now    func() time.Time
	// validTil is the unix nanosecond until which this replica holds the
	// lease (read by the delivery workers).
	validTil atomic.Int64
}

// NewLease returns holder's lease on name.
func NewLease(st store.Store, name, holder string, ttl time.Duration) *Lease {
	return &Lease{st: st, name: name, holder: holder, ttl: ttl, settle: min(ttl/5, 2*time.Second), now: time.Now}
}

type leaseRow struct {
	holder  string
	expires time.Time
	version uint64
}

func (l *Lease) read(ctx context.Context) (leaseRow, error) {
	res, err := l.st.Query(ctx, store.Query{SQL: `SELECT argMax(holder, version), toUnixTimestamp64Milli(argMax(expires_at, version)), max(version)
FROM alert_lease WHERE name = {name:String}`, Params: map[string]string{"name": l.name}})
	if err != nil {
		return leaseRow{}, fmt.Errorf("cannot read the alert lease: %w", err)
	}
	if len(res.Rows) == 0 || store.CellUint64(res.Rows[0][2]) == 0 {
		return leaseRow{}, nil
	}
	r := res.Rows[0]
	return leaseRow{holder: store.CellString(r[0]), expires: store.CellUnixMilli(r[1]), version: store.CellUint64(r[2])}, nil
}

// Acquire takes or renews the lease and reports whether holder holds it
// now. A lease held by another replica and not expired is left alone.
func (l *Lease) Acquire(ctx context.Context) (bool, error) {
	cur, err := l.read(ctx)
	if err != nil {
		return false, err
	}
	now := l.now()
	if cur.holder != "" && cur.holder != l.holder && cur.expires.After(now) {
		l.validTil.Store(0)
		return false, nil
	}
	renew := cur.holder == l.holder && cur.expires.After(now)
	v := max(cur.version+1, uint64(now.UnixNano()))
	err = l.st.Exec(ctx, store.Query{SQL: `INSERT INTO alert_lease (name, holder, expires_at, version)
VALUES ({name:String}, {holder:String}, fromUnixTimestamp64Milli({exp:Int64}), {v:UInt64})`, Params: map[string]string{
		"name": l.name, "holder": l.holder, "exp": strconv.FormatInt(now.Add(l.ttl).UnixMilli(), 10), "v": strconv.FormatUint(v, 10)}})
	if err != nil {
		return false, fmt.Errorf("cannot write the alert lease: %w", err)
	}
	if !renew {
		// A rival may have written at the same moment: let both writes
		// land, then the highest version decides.
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(l.settle):
		}
	}
	got, err := l.read(ctx)
	if err != nil {
		return false, err
	}
	if got.holder != l.holder {
		l.validTil.Store(0)
		return false, nil
	}
	l.validTil.Store(now.Add(l.ttl - l.settle).UnixNano())
	return true, nil
}

// Held reports whether the lease is still held by this replica at now.
func (l *Lease) Held() bool { return l.now().UnixNano() < l.validTil.Load() }

// Release gives the lease up (at shutdown), so another replica takes over
// at once rather than after TTL.
func (l *Lease) Release(ctx context.Context) {
	if !l.Held() {
		return
	}
	l.validTil.Store(0)
	_ = l.st.Exec(ctx, store.Query{SQL: `INSERT INTO alert_lease (name, holder, expires_at, version)
VALUES ({name:String}, '', fromUnixTimestamp64Milli(0), {v:UInt64})`, Params: map[string]string{
		"name": l.name, "v": strconv.FormatUint(uint64(l.now().UnixNano()), 10)}})
}
