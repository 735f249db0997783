package query

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/store"
)

// testClock is a links clock a test moves by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// linksWith returns links over tt with cfg and the clock.
func linksWith(tt Templates, cfg LinkConfig, clock *testClock) *Links {
	return NewLinks(testStore, tt, LinkOptions{Config: &cfg, Now: clock.now})
}

// noLimits is a links config whose rate and quota never refuse.
func noLimits() LinkConfig {
	c := DefaultLinkConfig()
	c.RatePerMinute, c.QuotaPerDay = 0, 0
	return c
}

const wideSQL = "SELECT number, repeat('x', 100) AS pad FROM numbers(if({service:String} = 'wide', 100, 5))" +
	" WHERE {from:DateTime64(3)} < {to:DateTime64(3)}"

// Issue 10, item 8: a viewer could freeze a result of 2.7 MB of JSON in
// every link (the cap was 8 MiB, not configurable). A snapshot over
// links.max_snapshot_bytes is now refused with both sizes, and nothing is
// stored.
func TestLinkSnapshotOverTheCapIsRefused(t *testing.T) {
	ctx := context.Background()
	tt := newTestTemplates(nil)
	tt.set("wide", 1, wideSQL)
	cfg := noLimits()
	cfg.MaxSnapshotBytes = 4096
	links := linksWith(tt, cfg, &testClock{t: linkNow})
	who := Caller{User: "snapshot-cap", Role: "viewer", Source: "api"}

	_, err := links.Create(ctx, who, LinkRequest{Template: "wide", Params: map[string]any{"service": "wide"}, From: "last 1h", Snapshot: true, Title: "too wide"}, store.Settings{})
	if fault.KindOf(err) != fault.Limit {
		t.Fatalf("a 100-row snapshot over a 4 KiB cap: %v (%v), want a limit error", err, fault.KindOf(err))
	}
	m := regexp.MustCompile(`^snapshot: the result is \d+\.\d KiB of JSON \((\d+) bytes\), more than links.max_snapshot_bytes allows \(4.0 KiB, 4096 bytes\); narrow the range or the parameters, or share without a snapshot$`).FindStringSubmatch(err.Error())
	if m == nil {
		t.Fatalf("error %q does not name the size and the cap", err)
	}
	if n, _ := strconv.Atoi(m[1]); n < 10000 {
		t.Fatalf("the snapshot measured %d bytes; 100 rows of 100 characters are more", n)
	}
	res, err := testStore.Query(ctx, store.Query{SQL: "SELECT count() FROM shared_links WHERE created_by = 'snapshot-cap' AND title = 'too wide'"})
	if err != nil || fmt.Sprint(res.Rows) != "[[0]]" {
		t.Fatalf("the refused link was stored: %v %v", res.Rows, err)
	}

	// The same request without a snapshot, and a small snapshot, are fine.
	if _, err := links.Create(ctx, who, LinkRequest{Template: "wide", Params: map[string]any{"service": "wide"}, From: "last 1h"}, store.Settings{}); err != nil {
		t.Fatalf("the link without a snapshot: %v", err)
	}
	link, err := links.Create(ctx, who, LinkRequest{Template: "wide", Params: map[string]any{"service": "narrow"}, From: "last 1h", Snapshot: true}, store.Settings{})
	if err != nil || link.Snapshot == nil || len(link.Snapshot.Rows) != 5 {
		t.Fatalf("a 5-row snapshot under the cap: %+v, %v", link, err)
	}
}

