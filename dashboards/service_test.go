package dashboards

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/query"
	"github.com/logmart/logmart/store"
	"github.com/logmart/logmart/store/chdb"
	"github.com/logmart/logmart/store/storetest"
)

var testStore *chdb.Engine

func TestMain(m *testing.M) {
	storetest.Main(m, "dashboards_test", func(st *chdb.Engine) { testStore = st })
}

// catalogTemplates is the query catalog as Templates, as cmd wires it.
type catalogTemplates struct{ c *query.Catalog }

func (a catalogTemplates) Template(ctx context.Context, id string, version uint32) (*Template, error) {
	info, err := a.c.Info(ctx, id, version, store.Settings{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	h, err := a.c.TemplateHash(ctx, id, version)
	if err != nil {
		return nil, err
	}
	t := &Template{ID: info.ID, Version: info.Version, Hash: h}
	for _, p := range info.Params {
		t.Params = append(t.Params, Param{Name: p.Name, Type: p.Type, Required: p.Required, HasDefault: p.Default != nil})
	}
	return t, nil
}

func (a catalogTemplates) ResolveRange(from, to string) (time.Time, time.Time, error) {
	return a.c.ResolveRange(from, to)
}

func (a catalogTemplates) Check(ctx context.Context, id string, version uint32, values map[string]any, from, to time.Time) error {
	_, err := a.c.CheckTemplate(ctx, query.TemplateRequest{Template: id, Version: version, Params: values, From: from, To: to})
	return err
}

func (a catalogTemplates) Explain(ctx context.Context, id string, version uint32, values map[string]any, from, to time.Time) error {
	return a.c.ExplainTemplate(ctx, query.TemplateRequest{Template: id, Version: version, Params: values, From: from, To: to})
}

// shippedTemplates is the catalog of configs/templates on a database of
// its own.
func shippedTemplates(t *testing.T) (Templates, store.Store) {
	t.Helper()
	st := storetest.Database(t)
	cfg := query.DefaultConfig()
	cfg.Dir = "../configs/templates"
	c := query.NewCatalog(cfg, query.NewRunner(st, nil), nil)
	if err := c.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return catalogTemplates{c}, st
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// The shipped dashboards lint clean against the shipped templates, EXPLAIN
// included; each kind of mistake is named by file, line, panel and field.
func TestLintAgainstTheEngine(t *testing.T) {
	tpl, _ := shippedTemplates(t)
	ctx := context.Background()
	n, err := Lint(ctx, []string{"../configs/dashboards"}, tpl, LintOptions{Explain: true})
	if err != nil {
		t.Fatalf("the shipped dashboards do not lint: %v", err)
	}
	if n < 2 {
		t.Fatalf("linted %d shipped dashboards, want at least 2", n)
	}

	f := func(body, want string) {
		t.Helper()
		dir := t.TempDir()
		writeFile(t, dir, "d.yaml", body)
		_, err := Lint(ctx, []string{dir}, tpl, LintOptions{Explain: true})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("lint error:\n%v\nwant it to contain:\n%s", err, want)
		}
		if fault.KindOf(err) != fault.BadInput {
			t.Fatalf("kind %v, want bad input", fault.KindOf(err))
		}
	}
	head := "uid: d\ntitle: D\n"
	f(head+"panels:\n  - title: M\n    template: {id: metric_over_time, version: 1}\n    grid: {x: 0, y: 0, w: 12, h: 8}\n",
		`d.yaml:4: panel "M": panels[0].params: required parameter "metric" of template metric_over_time v1 is not bound`)
	f(head+"panels:\n  - title: E\n    template: {id: errors_by_service, version: 9}\n    grid: {x: 0, y: 0, w: 12, h: 8}\n",
		`d.yaml:5: panel "E": panels[0].template.version: template "errors_by_service" has no version 9`)
	f(head+"panels:\n  - title: E\n    template: {id: no_such_template, version: 1}\n    grid: {x: 0, y: 0, w: 12, h: 8}\n",
		`panel "E": panels[0].template.id: no template "no_such_template"`)
	f(head+"panels:\n  - title: E\n    template: {id: errors_by_service, version: 1}\n    params: {colour: red}\n    grid: {x: 0, y: 0, w: 12, h: 8}\n",
		`d.yaml:6: panel "E": panels[0].params.colour: template errors_by_service v1 has no parameter "colour" (it takes service, stream, step)`)
	f(head+"panels:\n  - title: S\n    template: {id: query_log_slowest, version: 1}\n    params: {limit: lots}\n    grid: {x: 0, y: 0, w: 12, h: 8}\n",
		`d.yaml:6: panel "S": panels[0].params.limit: "lots" is not an int`)
	f(head+"variables:\n  - {name: lvl, kind: custom, values: [error, fatal], default: error}\npanels:\n  - title: T\n    template: {id: top_error_messages, version: 1}\n    params: {level: $lvl}\n    grid: {x: 0, y: 0, w: 12, h: 8}\n",
		`panels[0].params.level: "fatal" is not one of`)
	f(head+"variables:\n  - {name: s, kind: custom, values: [a, b], default: a, multi: true}\npanels:\n  - title: E\n    template: {id: errors_by_service, version: 1}\n    params: {service: $s}\n    grid: {x: 0, y: 0, w: 12, h: 8}\n",
		`panels[0].params.service: binds $s, which may hold several values; parameter "service" takes one string`)
	f(head+"variables:\n  - {name: i, kind: interval, values: [1m], default: 1m}\npanels:\n  - title: S\n    template: {id: query_log_slowest, version: 1}\n    params: {limit: $i}\n    grid: {x: 0, y: 0, w: 12, h: 8}\n",
		`panels[0].params.limit: binds $i, an interval; parameter "limit" is a int, not a duration`)
	f(head+"variables:\n  - {name: m, kind: query, template: {id: errors_by_service, version: 1}, param: service}\npanels:\n  - title: E\n    template: {id: errors_by_service, version: 1}\n    params: {service: $m}\n    grid: {x: 0, y: 0, w: 12, h: 8}\n",
		`variables[0].param: parameter "service" of template errors_by_service v1 is a string; a query variable offers an enum parameter's values`)
	f(head+"panels:\n  - title: E\n    template: {id: errors_by_service, version: 1}\n    links: [{title: x, dashboard: elsewhere}]\n    grid: {x: 0, y: 0, w: 12, h: 8}\n",
		`panels[0].links[0].dashboard: no dashboard has uid "elsewhere"`)
	f(head+"time: {from: yesterday, to: now}\n"+okPanel, "d.yaml:3: time:")
}

const apiDashboard = `{"uid": "team-a", "title": "Team A", "tags": ["b", "a"],
 "variables": [{"name": "service", "kind": "text", "default": "api"}],
 "panels": [{"title": "Errors", "template": {"id": "errors_by_service", "version": 1},
   "params": {"service": "$service"}, "visualization": {"type": "timeseries"},
   "grid": {"x": 0, "y": 0, "w": 24, "h": 8}}]}`

// Provisioned files are read-only; API dashboards are created, replaced
// only with the current hash, idempotent, deleted, and kept in the table.
func TestServiceWrites(t *testing.T) {
	tpl, st := shippedTemplates(t)
	ctx := context.Background()
	dir := t.TempDir()
	writeFile(t, dir, "prov.yaml", "uid: prov\ntitle: Provisioned\npanels:\n  - title: E\n    template: {id: errors_by_service, version: 1}\n    grid: {x: 0, y: 0, w: 12, h: 8}\n")
	s := New(Config{Dir: dir}, st, tpl, nil)
	if err := s.Load(ctx); err != nil {
		t.Fatal(err)
	}

	e, created, err := s.Put(ctx, "team-a", []byte(apiDashboard), "", "eddie")
	if err != nil || !created || e.Source != SourceAPI || len(e.Hash) != 64 {
		t.Fatalf("create: %+v %v %v", e, created, err)
	}
	first := e.Hash
	if _, _, err := s.Put(ctx, "team-a", []byte(apiDashboard), "", "eddie"); !errors.Is(err, ErrPrecondition) || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("a second create: %v, want a precondition failure", err)
	}
	changed := strings.Replace(apiDashboard, `"Team A"`, `"Team A v2"`, 1)
	if _, _, err := s.Put(ctx, "team-a", []byte(changed), "0123", "eddie"); !errors.Is(err, ErrPrecondition) || !strings.Contains(err.Error(), "stale") {
		t.Fatalf("a stale If-Match: %v", err)
	}
	e, created, err = s.Put(ctx, "team-a", []byte(changed), first, "eddie")
	if err != nil || created || e.Hash == first || e.Item.Title != "Team A v2" {
		t.Fatalf("replace: %+v %v %v", e, created, err)
	}
	second := e.Hash
	// The same body again changes nothing.
	if e, _, err := s.Put(ctx, "team-a", []byte(changed), second, "eddie"); err != nil || e.Hash != second {
		t.Fatalf("an identical replace: %v %v", e, err)
	}
	got, err := s.Get(ctx, "team-a")
	if err != nil || got.Hash != second || got.UpdatedBy != "eddie" || got.Item.Tags[0] != "a" {
		t.Fatalf("get: %+v %v", got, err)
	}

	if _, _, err := s.Put(ctx, "prov", []byte(strings.Replace(apiDashboard, "team-a", "prov", 1)), "", "eddie"); fault.KindOf(err) != fault.Forbidden || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("a write over a file-provisioned dashboard: %v", err)
	}
	if err := s.Delete(ctx, "prov", "", "eddie"); fault.KindOf(err) != fault.Forbidden {
		t.Fatalf("deleting a file-provisioned dashboard: %v", err)
	}
	if _, _, err := s.Put(ctx, "other", []byte(apiDashboard), "", "eddie"); fault.KindOf(err) != fault.BadInput || !strings.Contains(err.Error(), `uid: "team-a" in the body differs`) {
		t.Fatalf("a body for another uid: %v", err)
	}
	bad := strings.Replace(apiDashboard, `"version": 1`, `"version": 7`, 1)
	if _, _, err := s.Put(ctx, "team-a", []byte(bad), second, "eddie"); fault.KindOf(err) != fault.BadInput || !strings.Contains(err.Error(), "no version 7") {
		t.Fatalf("a panel over a missing template version: %v", err)
	}

	list, err := s.List(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("list: %v %v", list, err)
	}
	// Another instance on the same database sees the API dashboard.
	other := New(Config{Dir: t.TempDir()}, st, nil, nil)
	if got, err := other.Get(ctx, "team-a"); err != nil || got.Hash != second {
		t.Fatalf("another instance: %+v %v", got, err)
	}

	if err := s.Delete(ctx, "team-a", first, "eddie"); !errors.Is(err, ErrPrecondition) {
		t.Fatalf("delete with a stale If-Match: %v", err)
	}
	if err := s.Delete(ctx, "team-a", second, "eddie"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "team-a"); fault.KindOf(err) != fault.NotFound {
		t.Fatalf("get after delete: %v", err)
	}
	// A deleted uid can be created again, and is served. Before the fix
	// the new row took revision 1, under the delete's, so the create
	// answered 201 and the dashboard stayed deleted.
	e, created, err = s.Put(ctx, "team-a", []byte(apiDashboard), "", "eddie")
	if err != nil || !created {
		t.Fatalf("re-create: %v %v", created, err)
	}
	if got, err := s.Get(ctx, "team-a"); err != nil || got.Hash != e.Hash {
		t.Fatalf("get after re-create: %+v %v", got, err)
	}
}

