package query

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/bits"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/store"
)

// testTemplates is a small template engine over the real store, standing in
// for the catalog in these tests: versions of a template are SQL texts whose
// {service:String} parameter must be a string, run with the range bound as
// {from:DateTime64(3)} and {to:DateTime64(3)}.
type testTemplates struct {
	mu       sync.Mutex
	runner   *Runner
	versions map[string]map[uint32]string
}

func newTestTemplates(audit *Audit) *testTemplates {
	return &testTemplates{runner: NewRunner(testStore, audit), versions: map[string]map[uint32]string{}}
}

// set adds (or, when reloading, replaces) one version of a template.
func (tt *testTemplates) set(id string, version uint32, sql string) {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	if tt.versions[id] == nil {
		tt.versions[id] = map[uint32]string{}
	}
	tt.versions[id][version] = sql
}

func (tt *testTemplates) resolve(req TemplateRequest) (TemplateRef, string, map[string]string, error) {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	vs := tt.versions[req.Template]
	if vs == nil {
		return TemplateRef{}, "", nil, fault.New(fault.NotFound, "no template %q", req.Template)
	}
	v := req.Version
	if v == 0 {
		for k := range vs {
			v = max(v, k)
		}
	}
	sql, ok := vs[v]
	if !ok {
		return TemplateRef{}, "", nil, fault.New(fault.NotFound, "template %q has no version %d", req.Template, v)
	}
	params := map[string]string{"from": fmtTime(req.From), "to": fmtTime(req.To)}
	for name, val := range req.Params {
		if name != "service" {
			return TemplateRef{}, "", nil, fault.New(fault.BadInput, "param %q: template %s v%d has no such parameter", name, req.Template, v)
		}
		s, ok := val.(string)
		if !ok {
			return TemplateRef{}, "", nil, fault.New(fault.BadInput, "param %q: must be a string, got %v", name, val)
		}
		params[name] = s
	}
	if _, ok := params["service"]; !ok {
		return TemplateRef{}, "", nil, fault.New(fault.BadInput, "param \"service\": is required")
	}
	ref := TemplateRef{Template: req.Template, Version: v, Title: "Errors of " + req.Template, Visualization: "table",
		Values: map[string]any{"service": params["service"]}}
	return ref, sql, params, nil
}

func (tt *testTemplates) CheckTemplate(_ context.Context, req TemplateRequest) (TemplateRef, error) {
	ref, _, _, err := tt.resolve(req)
	return ref, err
}

func (tt *testTemplates) RunTemplate(ctx context.Context, who Caller, req TemplateRequest, s store.Settings) (*TemplateResult, error) {
	ref, sql, params, err := tt.resolve(req)
	if err != nil {
		return nil, err
	}
	s.ReadOnly = true
	res, err := tt.runner.run(ctx, who, store.Query{SQL: sql, Params: params, Settings: s},
		Entry{Template: ref.Template, TemplateVersion: ref.Version, Params: params})
	if err != nil {
		return nil, err
	}
	return &TemplateResult{TemplateRef: ref, SQL: sql, Result: res}, nil
}

const (
	errorsV1 = "SELECT service, count() AS errors FROM logs WHERE service = {service:String} AND level = 'error'" +
		" AND timestamp >= {from:DateTime64(3)} AND timestamp < {to:DateTime64(3)} GROUP BY service"
	errorsV2 = "SELECT service, level, count() AS n FROM logs WHERE service = {service:String}" +
		" AND timestamp >= {from:DateTime64(3)} AND timestamp < {to:DateTime64(3)} GROUP BY service, level ORDER BY level"
)

// insertLogs writes n rows for service at t, t+1s, … with the given level.
func insertLogs(t *testing.T, service, level string, at time.Time, n int) {
	t.Helper()
	var vals []string
	for i := 0; i < n; i++ {
		vals = append(vals, fmt.Sprintf("('%s', 'test', '%s', '%s', 'row %d of %s')",
			fmtTime(at.Add(time.Duration(i)*time.Second)), service, level, i, t.Name()))
	}
	err := testStore.Exec(context.Background(), store.Query{SQL: "INSERT INTO logs (timestamp, stream, service, level, body) SETTINGS insert_deduplicate = 0 VALUES " + strings.Join(vals, ", ")})
	if err != nil {
		t.Fatal(err)
	}
}

var (
	// linkNow is the links' clock: now, so rows inserted around it are
	// within the logs TTL, with milliseconds that relative ends drop.
	linkNow = time.Now().UTC().Truncate(time.Second).Add(-time.Minute + 500*time.Millisecond)
	alice   = Caller{User: "alice", Role: "viewer", Source: "api"}
)