// Issue 10, item 8: one token could create links without end, each up to
// the snapshot cap. links.rate_per_minute now refuses the excess with a
// rate-limited error saying when to retry.
func TestLinkRatePerMinute(t *testing.T) {
	ctx := context.Background()
	tt := newTestTemplates(nil)
	tt.set("errors", 1, errorsV1)
	cfg := noLimits()
	cfg.RatePerMinute = 3
	clock := &testClock{t: linkNow}
	links := linksWith(tt, cfg, clock)
	mallory := Caller{User: "rate-mallory", Role: "viewer", Source: "api"}
	req := LinkRequest{Template: "errors", Params: map[string]any{"service": "x"}, From: "now-1h", To: "now-10m"}

	// A request refused before anything ran gives its place back.
	if _, err := links.Create(ctx, mallory, LinkRequest{Template: "nope", From: "last 1h"}, store.Settings{}); fault.KindOf(err) != fault.NotFound {
		t.Fatalf("unknown template: %v", err)
	}
	for i := range 3 {
		if _, err := links.Create(ctx, mallory, req, store.Settings{}); err != nil {
			t.Fatalf("link %d of 3: %v", i+1, err)
		}
		clock.add(10 * time.Second)
	}
	_, err := links.Create(ctx, mallory, req, store.Settings{})
	if fault.KindOf(err) != fault.RateLimited {
		t.Fatalf("the 4th link in a minute: %v (%v), want rate limited", err, fault.KindOf(err))
	}
	if want := `links: "rate-mallory" may create at most 3 links a minute (links.rate_per_minute); try again in 30s`; err.Error() != want {
		t.Fatalf("error\n%s\nwant\n%s", err, want)
	}
	if after, ok := fault.RetryAfter(err); !ok || after != 30*time.Second {
		t.Fatalf("retry after %s, %v; want 30s", after, ok)
	}
	// Another caller has their own rate.
	if _, err := links.Create(ctx, alice, req, store.Settings{}); err != nil {
		t.Fatalf("another caller: %v", err)
	}
	// A minute after the first, its place is free again.
	clock.add(30 * time.Second)
	if _, err := links.Create(ctx, mallory, req, store.Settings{}); err != nil {
		t.Fatalf("after the minute: %v", err)
	}
	if _, err := links.Create(ctx, mallory, req, store.Settings{}); fault.KindOf(err) != fault.RateLimited {
		t.Fatalf("the next one in the same minute: %v", err)
	}
}

// Issue 10, item 8: links.quota_per_day counts a caller's links in
// shared_links, so a restart or another instance does not reset it, and
// several creations at once cannot pass it.
func TestLinkQuotaPerDay(t *testing.T) {
	ctx := context.Background()
	tt := newTestTemplates(nil)
	tt.set("errors", 1, errorsV1)
	cfg := noLimits()
	cfg.QuotaPerDay = 3
	clock := &testClock{t: linkNow}
	who := Caller{User: "quota-bob", Role: "viewer", Source: "api"}
	req := LinkRequest{Template: "errors", Params: map[string]any{"service": "x"}, From: "now-1h", To: "now-10m"}

	// Ten at once: exactly three are stored.
	links := linksWith(tt, cfg, clock)
	var wg sync.WaitGroup
	errs := make([]error, 10)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = links.Create(ctx, who, req, store.Settings{})
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case fault.KindOf(err) != fault.RateLimited || !strings.Contains(err.Error(), "links.quota_per_day"):
			t.Fatalf("concurrent create: %v", err)
		}
	}
	if ok != 3 {
		t.Fatalf("%d of 10 concurrent links created, want the quota's 3", ok)
	}

	// A restarted instance counts what is stored.
	clock.add(time.Hour)
	_, err := linksWith(tt, cfg, clock).Create(ctx, who, req, store.Settings{})
	if fault.KindOf(err) != fault.RateLimited {
		t.Fatalf("after a restart: %v, want the quota to hold", err)
	}
	want := `links: "quota-bob" has created 3 links in the last 24 hours, the most links.quota_per_day allows (3); the next one can be created in 23h0m0s`
	if err.Error() != want {
		t.Fatalf("error\n%s\nwant\n%s", err, want)
	}
	if after, ok := fault.RetryAfter(err); !ok || after != 23*time.Hour {
		t.Fatalf("retry after %s, %v; want 23h", after, ok)
	}
	// 24 hours after the first ones, the quota has room again.
	clock.add(23*time.Hour + time.Second)
	if _, err := linksWith(tt, cfg, clock).Create(ctx, who, req, store.Settings{}); err != nil {
		t.Fatalf("a day later: %v", err)
	}
}

