package query

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/logmart/logmart/ingest/archive"
	"github.com/logmart/logmart/query/templatetest"
	"github.com/logmart/logmart/store"
	"github.com/logmart/logmart/store/chdb"
	"github.com/logmart/logmart/store/storetest"
)

// shippedDir is the repository's template folder.
const shippedDir = "../configs/templates"

var (
	tmplOnce  sync.Once
	tmplStore *chdb.Engine
	tmplErr   error
	// demoEnd ends the demo hour templateStore holds.
	demoEnd = time.Now().UTC().Truncate(time.Minute)
)

// templateStore is a database of its own on the package's engine
// (separate databases keep these tests' rows apart from the links tests'),
// migrated and holding the demo hour ending at demoEnd.
func templateStore(t testing.TB) *chdb.Engine {
	t.Helper()
	tmplOnce.Do(func() {
		if tmplStore, tmplErr = storetest.Open("templates_test"); tmplErr != nil {
			return
		}
		tmplErr = templatetest.InsertDemo(context.Background(), tmplStore, demoEnd)
	})
	if tmplErr != nil {
		t.Fatal(tmplErr)
	}
	return tmplStore
}

// shippedCatalog loads the shipped templates on the template store.
func shippedCatalog(t testing.TB, audit *Audit) *Catalog {
	t.Helper()
	st := templateStore(t)
	cfg := DefaultConfig()
	cfg.Dir = shippedDir
	c := NewCatalog(cfg, NewRunner(st, audit), nil)
	if err := c.Load(context.Background()); err != nil {
		t.Fatalf("the shipped templates do not load:\n%v", err)
	}
	return c
}

// requiredValues are values for the shipped templates' required
// parameters, over the demo data.
var requiredValues = map[string]map[string]any{
	"metric_over_time":         {"metric": "http_requests_total"},
	"archive_lines_by_service": {"stream": "default"},
}

// demoArchive is an archive of 60 JSON lines of the stream default over
// the demo hour, read in place, for the archive templates.
func demoArchive(t testing.TB, st store.Store) *archive.InPlace {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	folder, err := archive.OpenFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b archive.Batch
	for i := range 60 {
		at := demoEnd.Add(-time.Hour + time.Duration(i)*time.Minute)
		line := fmt.Sprintf(`{"ts":%q,"level":"info","service":"checkout","message":"line %d"}`, at.Format(time.RFC3339), i)
		b.Add("default", at.UnixMilli(), &kgo.Record{Topic: "logs", Offset: int64(i), Timestamp: at, Value: []byte(line)}, at.UnixMilli())
	}
	for _, o := range b.Objects("logs", 0) {
		if err := folder.Put(ctx, o.Key, o.Body); err != nil {
			t.Fatal(err)
		}
	}
	cfg := archive.Default()
	cfg.Enabled, cfg.URL = true, dir
	p, err := archive.NewInPlace(ctx, st, cfg, true)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestShippedTemplatesLintLoadAndRun(t *testing.T) {
	st := templateStore(t)
	ctx := context.Background()
	if err := Lint(ctx, shippedDir, st, LintOptions{CompareStored: true}); err != nil {
		t.Fatalf("lint:\n%v", err)
	}
	c := shippedCatalog(t, nil)
	c.SetArchive(demoArchive(t, st))
	list := c.List(ctx, store.Settings{ReadOnly: true})
	if len(list) < 12 {
		t.Fatalf("%d shipped templates, want at least 12", len(list))
	}
	// Templates whose demo hour legitimately has no rows for the defaults.
	mayBeEmpty := map[string]bool{}
	for _, info := range list {
		t.Run(info.ID, func(t *testing.T) {
			params := map[string]any{}
			for k, v := range requiredValues[info.ID] {
				params[k] = v
			}
			run, err := c.Run(ctx, alice, TemplateRequest{Template: info.ID, Params: params, From: demoEnd.Add(-time.Hour), To: demoEnd}, store.Settings{})
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if len(run.Result.Rows) == 0 && !mayBeEmpty[info.ID] {
				t.Fatalf("no rows over the demo hour; sql:\n%s", run.SQL)
			}
			if run.Version != info.Version || run.Visualization != info.Visualization {
				t.Fatalf("ran %+v, listed %+v", run.TemplateRef, info)
			}
			if _, err := json.Marshal(run.Result.Rows); err != nil {
				t.Fatalf("rows do not encode: %v", err)
			}
		})
	}
}

// TestEnumValuesComeFromTheTable: metric_over_time's metric is an enum of
// the metric names in the metrics table, the demo hour's two here. What
// each shipped template answers is pinned by the scripts in
// templatetest/testdata (TestScripts).
func TestEnumValuesComeFromTheTable(t *testing.T) {
	c := shippedCatalog(t, nil)
	ctx := context.Background()
	info, err := c.Info(ctx, "metric_over_time", 0, store.Settings{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(info.Params[0].Values, ","); got != "http_requests_total,process_open_fds" {
		t.Fatalf("metric values %q", got)
	}
}
