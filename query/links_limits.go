package query

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/store"
)

// LinkConfig bounds what shared links may store (the links: section): any
// viewer can create links, so without these a viewer could fill the disk.
type LinkConfig struct {
	// MaxSnapshotBytes caps a frozen result, measured as the JSON stored.
	// A link asking for a larger snapshot is refused (HTTP 422, naming the
	// size and the cap) and nothing is stored: the creator asked for the
	// rows to be kept, so a link without them would mislead. Default
	// 1048576 (1 MiB).
	MaxSnapshotBytes int `yaml:"max_snapshot_bytes"`
	// SnapshotRetentionDays is how long a frozen result is kept, in days
	// from when it was taken. The link itself stays for ever and still
	// pins its template version, values and range; after this it says its
	// snapshot expired. A change applies to links created afterwards.
	// Default 90.
	SnapshotRetentionDays int `yaml:"snapshot_retention_days"`
	// RatePerMinute is how many links one caller (a token; every caller,
	// with no tokens) may create in any minute on this instance. 0: no
	// limit. Default 10.
	RatePerMinute int `yaml:"rate_per_minute"`
	// QuotaPerDay is how many links one caller may create in any 24 hours,
	// counted in shared_links, so every instance and restart sees the same
	// count. 0: no limit. Default 200.
	QuotaPerDay int `yaml:"quota_per_day"`
}

// DefaultLinkConfig returns the defaults documented on LinkConfig.
func DefaultLinkConfig() LinkConfig {
	return LinkConfig{MaxSnapshotBytes: 1 << 20, SnapshotRetentionDays: 90, RatePerMinute: 10, QuotaPerDay: 200}
}

// Bounds of the links: settings.
const (
	maxSnapshotBytesLimit = 64 << 20
	maxRetentionDays      = 3650
)

// Validate reports the first field a user must fix.
func (c LinkConfig) Validate() error {
	switch {
	case c.MaxSnapshotBytes < 1024 || c.MaxSnapshotBytes > maxSnapshotBytesLimit:
		return fmt.Errorf("links.max_snapshot_bytes must be between 1024 and %d (64 MiB), got %d", maxSnapshotBytesLimit, c.MaxSnapshotBytes)
	case c.SnapshotRetentionDays < 1 || c.SnapshotRetentionDays > maxRetentionDays:
		return fmt.Errorf("links.snapshot_retention_days must be between 1 and %d, got %d", maxRetentionDays, c.SnapshotRetentionDays)
	case c.RatePerMinute < 0 || c.RatePerMinute > 100_000:
		return fmt.Errorf("links.rate_per_minute must be between 0 (no limit) and 100000, got %d", c.RatePerMinute)
	case c.QuotaPerDay < 0 || c.QuotaPerDay > 10_000_000:
		return fmt.Errorf("links.quota_per_day must be between 0 (no limit) and 10000000, got %d", c.QuotaPerDay)
	}
	return nil
}

// snapshotRetention is SnapshotRetentionDays as a duration.
func (c LinkConfig) snapshotRetention() time.Duration {
	return time.Duration(c.SnapshotRetentionDays) * 24 * time.Hour
}

// Reasons a link was refused, as the linksRefused label.
const (
	refusedRate     = "rate_limited"
	refusedQuota    = "quota_exceeded"
	refusedSnapshot = "snapshot_too_large"
)

var linksRefused = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "logmart_links_refused_total",
	Help: "Shared links refused by a links: limit, by reason (rate_limited, quota_exceeded, snapshot_too_large).",
}, []string{"reason"})

func init() { prometheus.MustRegister(linksRefused) }

// linkAdmission applies the per-caller rate and daily quota to link
// creation. The rate is kept in memory per instance, as recent creation
// times per caller; the quota is counted in shared_links, plus the
// creations this instance has admitted but not yet stored.
type linkAdmission struct {
	st  store.Store
	cfg LinkConfig

	mu      sync.Mutex
	recent  map[string][]time.Time // per caller, admitted in the last minute, oldest first
	pending map[string]int         // per caller, admitted and not finished
}

func newLinkAdmission(st store.Store, cfg LinkConfig) *linkAdmission {
	return &linkAdmission{st: st, cfg: cfg, recent: map[string][]time.Time{}, pending: map[string]int{}}
}

