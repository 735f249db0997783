package server

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/ingest"
	"github.com/logmart/logmart/query"
)

// reloads is a reload list for tests, run as cmd's is: in order, every
// one or the named, a NotFound result for a name not in the list.
type reloads []testReloader

type testReloader struct {
	name string
	fn   func(context.Context) error
}

func (l reloads) Reload(ctx context.Context, names ...string) []ReloadResult {
	var out []ReloadResult
	for _, n := range names {
		if !slices.ContainsFunc(l, func(r testReloader) bool { return r.name == n }) {
			out = append(out, ReloadResult{Name: n, Err: fault.New(fault.NotFound, "no reloader %q", n)})
		}
	}
	for _, r := range l {
		if len(names) == 0 || slices.Contains(names, r.name) {
			start := time.Now()
			err := r.fn(ctx)
			out = append(out, ReloadResult{Name: r.name, Err: err, Duration: time.Since(start)})
		}
	}
	return out
}

// TestReloadRunsTheList: POST /api/v1/reload runs every reloader, a
// failing one does not stop the next, and the answer gives each one's
// outcome and time; the per-capability routes run their reloader alone
// and answer as before.
func TestReloadRunsTheList(t *testing.T) {
	dir := t.TempDir()
	streamsFile := filepath.Join(dir, "streams.yaml")
	write := func(path, text string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(streamsFile, "streams:\n  - name: app\n    match: 'service == \"app\"'\n  - name: default\n")
	routes, err := ingest.NewRoutes(streamsFile)
	if err != nil {
		t.Fatal(err)
	}
	tmplDir := filepath.Join(dir, "templates")
	if err := os.Mkdir(tmplDir, 0o755); err != nil {
		t.Fatal(err)
	}
	shipped, err := os.ReadFile(filepath.Join(shippedTemplates, "errors_by_service.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// Its own id: versions recorded here must not show in other tests.
	shipped = []byte(strings.Replace(string(shipped), "id: errors_by_service", "id: reload_probe", 1))
	write(filepath.Join(tmplDir, "errors_by_service.yaml"), string(shipped))
	qcfg := query.DefaultConfig()
	qcfg.Dir = tmplDir
	cat := query.NewCatalog(qcfg, query.NewRunner(testStore, nil), nil)
	if err := cat.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	cfg := Default()
	cfg.Tokens = []TokenConfig{{Name: "vic", Role: RoleViewer, Token: viewerTok}, {Name: "ada", Role: RoleAdmin, Token: adminTok}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	list := reloads{{"streams", func(context.Context) error { return routes.Reload() }}, {"templates", cat.Load}}
	ts := httptest.NewServer(New(cfg, Deps{Streams: routes, Templates: cat, Reload: list}, nil).Handler())
	t.Cleanup(ts.Close)
	admin := "Authorization: Bearer " + adminTok

	// outcome reads the answer as "name:ok name:error-text …".
	outcome := func(out map[string]any) string {
		var parts []string
		list, _ := out["reloaders"].([]any)
		for _, x := range list {
			r := x.(map[string]any)
			if _, ok := r["duration_ms"].(float64); !ok {
				t.Errorf("reloader %v has no duration_ms", r["name"])
			}
			if r["ok"] == true {
				parts = append(parts, fmt.Sprintf("%s:ok", r["name"]))
			} else {
				parts = append(parts, fmt.Sprintf("%s:%s", r["name"], r["error"]))
			}
		}
		return strings.Join(parts, " ")
	}

	code, out := request(t, ts, "POST", "/api/v1/reload", "", admin)
	if code != 200 || out["ok"] != true || outcome(out) != "streams:ok templates:ok" {
		t.Fatalf("reload: %d %v", code, out)
	}
	if code, out := request(t, ts, "POST", "/api/v1/reload", "", "Authorization: Bearer "+viewerTok); code != 403 {
		t.Fatalf("reload as a viewer: %d %v", code, out)
	}

	// New rules and a new template version, then a broken rules file.
	write(streamsFile, "streams:\n  - name: web\n    match: 'service == \"web\"'\n  - name: default\n")
	write(filepath.Join(tmplDir, "errors_by_service.yaml"), strings.Replace(string(shipped), "version: 1", "version: 2", 1))
	if code, out := request(t, ts, "POST", "/api/v1/reload", "", admin); code != 200 || outcome(out) != "streams:ok templates:ok" {
		t.Fatalf("reload of changed files: %d %v", code, out)
	}
	if got := routes.Current().Streams()[0].Name; got != "web" {
		t.Fatalf("rules in force start with %q, want web", got)
	}
	write(streamsFile, "streams:\n  - name: web\n    match: 'service =='\n")
	code, out = request(t, ts, "POST", "/api/v1/reload", "", admin)
	if code != 400 || out["ok"] != false || !strings.HasPrefix(outcome(out), "streams:") || !strings.HasSuffix(outcome(out), " templates:ok") {
		t.Fatalf("reload with a broken rules file: %d %v, want 400 with streams failed and templates reloaded", code, out)
	}
	if msg := fmt.Sprint(out["error"]); !strings.HasPrefix(msg, "streams: ") || strings.Contains(msg, "internal error") {
		t.Fatalf("error line %q, want the rules file's problem", msg)
	}
	if got := routes.Current().Streams()[0].Name; got != "web" {
		t.Fatalf("a broken file changed the rules in force: %q", got)
	}

	// The aliases: one reloader each, answered as before the list.
	code, out = request(t, ts, "POST", "/api/v1/streams/reload", "", admin)
	if code != 400 || !strings.Contains(fmt.Sprint(out["error"]), "match") {
		t.Fatalf("streams/reload with a broken file: %d %v", code, out)
	}
	write(streamsFile, "streams:\n  - name: default\n")
	if code, out := request(t, ts, "POST", "/api/v1/streams/reload", "", admin); code != 200 || len(out["streams"].([]any)) != 1 {
		t.Fatalf("streams/reload: %d %v", code, out)
	}
	code, out = request(t, ts, "POST", "/api/v1/templates/reload", "", admin)
	if code != 200 {
		t.Fatalf("templates/reload: %d %v", code, out)
	}
	tmpls, _ := out["templates"].([]any)
	if len(tmpls) != 1 || tmpls[0].(map[string]any)["version"] != float64(2) {
		t.Fatalf("templates/reload answered %v, want reload_probe v2", out["templates"])
	}
	if code, out := request(t, ts, "POST", "/api/v1/templates/reload", "", "Authorization: Bearer "+viewerTok); code != 403 {
		t.Fatalf("templates/reload as a viewer: %d %v", code, out)
	}
}
