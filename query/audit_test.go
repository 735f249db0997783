package query

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/store"
)

// auditRows reads user's query_log rows: sql, params, error, status.
func auditRows(t *testing.T, user string) [][]any {
	t.Helper()
	res, err := testStore.Query(context.Background(), store.Query{SQL: "SELECT sql, params, error, status, template FROM query_log WHERE user = {u:String} ORDER BY time",
		Params: map[string]string{"u": user}})
	if err != nil {
		t.Fatal(err)
	}
	return res.Rows
}

// Issue 10, item 8: a refused request was audited with every parameter
// and its whole SQL, so refused requests wrote 19 MB of query_log in
// 0.42 s. A refused or failed request now writes at most 4 KiB of SQL,
// 4 KiB of error, and 64 parameters of 256 bytes, each cut marked.
func TestAuditCapsRefusedRequests(t *testing.T) {
	ctx := context.Background()
	audit := NewAudit(testStore, nil)
	runner := NewRunner(testStore, audit)
	who := Caller{User: "audit-cap", Role: "editor", Source: "api"}

	// Ad-hoc SQL the parser refuses: 200 KiB of it, with multi-byte
	// characters where the cut falls.
	long := "SELECT 'ü" + strings.Repeat("é", 100<<10) + " FROM"
	if _, err := runner.SQL(ctx, who, long, store.Settings{}); fault.KindOf(err) != fault.BadInput {
		t.Fatalf("broken SQL: %v", err)
	}

	// A template request refused before it runs, with 1000 parameters of
	// 1000 bytes each.
	cfg := DefaultConfig()
	cfg.Dir = t.TempDir()
	cat := NewCatalog(cfg, runner, nil)
	if err := cat.Load(ctx); err != nil {
		t.Fatal(err)
	}
	params := map[string]any{}
	for i := range 1000 {
		params[fmt.Sprintf("p%04d", i)] = strings.Repeat("v", 1000)
	}
	params[strings.Repeat("n", 5000)] = "long name"
	if _, err := cat.Run(ctx, who, TemplateRequest{Template: strings.Repeat("t", 10000), Params: params, From: linkNow.Add(-time.Hour), To: linkNow}, store.Settings{}); err == nil {
		t.Fatal("an unknown template ran")
	}

	// A request that failed with a long error.
	audit.Record(Entry{Time: time.Now(), Caller: who, SQL: "SELECT 1", Err: fault.New(fault.BadInput, "%s", strings.Repeat("e", 50000))})
	// A request that ran is recorded whole.
	ok := "SELECT 1 -- " + strings.Repeat("c", 10000)
	if _, err := runner.SQL(ctx, who, ok, store.Settings{}); err != nil {
		t.Fatal(err)
	}
	audit.Close()

	rows := auditRows(t, who.User)
	if len(rows) != 4 {
		t.Fatalf("%d audit rows, want 4", len(rows))
	}
	total := 0
	for i, r := range rows[:3] {
		sql, params, errText, tmpl := store.CellString(r[0]), store.CellString(r[1]), store.CellString(r[2]), store.CellString(r[4])
		total += len(sql) + len(params) + len(errText) + len(tmpl)
		if len(sql) > 4096 || len(errText) > 4096 || len(tmpl) > 128 {
			t.Fatalf("row %d: sql %d, error %d, template %d bytes", i, len(sql), len(errText), len(tmpl))
		}
		for _, s := range []string{sql, params, errText, tmpl} {
			if !utf8.ValidString(s) {
				t.Fatalf("row %d: a cut left invalid UTF-8: %q", i, s)
			}
		}
		if store.CellString(r[3]) != "error" {
			t.Fatalf("row %d: status %v", i, r[3])
		}
	}
	if sql := store.CellString(rows[0][0]); !strings.HasPrefix(sql, "SELECT 'üéé") || !strings.HasSuffix(sql, fmt.Sprintf("… [cut, %d bytes]", len(long))) {
		t.Fatalf("cut SQL does not keep its start or say its size: …%s", sql[max(0, len(sql)-60):])
	}

	var p map[string]string
	if err := json.Unmarshal([]byte(store.CellString(rows[1][1])), &p); err != nil {
		t.Fatal(err)
	}
	if len(p) != 65 || p["…"] != "939 more parameters not recorded" {
		t.Fatalf("%d parameters recorded, and %q; want 64 and the count of the rest", len(p), p["…"])
	}
	for name, v := range p {
		if len(name) > 128 || len(v) > 256 {
			t.Fatalf("parameter %.40q… is %d bytes, its value %d", name, len(name), len(v))
		}
	}
	if v := p["from"]; v != fmtTime(linkNow.Add(-time.Hour)) {
		t.Fatalf("from = %q; a short value is kept whole", v)
	}
	if v := p["p0000"]; !strings.HasPrefix(v, `"vvv`) || !strings.HasSuffix(v, "… [cut, 1002 bytes]") {
		t.Fatalf("cut value %q", v)
	}
	if tmpl := store.CellString(rows[1][4]); !strings.HasPrefix(tmpl, "ttt") || !strings.Contains(tmpl, "… [cut, ") {
		t.Fatalf("template name %q is not marked as cut", tmpl)
	}
	if e := store.CellString(rows[2][2]); !strings.HasPrefix(e, "eee") || !strings.HasSuffix(e, "… [cut, 50000 bytes]") {
		t.Fatalf("cut error …%s", e[max(0, len(e)-40):])
	}
	if total > 3*24<<10 {
		t.Fatalf("three refused requests wrote %d bytes", total)
	}
	if sql := store.CellString(rows[3][0]); sql != ok {
		t.Fatalf("a request that ran is recorded with %d bytes of SQL, want all %d", len(sql), len(ok))
	}
}

