package server

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/logmart/logmart/ingest"
	"github.com/logmart/logmart/ingest/archive"
	"github.com/logmart/logmart/query"
	"github.com/logmart/logmart/store"
	"github.com/logmart/logmart/store/storetest"
)

func TestArchiveDays(t *testing.T) {
	ctx := context.Background()
	day := func(s string, h int) time.Time {
		d, _ := time.Parse(time.DateOnly, s)
		return d.Add(time.Duration(h) * time.Hour)
	}
	obj := func(stream string, at time.Time, first, last int64, records int) archive.Object {
		return archive.Object{Key: archive.Key(stream, at.Truncate(time.Hour), "logs", 0, first, last),
			Stream: stream, Day: at.Format(time.DateOnly), Hour: at.Hour(), Topic: "logs", First: first, Last: last,
			Records: records, RawBytes: 1000, Body: make([]byte, 100),
			Oldest: at.UnixMilli(), Newest: at.Add(30 * time.Minute).UnixMilli()}
	}
	objs := []archive.Object{
		obj("arch-a", day("2025-03-01", 1), 0, 9, 10),
		obj("arch-a", day("2025-03-01", 23), 10, 19, 10),
		obj("arch-a", day("2025-03-02", 0), 20, 24, 5),
		obj("arch-b", day("2025-03-01", 5), 0, 2, 3),
	}
	if err := testStore.Insert(ctx, archive.ManifestTable, archive.ManifestBlock(objs, time.Now().UnixMilli()), "server-test-archive-days"); err != nil {
		t.Fatal(err)
	}
	// The same objects again (a retried batch whose repeat escaped
	// deduplication) count once.
	if err := testStore.Insert(ctx, archive.ManifestTable, archive.ManifestBlock(objs[:1], time.Now().UnixMilli()), ""); err != nil {
		t.Fatal(err)
	}
	routes, err := ingest.NewRoutes("")
	if err != nil {
		t.Fatal(err)
	}
	cfg := Default()
	cfg.Tokens = []TokenConfig{
		{Name: "vic", Role: RoleViewer, Token: viewerTok},
		{Name: "pay", Role: RoleEditor, Token: scopedTok, Scopes: map[string]string{"logs": "stream IN ('payments')"}},
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	runner := query.NewRunner(testStore, nil)
	ts := httptest.NewServer(New(cfg, Deps{SQL: runner, Streams: routes, Archive: archive.NewCatalog(testStore)}, nil).Handler())
	t.Cleanup(ts.Close)

	f := func(q, token string, wantStatus int, want []map[string]any, wantErr string) {
		t.Helper()
		status, out := call(t, ts, "GET", "/api/v1/archive/days"+q, token, "")
		if status != wantStatus {
			t.Fatalf("%s: status %d (%v), want %d", q, status, out, wantStatus)
		}
		if wantErr != "" {
			if out["error"] != wantErr {
				t.Errorf("%s: error %q, want %q", q, out["error"], wantErr)
			}
			return
		}
		days, _ := out["days"].([]any)
		if len(days) != len(want) {
			t.Fatalf("%s: days %v, want %v", q, days, want)
		}
		for i, w := range want {
			d := days[i].(map[string]any)
			for k, v := range w {
				if d[k] != v {
					t.Errorf("%s: day %d %s = %v, want %v", q, i, k, d[k], v)
				}
			}
		}
	}
	f("?stream=arch-a", viewerTok, 200, []map[string]any{
		{"stream": "arch-a", "day": "2025-03-01", "objects": 2.0, "records": 20.0, "bytes": 200.0,
			"oldest": "2025-03-01T01:00:00Z", "newest": "2025-03-01T23:30:00Z"},
		{"stream": "arch-a", "day": "2025-03-02", "objects": 1.0, "records": 5.0},
	}, "")
	f("?from=2025-03-01T00:00:00Z&to=2025-03-01T12:00:00Z", viewerTok, 200, []map[string]any{
		{"stream": "arch-a", "day": "2025-03-01", "objects": 1.0, "records": 10.0},
		{"stream": "arch-b", "day": "2025-03-01", "objects": 1.0, "records": 3.0},
	}, "")
	f("?stream=arch-a&from=2025-03-02", viewerTok, 200, []map[string]any{{"day": "2025-03-02"}}, "")
	f("?stream=arch-a&from=2025-03-03&to=2025-03-02", viewerTok, 400, nil, "from (2025-03-03T00:00:00Z) must be before to (2025-03-02T00:00:00Z)")
	f("?from=yesterdayish", viewerTok, 400, nil, "")
	f("?stream=nosuch", viewerTok, 400, nil, `stream "nosuch" is not in streams.yaml and has nothing archived (streams: default)`)
	// A scoped token reads nothing of the manifest, which counts every stream.
	f("?stream=arch-a", scopedTok, 200, nil, "")
	f("", "", 401, nil, "")
}

// TestRehydrateAPI starts rehydrations over HTTP against a folder archive
// holding one object: the job runs to done with its figures, the same
// request again stores nothing, and bad requests are refused naming what
// is wrong.
func TestRehydrateAPI(t *testing.T) {
	st := storetest.Database(t)
	dir := t.TempDir()
	at := time.Date(2025, 3, 1, 10, 15, 0, 0, time.UTC)
	var b archive.Batch
	for i, line := range []string{`{"level":"error","service":"api","message":"one"}`, `{"level":"info","service":"api","message":"two"}`} {
		b.Add("default", at.UnixMilli(), &kgo.Record{Topic: "logs", Partition: 0, Offset: int64(i), Timestamp: at, Value: []byte(line)}, at.UnixMilli())
	}
	folder, err := archive.OpenFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range b.Objects("logs", 0) {
		if err := folder.Put(context.Background(), o.Key, o.Body); err != nil {
			t.Fatal(err)
		}
	}
	icfg := ingest.Default()
	icfg.Archive.Enabled, icfg.Archive.URL = true, dir
	rh, err := ingest.NewRehydrator(icfg, st, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Default()
	cfg.Tokens = []TokenConfig{
		{Name: "vic", Role: RoleViewer, Token: viewerTok},
		{Name: "eddie", Role: RoleEditor, Token: editorTok},
		{Name: "pay", Role: RoleEditor, Token: scopedTok, Scopes: map[string]string{"logs": "stream IN ('payments')"}},
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(New(cfg, Deps{Rehydrate: ingest.NewRehydrateJobs(rh)}, nil).Handler())
	t.Cleanup(ts.Close)

	finish := func(body string) map[string]any {
		t.Helper()
		status, job := call(t, ts, "POST", "/api/v1/archive/rehydrate", editorTok, body)
		if status != 202 {
			t.Fatalf("POST %s: %d %v", body, status, job)
		}
		id := job["progress"].(map[string]any)["job"].(string)
		deadline := time.Now().Add(30 * time.Second)
		for job["state"] == "running" && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
			_, job = call(t, ts, "GET", "/api/v1/archive/rehydrate/"+id, viewerTok, "")
		}
		return job
	}
	req := `{"stream":"default","from":"2025-03-01","to":"2025-03-02"}`
	job := finish(req)
	p := job["progress"].(map[string]any)
	if job["state"] != "done" || p["records"] != 2.0 || p["rows_stored"] != 2.0 || p["objects"] != 1.0 {
		t.Fatalf("first run: %v", job)
	}
	job = finish(req)
	p = job["progress"].(map[string]any)
	if job["state"] != "done" || p["rows_stored"] != 0.0 || p["already_stored"] != 2.0 {
		t.Fatalf("second run: %v", job)
	}
	res, err := st.Query(context.Background(), store.Query{SQL: "SELECT count(), any(rehydrate_job) FROM logs"})
	if err != nil {
		t.Fatal(err)
	}
	if store.CellUint64(res.Rows[0][0]) != 2 || store.CellString(res.Rows[0][1]) != p["job"] {
		t.Fatalf("logs holds %v", res.Rows)
	}
	job = finish(`{"stream":"nosuch","from":"2025-03-01","to":"2025-03-02"}`)
	if job["state"] != "failed" || job["error"] != `stream "nosuch" is not in streams.yaml and has nothing archived from 2025-03-01T00:00:00Z to 2025-03-02T00:00:00Z` {
		t.Errorf("unknown stream: %v", job)
	}

	f := func(token, body string, want int, wantErr string) {
		t.Helper()
		status, out := call(t, ts, "POST", "/api/v1/archive/rehydrate", token, body)
		if status != want || (wantErr != "" && out["error"] != wantErr) {
			t.Errorf("POST %s: %d %v, want %d %q", body, status, out, want, wantErr)
		}
	}
	f(editorTok, `{"stream":"default","from":"2025-03-02","to":"2025-03-01"}`, 400, "from (2025-03-02T00:00:00Z) must be before to (2025-03-01T00:00:00Z)")
	f(editorTok, `{"stream":"default","to":"2025-03-01"}`, 400, `from is required: an RFC 3339 time, "now-1h" or "last 1h"`)
	f(editorTok, `{"stream":"default","from":"2025-03-01","filter":"level =="}`, 400, "")
	f(editorTok, `{"from":"2025-03-01"}`, 400, "stream is required")
	f(viewerTok, req, 403, "")
	f(scopedTok, req, 403, `token "pay" is scoped to part of the data; rehydration stores rows of a whole stream and is not available to scoped tokens`)
	if status, _ := call(t, ts, "GET", "/api/v1/archive/rehydrate/rh-nosuch", viewerTok, ""); status != 404 {
		t.Errorf("GET of an unknown job: %d", status)
	}
	if status, _ := call(t, ts, "DELETE", "/api/v1/archive/rehydrate/rh-nosuch", editorTok, ""); status != 404 {
		t.Errorf("DELETE of an unknown job: %d", status)
	}
}
