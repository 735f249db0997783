package query

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

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
	"metric_over_time": {"metric": "http_requests_total"},
}

func TestShippedTemplatesLintLoadAndRun(t *testing.T) {
	st := templateStore(t)
	ctx := context.Background()
	if err := Lint(ctx, shippedDir, st, LintOptions{CompareStored: true}); err != nil {
		t.Fatalf("lint:\n%v", err)
	}
	c := shippedCatalog(t, nil)
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

func TestShippedTemplatesAnswerTheDemoData(t *testing.T) {
	c := shippedCatalog(t, nil)
	ctx := context.Background()
	run := func(id string, params map[string]any) *TemplateRun {
		t.Helper()
		r, err := c.Run(ctx, alice, TemplateRequest{Template: id, Params: params, From: demoEnd.Add(-time.Hour), To: demoEnd}, store.Settings{})
		if err != nil {
			t.Fatalf("%s %v: %v", id, params, err)
		}
		return r
	}
	// The error curve adds up to the error lines, counted directly.
	want, err := templateStore(t).Query(ctx, store.Query{SQL: "SELECT count() FROM logs WHERE service = 'checkout' AND level = 'error' AND timestamp >= {from:DateTime64(3)} AND timestamp < {to:DateTime64(3)}",
		Params: map[string]string{"from": fmtTime(demoEnd.Add(-time.Hour)), "to": fmtTime(demoEnd)}})
	if err != nil {
		t.Fatal(err)
	}
	r := run("errors_by_service", map[string]any{"service": "checkout", "step": "10m"})
	total := int64(0)
	for _, row := range r.Result.Rows {
		if row[1] != "checkout" {
			t.Fatalf("errors_by_service checkout: row %v", row)
		}
		n, _ := row[2].(json.Number).Int64()
		total += n
	}
	if w, _ := want.Rows[0][0].(json.Number).Int64(); total != w || w == 0 || len(r.Result.Rows) < 6 {
		t.Fatalf("errors_by_service checkout: %d errors in %d buckets, want %d", total, len(r.Result.Rows), w)
	}
	// The brute-force address tops the failed logins.
	r = run("failed_logins_by_ip", nil)
	if r.Result.Rows[0][0] != "198.51.100.66" {
		t.Fatalf("failed_logins_by_ip: %v", r.Result.Rows[:1])
	}
	// Privileged logins are root and admin only.
	r = run("privileged_logins", map[string]any{"result": "failure"})
	for _, row := range r.Result.Rows {
		if a := row[2]; a != "root" && a != "admin" || row[4] != "failure" {
			t.Fatalf("privileged_logins: row %v", row)
		}
	}
	// Log search with text and fields.
	r = run("log_search", map[string]any{"text": "TIMED OUT", "services": []any{"auth"}, "level": "error", "limit": json.Number("5")})
	if len(r.Result.Rows) != 5 {
		t.Fatalf("log_search: %d rows", len(r.Result.Rows))
	}
	for _, row := range r.Result.Rows {
		if row[1] != "auth" || row[3] != "error" || !strings.Contains(row[4].(string), "timed out") {
			t.Fatalf("log_search row %v", row)
		}
	}
	r = run("log_search", map[string]any{"attr_key": "http.status", "attr_value": "429", "limit": 10})
	for _, row := range r.Result.Rows {
		if row[7].(map[string]any)["http.status"] != "429" {
			t.Fatalf("log_search attr row %v", row)
		}
	}
	// The enum's values come from the metrics table.
	info, err := c.Info(ctx, "metric_over_time", 0, store.Settings{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(info.Params[0].Values, ","); got != "http_requests_total,process_open_fds" {
		t.Fatalf("metric values %q", got)
	}
	if _, err := c.Run(ctx, alice, TemplateRequest{Template: "metric_over_time", Params: map[string]any{"metric": "nope"}, From: demoEnd.Add(-time.Hour), To: demoEnd}, store.Settings{}); err == nil ||
		err.Error() != `param "metric": "nope" is not one of the 2 allowed values` {
		t.Fatalf("metric nope: %v", err)
	}
}