func TestAuditClip(t *testing.T) {
	f := func(in string, limit int, want string) {
		t.Helper()
		got, cut := clip(in, limit)
		if got != want || cut != (in != want) {
			t.Fatalf("clip(%q, %d) = %q, %v; want %q", in, limit, got, cut, want)
		}
	}
	f("short", 10, "short")
	f(strings.Repeat("a", 30), 30, strings.Repeat("a", 30))
	f(strings.Repeat("a", 40), 30, "aaaaaaaaaaa… [cut, 40 bytes]")
	f(strings.Repeat("é", 20), 30, "ééééé… [cut, 40 bytes]")
	f(strings.Repeat("a", 40), 5, "… [cut, 40 bytes]")
}

// The kind of a failed request's error survives the cut.
func TestAuditCutKeepsTheKind(t *testing.T) {
	e := capped(Entry{Err: fault.New(fault.Forbidden, "%s", strings.Repeat("x", 10000))})
	if fault.KindOf(e.Err) != fault.Forbidden || len(e.Err.Error()) > 4096 {
		t.Fatalf("%v, %d bytes", fault.KindOf(e.Err), len(e.Err.Error()))
	}
	e = capped(Entry{Err: errors.New("short"), SQL: "SELECT 1", Params: map[string]string{"a": "b"}})
	if e.Err.Error() != "short" || e.SQL != "SELECT 1" || fmt.Sprint(e.Params) != "map[a:b]" {
		t.Fatalf("a small entry changed: %+v", e)
	}
}

// Issue 13: the values_query of an enum parameter, which the server runs
// itself to check a value, went to query_log as a run of the template (user
// "logmart", source template-values), so "Most used templates" counted two
// runs for each one a user made. Only the user's run is recorded now.
func TestAuditLeavesOutEnumLookups(t *testing.T) {
	ctx := context.Background()
	audit := NewAudit(testStore, nil)
	runner := NewRunner(testStore, audit)
	cfg := DefaultConfig()
	cfg.Dir = t.TempDir()
	spec := `id: audit_enum_probe
version: 1
title: Enum probe
visualization: table
params:
  - name: pick
    type: enum
    required: true
    values_query: SELECT arrayJoin(['a', 'b']) AS v
sql: SELECT {pick:String} AS picked, {from:DateTime64(3)} AS f, {to:DateTime64(3)} AS t
`
	if err := os.WriteFile(filepath.Join(cfg.Dir, "audit_enum_probe.yaml"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	cat := NewCatalog(cfg, runner, nil)
	if err := cat.Load(ctx); err != nil {
		t.Fatal(err)
	}
	who := Caller{User: "enum-audit", Role: "viewer", Source: "api"}
	if _, err := cat.Run(ctx, who, TemplateRequest{Template: "audit_enum_probe", Params: map[string]any{"pick": "b"}, From: linkNow.Add(-time.Hour), To: linkNow}, store.Settings{}); err != nil {
		t.Fatal(err)
	}
	audit.Close()
	res, err := testStore.Query(ctx, store.Query{SQL: "SELECT user, source FROM query_log WHERE template = 'audit_enum_probe' ORDER BY time"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 1 || store.CellString(res.Rows[0][0]) != who.User {
		t.Fatalf("query_log rows for the template: %v, want the user's run alone", res.Rows)
	}
}
