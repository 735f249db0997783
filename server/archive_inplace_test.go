package server

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/logmart/logmart/ingest"
	"github.com/logmart/logmart/ingest/archive"
	"github.com/logmart/logmart/ingest/archive/archivetest"
	"github.com/logmart/logmart/query"
	"github.com/logmart/logmart/store/storetest"
)

const archiveByService = `id: archive_by_service
version: 1
title: Archived lines by service
archive: true
params:
  - name: stream
    type: string
    required: true
sql: |
  SELECT service, count() AS lines FROM archive_logs
  WHERE stream = {stream:String} AND timestamp >= {from:DateTime64(3)} AND timestamp < {to:DateTime64(3)}
  GROUP BY service ORDER BY service
`

const logsByService = `id: logs_by_service
version: 1
title: Lines by service
params:
  - name: stream
    type: string
    required: true
sql: |
  SELECT service, count() AS lines FROM logs
  WHERE stream = {stream:String} AND timestamp >= {from:DateTime64(3)} AND timestamp < {to:DateTime64(3)}
  GROUP BY service ORDER BY service
`

// TestArchiveInPlace: an archive template counts the archive's lines by
// service over a range that starts and ends mid-hour, and finds what the
// same count over the rehydrated rows finds; its run opens only the
// objects of the range's hours. A token scoped to one stream reads
// nothing of another through the archive, and a token without the archive
// tier reads nothing of it. Templates may not read the table of lines,
// and only archive templates may read archive_logs.
func TestArchiveInPlace(t *testing.T) {
	dir := t.TempDir()
	folder, err := archive.OpenFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	icfg := ingest.Default()
	icfg.Archive.Enabled, icfg.Archive.URL = true, dir
	testArchiveInPlace(t, folder, icfg)
}

// TestArchiveInPlaceS3 is TestArchiveInPlace over a bucket of an
// S3-compatible server in process, which the engine's S3 table reads over
// HTTP.
func TestArchiveInPlaceS3(t *testing.T) {
	f := archivetest.NewS3(t, "logs-archive")
	icfg := ingest.Default()
	icfg.Archive.Enabled, icfg.Archive.URL, icfg.Archive.Endpoint, icfg.Archive.PathStyle = true, "s3://logs-archive/team/prod", f.URL, true
	tg, err := archive.Open(context.Background(), icfg.Archive)
	if err != nil {
		t.Fatal(err)
	}
	testArchiveInPlace(t, tg, icfg)
}