// A broken file on reload keeps what was loaded, and names the file.
func TestReloadKeepsTheLoadedSetOnError(t *testing.T) {
	tpl, st := shippedTemplates(t)
	ctx := context.Background()
	dir := t.TempDir()
	writeFile(t, dir, "a.yaml", "uid: a\ntitle: A\npanels:\n  - title: E\n    template: {id: errors_by_service, version: 1}\n    grid: {x: 0, y: 0, w: 12, h: 8}\n")
	s := New(Config{Dir: dir}, st, tpl, nil)
	if err := s.Load(ctx); err != nil {
		t.Fatal(err)
	}
	p := writeFile(t, dir, "b.yaml", "uid: b\ntitle: B\nwidth: 3\npanels: []\n")
	if err := s.Load(ctx); err == nil || !strings.Contains(err.Error(), p+`:3: unknown key "width"`) {
		t.Fatalf("reload over a broken file: %v", err)
	}
	if _, err := s.Get(ctx, "a"); err != nil {
		t.Fatalf("the loaded set is gone: %v", err)
	}
	writeFile(t, dir, "b.yaml", "uid: a\ntitle: B\npanels: []\n")
	if err := s.Load(ctx); err == nil || !strings.Contains(err.Error(), `"a" is also the uid of`) {
		t.Fatalf("two files with one uid: %v", err)
	}
}