// Issue 10, item 8: snapshots were kept for ever. Past
// links.snapshot_retention_days the link still answers with its pinned
// template, version, values and range, and says the snapshot expired.
func TestLinkSnapshotExpires(t *testing.T) {
	ctx := context.Background()
	tt := newTestTemplates(nil)
	tt.set("levels", 1, errorsV2)
	clock := &testClock{t: linkNow}
	cfg := noLimits()
	cfg.SnapshotRetentionDays = 30
	links := linksWith(tt, cfg, clock)
	insertLogs(t, "expiry-svc", "error", linkNow.Add(-20*time.Minute), 2)
	link, err := links.Create(ctx, alice, LinkRequest{Template: "levels", Params: map[string]any{"service": "expiry-svc"}, From: "last 1h", Snapshot: true}, store.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	wantExp := linkNow.Truncate(time.Second).Add(30 * 24 * time.Hour)
	if link.SnapshotExpiresAt == nil || !link.SnapshotExpiresAt.Equal(wantExp) {
		t.Fatalf("snapshot expires at %v, want %s", link.SnapshotExpiresAt, wantExp)
	}

	clock.add(30*24*time.Hour - time.Minute)
	got, err := links.Get(ctx, link.ID, store.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Snapshot == nil || got.SnapshotExpired != "" || !got.SnapshotExpiresAt.Equal(wantExp) {
		t.Fatalf("a minute before expiry: snapshot %v, expired %q, expires %v", got.Snapshot, got.SnapshotExpired, got.SnapshotExpiresAt)
	}

	clock.add(2 * time.Minute)
	scoped := store.Settings{TableFilters: map[string]string{"logs": "stream IN ('payments')"}}
	for _, s := range []store.Settings{{}, scoped} {
		got, err := links.Get(ctx, link.ID, s)
		if err != nil {
			t.Fatal(err)
		}
		if got.Snapshot != nil || got.SnapshotExpiresAt != nil || got.SnapshotHidden != "" {
			t.Fatalf("after expiry: snapshot %v, expires %v, hidden %q", got.Snapshot, got.SnapshotExpiresAt, got.SnapshotHidden)
		}
		want := "the result frozen at " + FormatLinkTime(link.Snapshot.At) + " UTC was kept until " + FormatLinkTime(wantExp) + " UTC (links.snapshot_retention_days) and has been dropped"
		if !strings.HasPrefix(got.SnapshotExpired, want) {
			t.Fatalf("expired notice %q, want it to start %q", got.SnapshotExpired, want)
		}
		if got.Template != "levels" || got.Version != 1 || fmt.Sprint(got.Params) != "map[service:expiry-svc]" || !got.From.Equal(link.From) || !got.To.Equal(link.To) {
			t.Fatalf("the expired link lost its pinned request: %+v", got)
		}
	}
	_, res, err := links.Run(ctx, alice, link.ID, store.Settings{})
	if err != nil || res.Version != 1 {
		t.Fatalf("rerun of an expired link: %+v, %v", res, err)
	}
}

// The column TTL of schema step 0010 drops an expired snapshot from disk;
// the link row stays, and snapshot_at says it had one. Links stored before
// the step keep their snapshot 90 days.
func TestLinkSnapshotIsDroppedFromDisk(t *testing.T) {
	ctx := context.Background()
	tt := newTestTemplates(nil)
	tt.set("levels", 1, errorsV2)
	wall := time.Now().UTC()
	old := linksWith(tt, noLimits(), &testClock{t: wall.Add(-91 * 24 * time.Hour)})
	expired, err := old.Create(ctx, alice, LinkRequest{Template: "levels", Params: map[string]any{"service": "disk-svc"}, From: "last 1h", Snapshot: true}, store.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	links := linksWith(tt, noLimits(), &testClock{t: wall})
	kept, err := links.Create(ctx, alice, LinkRequest{Template: "levels", Params: map[string]any{"service": "disk-svc"}, From: "last 1h", Snapshot: true}, store.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	// A link written before step 0010: no snapshot_expires_at given.
	legacy, _ := newLinkID()
	err = testStore.Exec(ctx, store.Query{SQL: `INSERT INTO shared_links (id, created_at, created_by, template, version, params, from_time, to_time, title, note, scopes, snapshot, snapshot_at)
VALUES ({id:String}, now64(3) - INTERVAL 95 DAY, 'alice', 'levels', 1, '{"service":"disk-svc"}', now64(3) - INTERVAL 96 DAY, now64(3) - INTERVAL 95 DAY, '', '', '', '{"rows":[]}', now64(3) - INTERVAL 95 DAY)`,
		Params: map[string]string{"id": legacy}})
	if err != nil {
		t.Fatal(err)
	}
	if err := testStore.Exec(ctx, store.Query{SQL: "OPTIMIZE TABLE shared_links FINAL"}); err != nil {
		t.Fatal(err)
	}
	res, err := testStore.Query(ctx, store.Query{SQL: `SELECT id, snapshot IS NULL, snapshot_at IS NOT NULL, template FROM shared_links
WHERE id IN ({a:String}, {b:String}, {c:String}) ORDER BY id = {a:String} DESC, id = {b:String} DESC`,
		Params: map[string]string{"a": expired.ID, "b": legacy, "c": kept.ID}})
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("[[%s 1 1 levels] [%s 1 1 levels] [%s 0 1 levels]]", expired.ID, legacy, kept.ID)
	if got := fmt.Sprint(res.Rows); got != want {
		t.Fatalf("after the TTL merge (id, snapshot dropped, had one, template):\n%s\nwant\n%s", got, want)
	}
	for _, id := range []string{expired.ID, legacy} {
		got, err := links.Get(ctx, id, store.Settings{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Snapshot != nil || !strings.Contains(got.SnapshotExpired, "has been dropped") || got.Template != "levels" {
			t.Fatalf("link %s after its snapshot was dropped: %+v", id, got)
		}
	}
	if got, err := links.Get(ctx, kept.ID, store.Settings{}); err != nil || got.Snapshot == nil {
		t.Fatalf("an unexpired snapshot after the TTL merge: %+v, %v", got, err)
	}
}

func TestLinkConfigValidate(t *testing.T) {
	if err := DefaultLinkConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	f := func(edit func(c *LinkConfig), want string) {
		t.Helper()
		c := DefaultLinkConfig()
		edit(&c)
		if err := c.Validate(); err == nil || err.Error() != want {
			t.Fatalf("got %v, want %s", err, want)
		}
	}
	f(func(c *LinkConfig) { c.MaxSnapshotBytes = 0 }, "links.max_snapshot_bytes must be between 1024 and 67108864 (64 MiB), got 0")
	f(func(c *LinkConfig) { c.SnapshotRetentionDays = 0 }, "links.snapshot_retention_days must be between 1 and 3650, got 0")
	f(func(c *LinkConfig) { c.RatePerMinute = -1 }, "links.rate_per_minute must be between 0 (no limit) and 100000, got -1")
	f(func(c *LinkConfig) { c.QuotaPerDay = -1 }, "links.quota_per_day must be between 0 (no limit) and 10000000, got -1")
}

// The JSON a reader gets names the expiry, and after it the notice.
func TestLinkExpiryJSON(t *testing.T) {
	exp := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	b, _ := json.Marshal(&Link{SnapshotExpiresAt: &exp})
	if !strings.Contains(string(b), `"snapshot_expires_at":"2026-06-01T00:00:00Z"`) || strings.Contains(string(b), "snapshot_expired") {
		t.Fatalf("json = %s", b)
	}
}