func testArchiveInPlace(t *testing.T, tg archive.Target, icfg ingest.Config) {
	ctx := context.Background()
	st := storetest.Database(t)
	// 30 hours of two streams, 4 lines an hour each, of services a, b, c.
	start := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	var objs []archive.Object
	for p, stream := range []string{"payments", "default"} {
		var b archive.Batch
		for i := range 120 {
			at := start.Add(time.Duration(i) * 15 * time.Minute)
			line := fmt.Sprintf(`{"ts":%q,"level":"info","service":"%c","message":"line %d"}`, at.Format(time.RFC3339), 'a'+rune(i%3), i)
			b.Add(stream, at.UnixMilli(), &kgo.Record{Topic: "logs", Partition: int32(p), Offset: int64(i), Timestamp: at, Value: []byte(line)}, at.UnixMilli())
		}
		for _, o := range b.Objects("logs", int32(p)) {
			if err := tg.Put(ctx, o.Key, o.Body); err != nil {
				t.Fatal(err)
			}
			objs = append(objs, o)
		}
	}
	if err := st.Insert(ctx, archive.ManifestTable, archive.ManifestBlock(objs, time.Now().UnixMilli()), ""); err != nil {
		t.Fatal(err)
	}
	inPlace, err := archive.NewInPlace(ctx, st, icfg.Archive, true)
	if err != nil {
		t.Fatal(err)
	}
	from, to := start.Add(10*time.Hour+30*time.Minute), start.Add(29*time.Hour+15*time.Minute)
	rh, err := ingest.NewRehydrator(icfg, st, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, stream := range []string{"payments", "default"} {
		if _, err := rh.Run(ctx, ingest.RehydrateRequest{Stream: stream, From: start, To: start.Add(48 * time.Hour)}, nil); err != nil {
			t.Fatal(err)
		}
	}

	tdir := t.TempDir()
	writeFile(t, tdir+"/archive_by_service.yaml", archiveByService)
	writeFile(t, tdir+"/logs_by_service.yaml", logsByService)
	qcfg := query.DefaultConfig()
	qcfg.Dir, qcfg.CacheTTL = tdir, 0
	cat := query.NewCatalog(qcfg, query.NewRunner(st, nil), nil)
	if err := cat.Load(ctx); err != nil {
		t.Fatal(err)
	}
	cat.SetArchive(inPlace)
	cfg := Default()
	cfg.Tokens = []TokenConfig{
		{Name: "ada", Role: RoleAdmin, Token: adminTok},
		{Name: "pay", Role: RoleViewer, Token: scopedTok, Scopes: map[string]string{"logs": "stream IN ('payments')"}},
		{Name: "vic", Role: RoleViewer, Token: viewerTok, Tiers: []string{"hot", "warm", "cold"}},
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(New(cfg, Deps{Templates: cat, SQL: query.NewRunner(st, nil)}, nil).Handler())
	t.Cleanup(ts.Close)
	run := func(token, template, stream string) (string, map[string]any) {
		t.Helper()
		body := fmt.Sprintf(`{"template":%q,"params":{"stream":%q},"from":%q,"to":%q}`, template, stream, from.Format(time.RFC3339), to.Format(time.RFC3339))
		code, out := call(t, ts, "POST", "/api/v1/query", token, body)
		if code != 200 {
			t.Fatalf("%s %s as %s: %d %v", template, stream, token, code, out)
		}
		return fmt.Sprint(out["rows"]), out
	}
	// 10:30 to 29:15 holds 75 quarters of an hour: 25 of each service.
	for _, stream := range []string{"payments", "default"} {
		inPlace, out := run(adminTok, "archive_by_service", stream)
		rehydrated, _ := run(adminTok, "logs_by_service", stream)
		if inPlace != rehydrated || inPlace != "[[a 25] [b 25] [c 25]]" {
			t.Errorf("%s: in place %s, rehydrated %s; want both [[a 25] [b 25] [c 25]]", stream, inPlace, rehydrated)
		}
		// The hours 10 to 29 of one stream: 20 objects of 4 lines.
		if st := out["stats"].(map[string]any); st["rows_read"] != 80.0 {
			t.Errorf("%s: the run read %v lines, want the 80 of the range's 20 hours", stream, st["rows_read"])
		}
	}
	// The scoped token reads its stream and nothing of the other.
	if got, _ := run(scopedTok, "archive_by_service", "payments"); got != "[[a 25] [b 25] [c 25]]" {
		t.Errorf("the payments token's own stream in place: %s", got)
	}
	if got, _ := run(scopedTok, "archive_by_service", "default"); got != "[]" {
		t.Errorf("the payments token read another stream through the archive: %s", got)
	}
	// Without the archive tier, the archive reads as empty.
	if got, _ := run(viewerTok, "archive_by_service", "payments"); got != "[]" {
		t.Errorf("a token without the archive tier read it: %s", got)
	}
	// The estimate counts the range's objects, from the manifests.
	code, est := call(t, ts, "POST", "/api/v1/templates/archive_by_service/estimate", adminTok,
		fmt.Sprintf(`{"params":{"stream":"payments"},"from":%q,"to":%q}`, from.Format(time.RFC3339), to.Format(time.RFC3339)))
	if code != 200 || fmt.Sprint(est["tiers"]) != "[map[bytes:"+fmt.Sprint(est["bytes"])+" parts:40 rows:160 tier:archive]]" {
		t.Errorf("estimate of the archive template: %d %v", code, est)
	}

	// Templates that read the archive otherwise are refused at load.
	f := func(file, text, want string) {
		t.Helper()
		d := t.TempDir()
		// An id of its own: the good versions are recorded already.
		text = strings.Replace(strings.Replace(text, "id: archive_by_service", "id: bad_archive", 1), "id: logs_by_service", "id: bad_logs", 1)
		writeFile(t, d+"/"+file, text)
		c := query.DefaultConfig()
		c.Dir = d
		err := query.NewCatalog(c, query.NewRunner(st, nil), nil).Load(ctx)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v; want %q", file, err, want)
		}
	}
	f("lines.yaml", strings.Replace(archiveByService, "FROM archive_logs", "FROM archive_lines", 1), "reads archive_lines; a template reads the archive through archive_logs (and archive: true)")
	f("unmarked.yaml", strings.Replace(archiveByService, "archive: true\n", "", 1), "reads archive_logs, the archive in place: mark the template archive: true")
	f("marked.yaml", strings.Replace(logsByService, "title: Lines by service\n", "title: x\narchive: true\n", 1), "is marked archive: true but reads no archive_logs")
}