// admitted is one creation let through; finish must be called once.
type admitted struct {
	a    *linkAdmission
	user string
	at   time.Time
}

// admit lets one creation by user at now through, or says when the next
// one may be tried. Refusals are fault.RateLimited.
func (a *linkAdmission) admit(ctx context.Context, user string, now time.Time) (*admitted, error) {
	if a.cfg.RatePerMinute == 0 && a.cfg.QuotaPerDay == 0 {
		return &admitted{}, nil
	}
	a.mu.Lock()
	if n := a.cfg.RatePerMinute; n > 0 {
		times := a.recent[user]
		i := 0
		for i < len(times) && !times[i].After(now.Add(-time.Minute)) {
			i++
		}
		times = times[i:]
		a.recent[user] = times
		if len(times) >= n {
			after := times[0].Add(time.Minute).Sub(now)
			a.mu.Unlock()
			linksRefused.WithLabelValues(refusedRate).Inc()
			return nil, fault.NewRateLimited(after, "links: %s may create at most %d links a minute (links.rate_per_minute); try again in %s",
				strconv.Quote(user), n, roundUp(after))
		}
	}
	// The creations in flight are taken before the stored ones are
	// counted: one that finishes in between is counted twice, never not at
	// all, so two at once cannot both take the last place of the quota on
	// this instance.
	inFlight := a.pending[user]
	a.recent[user] = append(a.recent[user], now)
	a.pending[user]++
	a.mu.Unlock()
	adm := &admitted{a: a, user: user, at: now}
	if n := a.cfg.QuotaPerDay; n > 0 {
		if err := a.checkQuota(ctx, user, now, n, inFlight); err != nil {
			adm.finish(false, false)
			return nil, err
		}
	}
	return adm, nil
}

func (a *linkAdmission) checkQuota(ctx context.Context, user string, now time.Time, quota, inFlight int) error {
	since := now.Add(-24 * time.Hour)
	res, err := a.st.Query(ctx, store.Query{SQL: `SELECT count(), toUnixTimestamp64Milli(min(created_at)) FROM shared_links
WHERE created_by = {user:String} AND created_at > {since:DateTime64(3)}`, Params: map[string]string{"user": user, "since": fmtTime(since)}})
	if err != nil {
		return fmt.Errorf("cannot count the links %s created today: %w", strconv.Quote(user), err)
	}
	if len(res.Rows) != 1 || len(res.Rows[0]) != 2 {
		return fmt.Errorf("cannot count the links %s created today: %d rows", strconv.Quote(user), len(res.Rows))
	}
	stored, err := strconv.Atoi(store.CellString(res.Rows[0][0]))
	if err != nil {
		return fmt.Errorf("cannot count the links %s created today: count %v: %w", strconv.Quote(user), res.Rows[0][0], err)
	}
	if stored+inFlight < quota {
		return nil
	}
	after := time.Minute // links in flight only: one of them finishes soon
	if stored > 0 {
		after = store.CellUnixMilli(res.Rows[0][1]).Add(24 * time.Hour).Sub(now)
	}
	linksRefused.WithLabelValues(refusedQuota).Inc()
	return fault.NewRateLimited(after, "links: %s has created %d links in the last 24 hours, the most links.quota_per_day allows (%d); the next one can be created in %s",
		strconv.Quote(user), stored+inFlight, quota, roundUp(after))
}

// finish ends an admitted creation. One that stored nothing and ran no
// query gives its place in the rate back: a typo in a parameter should not
// cost a minute.
func (d *admitted) finish(ran, stored bool) {
	a := d.a
	if a == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.pending[d.user]--; a.pending[d.user] <= 0 {
		delete(a.pending, d.user)
	}
	if ran || stored {
		return
	}
	times := a.recent[d.user]
	for i := len(times) - 1; i >= 0; i-- {
		if times[i].Equal(d.at) {
			a.recent[d.user] = append(times[:i:i], times[i+1:]...)
			break
		}
	}
	if len(a.recent[d.user]) == 0 {
		delete(a.recent, d.user)
	}
}

// roundUp is a wait in whole seconds, rounded up and at least one, so a
// caller who waits as long as told is let through.
func roundUp(d time.Duration) time.Duration {
	if d < time.Second {
		return time.Second
	}
	return (d + time.Second - 1).Truncate(time.Second)
}
