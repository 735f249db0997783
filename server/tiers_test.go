package server

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/logmart/logmart/query"
	"github.com/logmart/logmart/store"
	"github.com/logmart/logmart/store/storetest"
)

// coldRows stores three rows of a stream hot for a day and cold at 7 days,
// aged 2 hours, 3 days and 10 days, and forces the TTL merge until
// system.parts shows each on its tier's disk.
func coldRows(t *testing.T, st store.Store) {
	t.Helper()
	ctx := context.Background()
	for body, age := range map[string]string{"hot": "2 HOUR", "warm": "3 DAY", "cold": "10 DAY"} {
		if err := st.Exec(ctx, store.Query{SQL: fmt.Sprintf(`INSERT INTO logs (timestamp, stream, service, body, retention_days, warm_after_days, cold_after_days)
			VALUES (now64(3) - INTERVAL %s, 'edge', 'edge', '%s', 30, 1, 7)`, age, body)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, sql := range []string{"ALTER TABLE logs MATERIALIZE TTL SETTINGS mutations_sync = 2", "OPTIMIZE TABLE logs FINAL"} {
		if err := st.Exec(ctx, store.Query{SQL: sql}); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := st.Query(ctx, store.Query{SQL: "SELECT groupArray(body || '@' || _disk_name) FROM (SELECT body, _disk_name FROM logs ORDER BY body)"})
		if err != nil {
			t.Fatal(err)
		}
		got := fmt.Sprint(res.Rows[0][0])
		if got == "[cold@cold hot@default warm@warm]" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("rows by disk after the TTL merge: %s", got)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestTiersLimitWhatARoleReads: editors are limited to hot and warm data,
// one editor token is allowed cold too. After a forced TTL move the
// limited token reads the hot and warm rows only, whether it asks
// directly, names the disk, or tries to lift the engine's filter; the
// other token and the admin read all three.
func TestTiersLimitWhatARoleReads(t *testing.T) {
	st := storetest.Database(t)
	coldRows(t, st)
	disks, err := store.TierDisks(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(disks) != "map[cold:[cold] hot:[default] warm:[warm]]" {
		t.Fatalf("the engine's tier disks are %v", disks)
	}
	cfg := Default()
	ed := cfg.Limits[RoleEditor]
	ed.Tiers = []string{"hot", "warm"}
	cfg.Limits[RoleEditor] = ed
	cfg.Tokens = []TokenConfig{
		{Name: "ada", Role: RoleAdmin, Token: adminTok},
		{Name: "eddie", Role: RoleEditor, Token: editorTok},
		{Name: "cora", Role: RoleEditor, Token: "cold-reader-token-0123", Tiers: []string{"hot", "warm", "cold"}},
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	runner := query.NewRunner(st, nil)
	ts := httptest.NewServer(New(cfg, Deps{SQL: runner, Logs: runner, TierDisks: disks}, nil).Handler())
	t.Cleanup(ts.Close)
	// The log search too.
	for token, want := range map[string]int{editorTok: 2, "cold-reader-token-0123": 3} {
		code, out := call(t, ts, "GET", "/api/v1/logs?from=now-30d&to=now&limit=10", token, "")
		if rows, _ := out["rows"].([]any); code != 200 || len(rows) != want {
			t.Errorf("log search as %s: %d, %d rows (%v); want %d", token, code, len(rows), out["error"], want)
		}
	}
	f := func(token, sql string, wantCode int, want string) {
		t.Helper()
		code, out := call(t, ts, "POST", "/api/v1/sql", token, fmt.Sprintf(`{"sql":%q}`, sql))
		got := fmt.Sprint(out["rows"])
		if code != 200 {
			got = fmt.Sprint(out["error"])
		}
		if code != wantCode || !strings.Contains(got, want) {
			t.Errorf("%s as %s: %d %s; want %d %s", sql, token, code, got, wantCode, want)
		}
	}
	f(editorTok, "SELECT body FROM logs ORDER BY body", 200, "[[hot] [warm]]")
	f(editorTok, "SELECT count() FROM logs WHERE _disk_name = 'cold'", 200, "[[0]]")
	f(editorTok, "SELECT body FROM logs ORDER BY body SETTINGS additional_table_filters = {}", 403, "readonly")
	f("cold-reader-token-0123", "SELECT body FROM logs ORDER BY body", 200, "[[cold] [hot] [warm]]")
	f(adminTok, "SELECT body FROM logs ORDER BY body", 200, "[[cold] [hot] [warm]]")

	bad := Default()
	bad.Tokens = []TokenConfig{{Name: "x", Role: RoleViewer, Token: viewerTok, Tiers: []string{"hot", "frozen"}}}
	if err := bad.Validate(); err == nil || err.Error() != `server.tokens[0].tiers[1] "frozen" is not a tier (want hot, warm, cold or archive)` {
		t.Errorf("a token with an unknown tier: %v", err)
	}
}

// TestScanBudgetStopsAToken: a token whose daily scan budget is spent is
// refused with 429 naming its budget and when it renews. Tokens without a
// budget of their own share their role's: what one reads spends it for
// the other. A token's own budget replaces its role's.
func TestScanBudgetStopsAToken(t *testing.T) {
	st := storetest.Database(t)
	coldRows(t, st)
	audit := query.NewAudit(st, nil)
	t.Cleanup(audit.Close)
	cfg := Default()
	ed := cfg.Limits[RoleEditor]
	ed.ScanBytesPerDay = 16
	cfg.Limits[RoleEditor] = ed
	cfg.Tokens = []TokenConfig{
		{Name: "eddie", Role: RoleEditor, Token: editorTok},
		{Name: "erin", Role: RoleEditor, Token: "erin-token-0123456789"},
		{Name: "skimpy", Role: RoleEditor, Token: "skimpy-token-0123456789", ScanBytesPerDay: 16},
		{Name: "big", Role: RoleEditor, Token: "big-token-0123456789", ScanBytesPerDay: 10 << 30},
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(New(cfg, Deps{SQL: query.NewRunner(st, audit), ScanBudgets: query.NewScanLedger(st)}, nil).Handler())
	t.Cleanup(ts.Close)
	sql := `{"sql":"SELECT body, service, stream FROM logs"}`
	runs := func(token string) {
		t.Helper()
		if code, out := call(t, ts, "POST", "/api/v1/sql", token, sql); code != 200 {
			t.Fatalf("%s within its budget: %d %v", token, code, out)
		}
	}
	refused := func(token, budget string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			code, out := call(t, ts, "POST", "/api/v1/sql", token, sql)
			if code == 429 {
				msg := fmt.Sprint(out["error"])
				if !strings.HasPrefix(msg, "scan budget of "+budget+" is spent: ") || !strings.Contains(msg, " read today of 16 B a day (UTC day); it renews at ") {
					t.Fatalf("%s's refusal says %q", token, msg)
				}
				return
			}
			// Entries reach the audit about a second after their run.
			if code != 200 || time.Now().After(deadline) {
				t.Fatalf("%s over the budget of %s: %d %v", token, budget, code, out)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	runs(editorTok)
	refused("erin-token-0123456789", "role editor")
	runs("skimpy-token-0123456789")
	refused("skimpy-token-0123456789", "token skimpy")
	runs("big-token-0123456789")
	for token, want := range map[string]string{editorTok: "role editor", "big-token-0123456789": "token big"} {
		code, out := call(t, ts, "GET", "/api/v1/me", token, "")
		if b, _ := out["scan_budget"].(map[string]any); code != 200 || b["name"] != want {
			t.Errorf("/me shows the budget %v (%d), want %s", out["scan_budget"], code, want)
		}
	}
}

// TestEstimateTellsTiers: an estimate names the tiers a run's parts sit
// on, with their share; for a role limited to hot and warm, cold is not
// among them. Nothing runs, so the scan budget stays whole.
func TestEstimateTellsTiers(t *testing.T) {
	st := storetest.Database(t)
	coldRows(t, st)
	disks, err := store.TierDisks(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFile(t, dir+"/edge_rows.yaml", `id: edge_rows
version: 1
title: Edge rows
params:
  - name: body
    type: string
sql: |
  SELECT body FROM logs
  WHERE timestamp >= {from:DateTime64(3)} AND timestamp < {to:DateTime64(3)}
    {{if .body}} AND body = {body:String} {{end}}
`)
	qcfg := query.DefaultConfig()
	qcfg.Dir, qcfg.CacheTTL = dir, 0
	cat := query.NewCatalog(qcfg, query.NewRunner(st, nil), nil)
	if err := cat.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	cfg := Default()
	cfg.Tokens = []TokenConfig{
		{Name: "ada", Role: RoleAdmin, Token: adminTok},
		{Name: "vic", Role: RoleViewer, Token: viewerTok, Tiers: []string{"hot", "warm"}},
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(New(cfg, Deps{Templates: cat, TierDisks: disks}, nil).Handler())
	t.Cleanup(ts.Close)
	f := func(token, body string, wantCode int, want string) {
		t.Helper()
		code, out := call(t, ts, "POST", "/api/v1/templates/edge_rows/estimate", token, body)
		got := fmt.Sprint(out["error"])
		if code == 200 {
			got = fmt.Sprintf("rows %v parts %v tiers %v", out["rows"], out["parts"], out["tiers"])
		}
		if code != wantCode || !strings.Contains(got, want) {
			t.Errorf("estimate %s as %s: %d %s; want %d %s", body, token, code, got, wantCode, want)
		}
	}
	all := `{"from":"now-30d","to":"now"}`
	f(adminTok, all, 200, "rows 3 parts 3 tiers [map[bytes:")
	f(adminTok, all, 200, "tier:cold]")
	f(viewerTok, all, 200, "rows 2 parts 2 tiers")
	f(viewerTok, `{"from":"now-2d","to":"now"}`, 200, "rows 1 parts 1 tiers [map[bytes:")
	f(viewerTok, all, 200, "tier:warm]]")
	f(viewerTok, `{"from":"now-30d","to":"now","params":{"nope":1}}`, 400, `param "nope": unknown`)
	f(viewerTok, `{"template":"other","from":"now-30d"}`, 400, `template "other" in the body is not "edge_rows" of the path; leave it out`)
	code, _ := call(t, ts, "POST", "/api/v1/templates/nosuch/estimate", viewerTok, all)
	if code != 404 {
		t.Errorf("estimate of an unknown template: %d", code)
	}
}

func writeFile(t *testing.T, name, text string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
