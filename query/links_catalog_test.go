package query

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/logmart/logmart/store"
)

const pinnedV1 = `id: links-pinned
version: 1
title: Errors of a service
params:
  - name: service
    type: string
    required: true
sql: |
  SELECT service, count() AS errors
  FROM logs
  WHERE service = {service:String} AND level = 'error'
    AND timestamp >= {from:DateTime64(3)} AND timestamp < {to:DateTime64(3)}
  GROUP BY service
`

// pinnedV2 is the same file after an edit: new SQL, a new parameter, the
// version bumped, version 1 gone from the files.
const pinnedV2 = `id: links-pinned
version: 2
title: Rows of a service by level
params:
  - name: service
    type: string
    required: true
  - name: level
    type: string
    required: true
sql: |
  SELECT service, level, count() AS n
  FROM logs
  WHERE service = {service:String} AND level = {level:String}
    AND timestamp >= {from:DateTime64(3)} AND timestamp < {to:DateTime64(3)}
  GROUP BY service, level
`

// A link created today still returns the same pinned request after the
// template file is edited and reloaded, and still reruns the version it
// pinned (kept in query_templates once its file has moved on).
func TestLinkSurvivesTemplateFileEditAndReload(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	file := filepath.Join(dir, "links-pinned.yaml")
	if err := os.WriteFile(file, []byte(pinnedV1), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Dir, cfg.CacheTTL = dir, 0
	audit := NewAudit(testStore, nil)
	defer audit.Close()
	cat := NewCatalog(cfg, NewRunner(testStore, audit), nil)
	if err := cat.Load(ctx); err != nil {
		t.Fatal(err)
	}
	links := NewLinks(testStore, cat, LinkOptions{})
	insertLogs(t, "links-pinned-svc", "error", time.Now().Add(-20*time.Minute), 3)

	link, err := links.Create(ctx, alice, LinkRequest{Template: "links-pinned", Params: map[string]any{"service": "links-pinned-svc"},
		From: "last 1h", Title: "before the edit", Snapshot: true}, store.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if link.Version != 1 {
		t.Fatalf("pinned version %d, want 1 (the latest)", link.Version)
	}
	before, err := links.Get(ctx, link.ID, store.Settings{})
	if err != nil {
		t.Fatal(err)
	}

	if err := os.WriteFile(file, []byte(pinnedV2), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := cat.Load(ctx); err != nil {
		t.Fatal(err)
	}
	// A fresh catalog (another instance, or a restart) knows v1 only from
	// query_templates.
	fresh := NewCatalog(cfg, NewRunner(testStore, nil), nil)
	if err := fresh.Load(ctx); err != nil {
		t.Fatal(err)
	}
	for name, tmpl := range map[string]Templates{"reloaded": cat, "restarted": fresh} {
		links := NewLinks(testStore, tmpl, LinkOptions{})
		after, err := links.Get(ctx, link.ID, store.Settings{})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(before, after) {
			t.Fatalf("%s: after the edit the link reads\n%+v\nwas\n%+v", name, after, before)
		}
		_, res, err := links.Run(ctx, alice, link.ID, store.Settings{})
		if err != nil {
			t.Fatalf("%s: rerun of the pinned v1: %v", name, err)
		}
		if res.Version != 1 || strings.Contains(res.SQL, "{level:String}") {
			t.Fatalf("%s: rerun ran v%d:\n%s", name, res.Version, res.SQL)
		}
		if got := fmt.Sprint(res.Result.Rows); got != "[[links-pinned-svc 3]]" {
			t.Fatalf("%s: rerun rows = %s", name, got)
		}
	}

	// New links pin the new version, and its parameters are checked.
	_, err = links.Create(ctx, alice, LinkRequest{Template: "links-pinned", Params: map[string]any{"service": "x"}, From: "last 1h"}, store.Settings{})
	if err == nil || !strings.Contains(err.Error(), `"level"`) {
		t.Fatalf("a v2 link without level: %v", err)
	}
	l2, err := links.Create(ctx, alice, LinkRequest{Template: "links-pinned", Params: map[string]any{"service": "x", "level": "warn"}, From: "last 1h"}, store.Settings{})
	if err != nil || l2.Version != 2 {
		t.Fatalf("a v2 link: %+v, %v", l2, err)
	}
}