func newTestLinks(tt *testTemplates) *Links {
	return NewLinks(testStore, tt, LinkOptions{Now: func() time.Time { return linkNow }})
}

func TestLinkCreateShowRoundTrip(t *testing.T) {
	ctx := context.Background()
	tt := newTestTemplates(nil)
	tt.set("errors", 1, errorsV1)
	tt.set("errors", 2, errorsV2)
	links := newTestLinks(tt)

	link, err := links.Create(ctx, alice, LinkRequest{
		Template: "errors",
		Params:   map[string]any{"service": "checkout"},
		From:     "2026-03-01T10:00:00Z", To: "2026-03-01T11:00:00.250Z",
		Title: "Checkout errors [INC-42]", Note: "during the deploy",
	}, store.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if link.Version != 2 {
		t.Fatalf("version = %d, want the latest (2) when none is given", link.Version)
	}
	got, err := links.Get(ctx, link.ID, store.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	want := &Link{
		ID: link.ID, Template: "errors", Version: 2, Params: map[string]any{"service": "checkout"},
		From: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), To: time.Date(2026, 3, 1, 11, 0, 0, 250e6, time.UTC),
		Title: "Checkout errors [INC-42]", Note: "during the deploy",
		CreatedAt: linkNow, CreatedBy: "alice",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Get =\n%+v\nwant\n%+v", got, want)
	}
	if !reflect.DeepEqual(link, want) {
		t.Fatalf("Create =\n%+v\nwant what Get returns\n%+v", link, want)
	}
	md := got.Markdown("https://logmart.example.com/")
	wantMD := `[Checkout errors \[INC-42\] (errors v2, 2026-03-01 10:00:00 – 2026-03-01 11:00:00.250 UTC)](https://logmart.example.com/s/` + link.ID + ")"
	if md != wantMD {
		t.Fatalf("markdown =\n%s\nwant\n%s", md, wantMD)
	}

	// An explicit version is pinned as given; numbers keep every digit.
	link, err = links.Create(ctx, alice, LinkRequest{Template: "errors", Version: 1,
		Params: map[string]any{"service": "billing"}, From: "2026-03-01T10:00:00Z", To: "2026-03-01T11:00:00Z"}, store.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	got, err = links.Get(ctx, link.ID, store.Settings{})
	if err != nil || got.Version != 1 {
		t.Fatalf("Get = %+v, %v; want version 1", got, err)
	}
	if got.Markdown("http://h") != "[errors (errors v1, 2026-03-01 10:00:00 – 2026-03-01 11:00:00 UTC)](http://h/s/"+link.ID+")" {
		t.Fatalf("untitled markdown = %s", got.Markdown("http://h"))
	}
}

func TestLinkParamsRoundTripExactly(t *testing.T) {
	ctx := context.Background()
	tt := newTestTemplates(nil)
	tt.set("any", 1, "SELECT 1")
	links := NewLinks(testStore, anyParams{tt}, LinkOptions{Now: func() time.Time { return linkNow }})
	in, err := DecodeParams([]byte(`{"big": 9007199254740993, "f": 0.1, "list": ["a", "b'; DROP TABLE logs --"], "ok": true, "s": "ünï\u0000\"\\", "none": null}`))
	if err != nil {
		t.Fatal(err)
	}
	link, err := links.Create(ctx, alice, LinkRequest{Template: "any", Params: in, From: "last 1h"}, store.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := links.Get(ctx, link.ID, store.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Params, in) {
		t.Fatalf("params = %#v, want %#v", got.Params, in)
	}
	b, _ := json.Marshal(got.Params["big"])
	if string(b) != "9007199254740993" {
		t.Fatalf("big = %s, lost digits", b)
	}
}

// anyParams accepts any parameter values and types none of them.
type anyParams struct{ *testTemplates }

func (a anyParams) CheckTemplate(_ context.Context, req TemplateRequest) (TemplateRef, error) {
	return TemplateRef{Template: req.Template, Version: 1, Values: req.Params}, nil
}

func TestLinkRelativeRangeIsResolvedAtCreation(t *testing.T) {
	ctx := context.Background()
	tt := newTestTemplates(nil)
	tt.set("errors", 1, errorsV1)
	links := newTestLinks(tt)
	sec := linkNow.Truncate(time.Second)
	f := func(from, to string, wantFrom, wantTo time.Time) {
		t.Helper()
		link, err := links.Create(ctx, alice, LinkRequest{Template: "errors", Params: map[string]any{"service": "x"}, From: from, To: to}, store.Settings{})
		if err != nil {
			t.Fatalf("%q – %q: %v", from, to, err)
		}
		got, err := links.Get(ctx, link.ID, store.Settings{})
		if err != nil {
			t.Fatal(err)
		}
		if !got.From.Equal(wantFrom) || !got.To.Equal(wantTo) {
			t.Fatalf("%q – %q pinned %s – %s, want %s – %s", from, to, got.From, got.To, wantFrom, wantTo)
		}
	}
	f("now-1h", "now", sec.Add(-time.Hour), sec)
	f("last 1h", "", sec.Add(-time.Hour), sec)
	f("Last 15m", "now-5m", sec.Add(-15*time.Minute), sec.Add(-5*time.Minute))
	f("now-7d", "now", sec.Add(-7*24*time.Hour), sec)
	f("now-2w", "now-1w", sec.Add(-14*24*time.Hour), sec.Add(-7*24*time.Hour))
	f("2026-03-01T09:00:00+02:00", "now", time.Date(2026, 3, 1, 7, 0, 0, 0, time.UTC), sec)
	f("1772355600", "1772359200000", time.Unix(1772355600, 0).UTC(), time.UnixMilli(1772359200000).UTC())
}

func TestLinkIDsAreUnguessable(t *testing.T) {
	seen := map[string]bool{}
	ones, total := 0, 0
	for i := 0; i < 2000; i++ {
		id, err := newLinkID()
		if err != nil {
			t.Fatal(err)
		}
		if !ValidLinkID(id) || len(id) != 32 {
			t.Fatalf("id %q is not 32 base32 characters", id)
		}
		if seen[id] {
			t.Fatalf("id %q drawn twice", id)
		}
		seen[id] = true
		raw, err := linkIDEncoding.DecodeString(id)
		if err != nil || len(raw) != 20 {
			t.Fatalf("id %q decodes to %d bytes (%v), want 20 (160 bits)", id, len(raw), err)
		}
		for _, b := range raw {
			ones += bits.OnesCount8(b)
			total += 8
		}
	}
	if r := float64(ones) / float64(total); r < 0.49 || r > 0.51 {
		t.Fatalf("%.3f of id bits are set; random bits give 0.5", r)
	}
}

func TestLinkUnknownAndMalformedIDsAreNotFound(t *testing.T) {
	ctx := context.Background()
	links := newTestLinks(newTestTemplates(nil))
	id, _ := newLinkID()
	for _, bad := range []string{
		id, "", "abc", strings.ToUpper(id), id + "a", id[:31] + "1", id[:31] + "=",
		"../../etc/passwd", "x' OR 1=1 --", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'", "ünïcødé", strings.Repeat("a", 100000),
	} {
		_, err := links.Get(ctx, bad, store.Settings{})
		if fault.KindOf(err) != fault.NotFound {
			t.Fatalf("Get(%.40q) = %v (%v), want not found", bad, err, fault.KindOf(err))
		}
		if len(err.Error()) > 200 {
			t.Fatalf("error for a long id is %d bytes", len(err.Error()))
		}
		if _, _, err := links.Run(ctx, alice, bad, store.Settings{}); fault.KindOf(err) != fault.NotFound {
			t.Fatalf("Run(%.40q) = %v, want not found", bad, err)
		}
	}
}

// A link created today still returns the same pinned request after the
// template is edited (a new version) and reloaded, and reruns the pinned
// version, not the latest.
func TestLinkIsPinnedAcrossTemplateChanges(t *testing.T) {
	ctx := context.Background()
	tt := newTestTemplates(nil)
	tt.set("errors", 1, errorsV1)
	links := newTestLinks(tt)
	insertLogs(t, "pinned-svc", "error", linkNow.Add(-30*time.Minute), 3)
	insertLogs(t, "pinned-svc", "info", linkNow.Add(-30*time.Minute), 2)

	link, err := links.Create(ctx, alice, LinkRequest{Template: "errors", Params: map[string]any{"service": "pinned-svc"}, From: "now-1h", To: "now"}, store.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	before, err := links.Get(ctx, link.ID, store.Settings{})
	if err != nil {
		t.Fatal(err)
	}

	tt.set("errors", 2, errorsV2) // the file is edited and reloaded
	after, err := links.Get(ctx, link.ID, store.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(before, after) || after.Version != 1 {
		t.Fatalf("after a new version the link reads\n%+v\nwas\n%+v", after, before)
	}
	_, res, err := links.Run(ctx, alice, link.ID, store.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Version != 1 || res.SQL != errorsV1 {
		t.Fatalf("rerun ran v%d %q, want v1", res.Version, res.SQL)
	}
	if len(res.Result.Rows) != 1 || fmt.Sprint(res.Result.Rows[0]) != "[pinned-svc 3]" {
		t.Fatalf("rerun rows = %v", res.Result.Rows)
	}
}

func TestLinkSnapshotSurvivesTruncate(t *testing.T) {
	ctx := context.Background()
	tt := newTestTemplates(nil)
	tt.set("levels", 1, errorsV2)
	links := newTestLinks(tt)
	insertLogs(t, "snap-svc", "error", linkNow.Add(-20*time.Minute), 4)
	insertLogs(t, "snap-svc", "warn", linkNow.Add(-10*time.Minute), 2)

	link, err := links.Create(ctx, alice, LinkRequest{Template: "levels", Params: map[string]any{"service": "snap-svc"}, From: "last 1h", Snapshot: true}, store.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if link.Snapshot == nil || len(link.Snapshot.Rows) != 2 {
		t.Fatalf("snapshot = %+v, want 2 rows", link.Snapshot)
	}
	if err := testStore.Exec(ctx, store.Query{SQL: "TRUNCATE TABLE logs"}); err != nil {
		t.Fatal(err)
	}
	got, err := links.Get(ctx, link.ID, store.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Snapshot == nil {
		t.Fatal("the snapshot is gone")
	}
	if fmt.Sprint(got.Snapshot.Rows) != "[[snap-svc error 4] [snap-svc warn 2]]" {
		t.Fatalf("snapshot rows after TRUNCATE = %v", got.Snapshot.Rows)
	}
	if !reflect.DeepEqual(got.Snapshot, link.Snapshot) {
		t.Fatalf("stored snapshot\n%+v\ndiffers from the one created\n%+v", got.Snapshot, link.Snapshot)
	}
	if !got.Snapshot.At.Equal(linkNow.Truncate(time.Millisecond)) || got.Snapshot.SQL != errorsV2 || got.Snapshot.Stats.RowsRead == 0 {
		t.Fatalf("snapshot metadata = at %s sql %q stats %+v", got.Snapshot.At, got.Snapshot.SQL, got.Snapshot.Stats)
	}
	_, res, err := links.Run(ctx, alice, link.ID, store.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Result.Rows) != 0 {
		t.Fatalf("live rerun after TRUNCATE = %v, want no rows", res.Result.Rows)
	}
}

// A frozen result was read with the creator's scope; a reader with another
// scope must not see it through the link.
func TestLinkSnapshotRespectsScopes(t *testing.T) {
	ctx := context.Background()
	tt := newTestTemplates(nil)
	tt.set("levels", 1, errorsV2)
	links := newTestLinks(tt)
	insertLogs(t, "scope-svc", "error", linkNow.Add(-20*time.Minute), 1)
	link, err := links.Create(ctx, alice, LinkRequest{Template: "levels", Params: map[string]any{"service": "scope-svc"}, From: "last 1h", Snapshot: true}, store.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	scoped := store.Settings{TableFilters: map[string]string{"logs": "stream IN ('payments')"}}
	got, err := links.Get(ctx, link.ID, scoped)
	if err != nil {
		t.Fatal(err)
	}
	if got.Snapshot != nil || got.SnapshotHidden == "" {
		t.Fatalf("a scoped reader sees an unscoped creator's snapshot: %+v", got.Snapshot)
	}
	// The live rerun runs with the reader's scope: the test rows are in
	// stream "test", outside it.
	_, res, err := links.Run(ctx, alice, link.ID, scoped)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Result.Rows) != 0 {
		t.Fatalf("scoped rerun = %v, want nothing outside the scope", res.Result.Rows)
	}

	// The same scope sees the snapshot the creator took with it.
	link, err = links.Create(ctx, alice, LinkRequest{Template: "levels", Params: map[string]any{"service": "scope-svc"}, From: "last 1h", Snapshot: true}, scoped)
	if err != nil {
		t.Fatal(err)
	}
	if got, err = links.Get(ctx, link.ID, store.Settings{TableFilters: maps.Clone(scoped.TableFilters)}); err != nil || got.Snapshot == nil {
		t.Fatalf("same scope: snapshot %+v, err %v", got.Snapshot, err)
	}
}

func TestLinkRunsAreAuditedAsLink(t *testing.T) {
	ctx := context.Background()
	audit := NewAudit(testStore, nil)
	tt := newTestTemplates(audit)
	tt.set("audited", 7, errorsV1)
	links := newTestLinks(tt)
	link, err := links.Create(ctx, Caller{User: "auditor", Role: "viewer", Source: "ui"}, LinkRequest{Template: "audited", Params: map[string]any{"service": "a"}, From: "last 1h", Snapshot: true}, store.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := links.Run(ctx, Caller{User: "reader", Role: "viewer", Source: "ui"}, link.ID, store.Settings{}); err != nil {
		t.Fatal(err)
	}
	audit.Close()
	res, err := testStore.Query(ctx, store.Query{SQL: "SELECT user, source, template_version FROM query_log WHERE template = 'audited' ORDER BY time, user"})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(res.Rows) != "[[auditor link 7] [reader link 7]]" {
		t.Fatalf("query_log = %v", res.Rows)
	}
}

func TestLinkBadRequests(t *testing.T) {
	ctx := context.Background()
	tt := newTestTemplates(nil)
	tt.set("errors", 1, errorsV1)
	tt.set("many", 1, "SELECT number FROM numbers(20000) WHERE {service:String} != '' AND {from:DateTime64(3)} < {to:DateTime64(3)}")
	links := newTestLinks(tt)
	ok := LinkRequest{Template: "errors", Params: map[string]any{"service": "x"}, From: "last 1h"}
	f := func(edit func(r *LinkRequest), kind fault.Kind, want string) {
		t.Helper()
		r := ok
		r.Params = maps.Clone(ok.Params)
		edit(&r)
		_, err := links.Create(ctx, alice, r, store.Settings{})
		if fault.KindOf(err) != kind || err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("got %v (%v), want %v containing %q", err, fault.KindOf(err), kind, want)
		}
	}
	f(func(r *LinkRequest) { r.Template = "" }, fault.BadInput, "template is required")
	f(func(r *LinkRequest) { r.Template = "nope" }, fault.NotFound, `no template "nope"`)
	f(func(r *LinkRequest) { r.Version = 9 }, fault.NotFound, "has no version 9")
	f(func(r *LinkRequest) { r.Params["service"] = json.Number("5") }, fault.BadInput, `param "service"`)
	f(func(r *LinkRequest) { delete(r.Params, "service") }, fault.BadInput, `param "service": is required`)
	f(func(r *LinkRequest) { r.Params["service"] = strings.Repeat("x", MaxLinkParamsBytes) }, fault.BadInput, "params are")
	f(func(r *LinkRequest) { r.Title = strings.Repeat("t", MaxLinkTitle+1) }, fault.BadInput, "title is 201 characters")
	f(func(r *LinkRequest) { r.Note = strings.Repeat("n", MaxLinkNote+1) }, fault.BadInput, "note is")
	f(func(r *LinkRequest) { r.Title = "\xff" }, fault.BadInput, "UTF-8")
	f(func(r *LinkRequest) { r.From, r.To = "now-1h", "2030-01-01T00:00:00Z" }, fault.BadInput, "is in the future")
	f(func(r *LinkRequest) { r.From = "soon" }, fault.BadInput, `from: "soon"`)
	f(func(r *LinkRequest) { r.Template, r.Snapshot = "many", true }, fault.Limit, "snapshot: the result has 20000 rows")
	// None of them left a link behind.
	res, err := testStore.Query(ctx, store.Query{SQL: "SELECT count() FROM shared_links WHERE template IN ('', 'nope', 'many')"})
	if err != nil || fmt.Sprint(res.Rows) != "[[0]]" {
		t.Fatalf("refused links stored: %v %v", res.Rows, err)
	}
}

func TestLinkHotStatus(t *testing.T) {
	day := 24 * time.Hour
	links := NewLinks(testStore, nil, LinkOptions{Now: func() time.Time { return linkNow }, Retention: func() (time.Duration, time.Duration) { return 14 * day, 365 * day }})
	f := func(from, to time.Duration, want HotStatus) {
		t.Helper()
		l := &Link{From: linkNow.Add(-from), To: linkNow.Add(-to)}
		if got := links.Hot(l); got != want {
			t.Fatalf("range now-%s – now-%s: %s, want %s", from, to, got, want)
		}
	}
	f(time.Hour, 0, HotComplete)
	f(13*day, 12*day, HotComplete)
	f(15*day, 12*day, HotPartial)
	f(400*day, 300*day, HotPartial)
	f(400*day, 366*day, HotGone)
	if got := newTestLinks(nil).Hot(&Link{From: time.Unix(0, 0), To: time.Unix(1, 0)}); got != HotComplete {
		t.Fatalf("without retentions: %s", got)
	}
}
