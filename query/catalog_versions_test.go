package query

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/store"
)

func writeTemplate(t *testing.T, dir, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

const versionsV1 = `id: versions_test
version: 1
title: Lines by level
params:
  - name: service
    type: string
sql: |
  SELECT level, count() AS lines FROM logs
  WHERE timestamp >= {from:DateTime64(3)} AND timestamp < {to:DateTime64(3)}
    {{if .service}}
    AND service = {service:String}
    {{end}}
  GROUP BY level ORDER BY level
`

// TestChangedWithoutBump: a version's sql or params are pinned the first
// time it loads; changing them without a new version is refused at load
// and by lint, while old versions keep running from query_templates after
// the file moved on (links point at them).
func TestChangedWithoutBump(t *testing.T) {
	ctx := context.Background()
	st := templateStore(t)
	dir := t.TempDir()
	cfg := DefaultConfig()
	cfg.Dir = dir
	c := NewCatalog(cfg, NewRunner(st, nil), nil)
	run := func(c *Catalog, version uint32) (*TemplateRun, error) {
		return c.Run(ctx, alice, TemplateRequest{Template: "versions_test", Version: version,
			Params: map[string]any{"service": "auth"}, From: demoEnd.Add(-time.Hour), To: demoEnd}, store.Settings{})
	}

	writeTemplate(t, dir, "versions_test.yaml", versionsV1)
	if err := c.Load(ctx); err != nil {
		t.Fatal(err)
	}
	v1, err := run(c, 0)
	if err != nil || v1.Version != 1 || len(v1.Result.Columns) != 2 {
		t.Fatalf("v1: %+v %v", v1, err)
	}

	// Wording may change without a bump: title, descriptions.
	writeTemplate(t, dir, "versions_test.yaml", strings.Replace(strings.Replace(versionsV1, "Lines by level", "Log lines by level", 1),
		"    type: string\n", "    type: string\n    description: only this service\n", 1))
	if err := c.Load(ctx); err != nil {
		t.Fatalf("a new title needs no bump: %v", err)
	}

	// The statement may not.
	changed := strings.Replace(versionsV1, "count() AS lines", "count() AS lines, uniqExact(host) AS hosts", 1)
	writeTemplate(t, dir, "versions_test.yaml", changed)
	wantErr := regexp.MustCompile(`^` + regexp.QuoteMeta(filepath.Join(dir, "versions_test.yaml")) +
		`:2: template versions_test version 1 changed without a version bump \(the version recorded on \S+ from \S+versions_test.yaml has other sql or params\); set version: 2$`)
	err = c.Load(ctx)
	if err == nil || !wantErr.MatchString(err.Error()) || fault.KindOf(err) != fault.BadInput {
		t.Fatalf("changed without a bump: %v", err)
	}
	if err := Lint(ctx, dir, st, LintOptions{CompareStored: true}); err == nil || !wantErr.MatchString(err.Error()) {
		t.Fatalf("lint against the stored versions: %v", err)
	}
	if err := Lint(ctx, dir, st, LintOptions{}); err != nil {
		t.Fatalf("lint of the file set alone knows no history: %v", err)
	}
	// The refused load changed nothing: version 1 still runs as recorded.
	if r, err := run(c, 0); err != nil || r.SQL != v1.SQL {
		t.Fatalf("after a refused load: %v %v", r, err)
	}

	// With the bump it loads; version 1 runs from the stored spec.
	writeTemplate(t, dir, "versions_test.yaml", strings.Replace(changed, "version: 1", "version: 2", 1))
	if err := c.Load(ctx); err != nil {
		t.Fatal(err)
	}
	v2, err := run(c, 0)
	if err != nil || v2.Version != 2 || len(v2.Result.Columns) != 3 {
		t.Fatalf("v2: %+v %v", v2, err)
	}
	old, err := run(c, 1)
	if err != nil || old.Version != 1 || old.SQL != v1.SQL || len(old.Result.Columns) != 2 {
		t.Fatalf("v1 after the bump: %+v %v", old, err)
	}

	// A new instance (a restart) knows both; the file only has version 2.
	c2 := NewCatalog(cfg, NewRunner(st, nil), nil)
	if err := c2.Load(ctx); err != nil {
		t.Fatal(err)
	}
	info, err := c2.Info(ctx, "versions_test", 0, store.Settings{})
	if err != nil || info.Version != 2 || len(info.Versions) != 2 || info.Versions[0] != 1 {
		t.Fatalf("info: %+v %v", info, err)
	}
	if r, err := run(c2, 1); err != nil || r.SQL != v1.SQL {
		t.Fatalf("v1 on a new instance: %v %v", r, err)
	}

	// A version another instance recorded after this one loaded is found
	// in query_templates.
	v3 := strings.Replace(versionsV1, "version: 1", "version: 3", 1)
	v3 = strings.Replace(v3, "GROUP BY level ORDER BY level", "GROUP BY level ORDER BY lines DESC", 1)
	spec, pos, err := decodeSpec([]byte(v3))
	if err != nil {
		t.Fatal(err)
	}
	t3, probs := compileSpec(spec, pos)
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	t3.File = "elsewhere/versions_test.yaml"
	if err := recordVersion(ctx, st, t3); err != nil {
		t.Fatal(err)
	}
	if r, err := run(c2, 3); err != nil || !strings.Contains(r.SQL, "ORDER BY lines DESC") {
		t.Fatalf("v3 recorded elsewhere: %v %v", r, err)
	}

	// The file goes; every version still runs by number.
	os.Remove(filepath.Join(dir, "versions_test.yaml"))
	if err := c2.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if r, err := run(c2, 2); err != nil || r.SQL != v2.SQL {
		t.Fatalf("v2 after the file is gone: %v %v", r, err)
	}
	_, err = run(c2, 0)
	if fault.KindOf(err) != fault.NotFound || !strings.Contains(err.Error(), `template "versions_test" is no longer in the catalog; its versions [1 2 3] can still run: pass version`) {
		t.Fatalf("latest after the file is gone: %v", err)
	}
	if _, err := run(c2, 9); fault.KindOf(err) != fault.NotFound || err.Error() != `template "versions_test" has no version 9 (versions: [1 2 3])` {
		t.Fatalf("unknown version: %v", err)
	}
}