// An API write (and so a promotion) of a dashboard whose panel query the
// engine refuses with its bindings is refused, naming the panel; the
// same bindings that EXPLAIN accepts are stored.
func TestPutRefusesAPanelTheEngineRefuses(t *testing.T) {
	ctx := context.Background()
	st := storetest.Database(t)
	tdir := t.TempDir()
	writeFile(t, tdir, "digits.yaml", "id: digits\nversion: 1\ntitle: Digits\nvisualization: table\nparams:\n  - name: n\n    type: string\n    default: \"1\"\n"+
		"sql: SELECT count() AS c FROM logs WHERE timestamp >= {from:DateTime64(3)} AND timestamp < {to:DateTime64(3)} AND toUInt8({n:String}) = 1\n")
	cfg := query.DefaultConfig()
	cfg.Dir = tdir
	c := query.NewCatalog(cfg, query.NewRunner(st, nil), nil)
	if err := c.Load(ctx); err != nil {
		t.Fatal(err)
	}
	s := New(Config{Dir: t.TempDir()}, st, catalogTemplates{c}, nil)
	body := func(n string) []byte {
		return []byte(`{"uid":"digits","title":"Digits","panels":[{"title":"Broken?","template":{"id":"digits","version":1},"params":{"n":"` + n + `"},"visualization":{"type":"table"},"grid":{"x":0,"y":0,"w":12,"h":8}}]}`)
	}
	_, _, err := s.Put(ctx, "digits", body("not a number"), "", "alice")
	if err == nil || !strings.Contains(err.Error(), `panel "Broken?"`) {
		t.Fatalf("a panel the engine refuses = %v, want refused naming the panel", err)
	}
	if _, _, err := s.Put(ctx, "digits", body("1"), "", "alice"); err != nil {
		t.Fatalf("a panel the engine accepts = %v", err)
	}
}
