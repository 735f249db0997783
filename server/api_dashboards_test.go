package server

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logmart/logmart/dashboards"
	"github.com/logmart/logmart/store/storetest"
)

// dashboardServer serves a dashboards.Service over a database of its own,
// with one file-provisioned dashboard (uid prov).
func dashboardServer(t *testing.T) *httptest.Server {
	t.Helper()
	dir := t.TempDir()
	prov := "# provisioned\nuid: prov\ntitle: Provisioned\nfolder: Ops\ntags: [x]\npanels:\n  - title: E\n    template: {id: errors_by_service, version: 1}\n    grid: {x: 0, y: 0, w: 12, h: 8}\n"
	if err := os.WriteFile(filepath.Join(dir, "prov.yaml"), []byte(prov), 0o644); err != nil {
		t.Fatal(err)
	}
	db := storetest.Database(t)
	svc := dashboards.New(dashboards.Config{Dir: dir}, db, nil, nil)
	if err := svc.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	cfg := Default()
	cfg.Tokens = []TokenConfig{
		{Name: "vic", Role: RoleViewer, Token: viewerTok},
		{Name: "eddie", Role: RoleEditor, Token: editorTok},
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	promotions := dashboards.NewPromotionLog(db, map[string]dashboards.CurrentHash{dashboards.KindDashboard: svc.CurrentHash})
	ts := httptest.NewServer(New(cfg, Deps{Dashboards: svc, Promotions: promotions, Reload: reloads{{"dashboards", svc.Load}}}, nil).Handler())
	t.Cleanup(ts.Close)
	return ts
}

// dashCall sends one request with headers and returns status, headers and
// body.
func dashCall(t *testing.T, ts *httptest.Server, method, path, token, body string, hdr ...string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

const teamDashboard = `{"uid": "team-a", "title": "Team A", "folder": "Teams",
 "panels": [{"title": "Errors", "template": {"id": "errors_by_service", "version": 1},
   "grid": {"x": 0, "y": 0, "w": 24, "h": 8}}]}`

func TestDashboardsAPI(t *testing.T) {
	ts := dashboardServer(t)
	f := func(method, path, token, body string, want int, wantBody string, hdr ...string) (http.Header, string) {
		t.Helper()
		code, h, got := dashCall(t, ts, method, path, token, body, hdr...)
		if code != want || !strings.Contains(got, wantBody) {
			t.Fatalf("%s %s: %d %s\nwant %d and a body with %s", method, path, code, got, want, wantBody)
		}
		return h, got
	}
	f("GET", "/api/v1/dashboards", viewerTok, "", 200, `{"uid":"prov","title":"Provisioned","folder":"Ops","tags":["x"],"hash":"`)
	h, _ := f("GET", "/api/v1/dashboards/prov", viewerTok, "", 200, `"source":"file"`)
	if !strings.HasPrefix(h.Get("ETag"), `"`) {
		t.Fatalf("no ETag: %v", h)
	}
	_, y := f("GET", "/api/v1/dashboards/prov", viewerTok, "", 200, "uid: prov\n", "Accept", "application/yaml")
	if strings.Contains(y, "#") || !strings.Contains(y, "visualization:\n") {
		t.Fatalf("the YAML export is not the canonical form:\n%s", y)
	}
	f("GET", "/api/v1/dashboards/nope", viewerTok, "", 404, `no dashboard \"nope\"`)

	// Writes: editors only; file-provisioned ones are read-only.
	f("PUT", "/api/v1/dashboards/team-a", viewerTok, teamDashboard, 403, "editor or above required")
	f("PUT", "/api/v1/dashboards/prov", editorTok, strings.Replace(teamDashboard, "team-a", "prov", 1), 403, "is read-only here")
	f("DELETE", "/api/v1/dashboards/prov", editorTok, "", 403, "is read-only here")

	// Bad input names the field.
	f("PUT", "/api/v1/dashboards/team-a", editorTok, `{"uid": "team-a", "title": "T", "panels": [], "colour": 1}`, 400, `line 1: unknown key \"colour\"`)
	f("PUT", "/api/v1/dashboards/team-a", editorTok, `{"uid": "team-a", "title": [`, 400, "malformed YAML")
	long := strings.Repeat("u", 41)
	f("PUT", "/api/v1/dashboards/"+long, editorTok, strings.Replace(teamDashboard, "team-a", long, 1), 400, "is 41 characters; a uid is at most 40")
	f("PUT", "/api/v1/dashboards/team-a", editorTok, strings.Replace(teamDashboard, `"w": 24`, `"w": 25`, 1), 400, `panels[0].grid.w: 25`)

	// Create, then a second create is 412; replace needs the current hash.
	h, body := f("PUT", "/api/v1/dashboards/team-a", editorTok, teamDashboard, 201, `"source":"api"`)
	etag := h.Get("ETag")
	if etag == "" || !strings.Contains(body, strings.Trim(etag, `"`)) {
		t.Fatalf("ETag %q does not carry the body's hash: %s", etag, body)
	}
	f("PUT", "/api/v1/dashboards/team-a", editorTok, teamDashboard, 412, "exists")
	v2 := strings.Replace(teamDashboard, `"Team A"`, `"Team A v2"`, 1)
	f("PUT", "/api/v1/dashboards/team-a", editorTok, v2, 412, "is stale", "If-Match", `"0000"`)
	h, _ = f("PUT", "/api/v1/dashboards/team-a", editorTok, v2, 200, `"title":"Team A v2"`, "If-Match", etag)
	etag2 := h.Get("ETag")
	if etag2 == etag {
		t.Fatal("the replace kept the old hash")
	}
	f("GET", "/api/v1/dashboards/team-a", viewerTok, "", 200, `"updated_by":"eddie"`)
	f("GET", "/api/v1/dashboards", viewerTok, "", 200, `"uid":"team-a","title":"Team A v2","folder":"Teams","tags":[]`)
	f("DELETE", "/api/v1/dashboards/team-a", viewerTok, "", 403, "editor or above required")
	f("DELETE", "/api/v1/dashboards/team-a", editorTok, "", 412, "is stale", "If-Match", etag)
	f("DELETE", "/api/v1/dashboards/team-a", editorTok, "", 204, "", "If-Match", etag2)
	f("GET", "/api/v1/dashboards/team-a", viewerTok, "", 404, "no dashboard")
	f("POST", "/api/v1/dashboards/reload", editorTok, "", 403, "admin or above required")
}

// A dashboard's canonical YAML, as GET answers it, is taken back by PUT
// unchanged (what promotion sends) and keeps its hash; a promotion is
// recorded only for the hash the instance serves, by an editor, and every
// bad field is a 400 naming it.
func TestPromotionsAPI(t *testing.T) {
	ts := dashboardServer(t)
	f := func(method, path, token, body string, want int, wantBody string, hdr ...string) (http.Header, string) {
		t.Helper()
		code, h, got := dashCall(t, ts, method, path, token, body, hdr...)
		if code != want || !strings.Contains(got, wantBody) {
			t.Fatalf("%s %s: %d %s\nwant %d and a body with %s", method, path, code, got, want, wantBody)
		}
		return h, got
	}
	_, yml := f("GET", "/api/v1/dashboards/prov", viewerTok, "", 200, "uid: prov\n", "Accept", "application/yaml")
	copyYAML := strings.Replace(yml, "uid: prov", "uid: copy", 1)
	h, _ := f("PUT", "/api/v1/dashboards/copy", editorTok, copyYAML, 201, `"source":"api"`, "Content-Type", "application/yaml")
	hash := strings.Trim(h.Get("ETag"), `"`)
	_, back := f("GET", "/api/v1/dashboards/copy", viewerTok, "", 200, "uid: copy\n", "Accept", "application/yaml")
	if back != copyYAML || dashboards.HashOf([]byte(back)) != hash {
		t.Fatalf("the YAML sent came back as\n%s\nwith hash %s, not %s", back, hash, dashboards.HashOf([]byte(back)))
	}

	rec := func(kind, uid, newHash string) string {
		return `{"kind": "` + kind + `", "uid": "` + uid + `", "from": "dev", "to": "prod", "old_hash": "", "new_hash": "` + newHash + `", "forced": false}`
	}
	other := strings.Repeat("ab", 32)
	f("POST", "/api/v1/promotions", viewerTok, rec("dashboard", "copy", hash), 403, "editor or above required")
	f("POST", "/api/v1/promotions", editorTok, rec("monitor", "copy", hash), 400, `kind: \"monitor\" is not a content kind (want dashboard)`)
	f("POST", "/api/v1/promotions", editorTok, rec("dashboard", "copy", "abc"), 400, `new_hash: \"abc\" is not a SHA-256 in hex`)
	f("POST", "/api/v1/promotions", editorTok, rec("dashboard", "copy", other), 400, `new_hash: dashboard \"copy\" is `+hash+" here, not "+other)
	f("POST", "/api/v1/promotions", editorTok, rec("dashboard", "gone", hash), 404, `no dashboard \"gone\"`)
	f("POST", "/api/v1/promotions", editorTok, `{"kind": "dashboard", "colour": 1}`, 400, "colour")
	f("GET", "/api/v1/promotions?limit=0", viewerTok, "", 400, "limit")
	f("GET", "/api/v1/promotions", viewerTok, "", 200, `{"promotions":[]}`)

	f("POST", "/api/v1/promotions", editorTok, rec("dashboard", "copy", hash), 201, `"by":"eddie"`)
	_, list := f("GET", "/api/v1/promotions?kind=dashboard&uid=copy", viewerTok, "", 200, `"new_hash":"`+hash+`"`)
	if strings.Count(list, `"uid":"copy"`) != 1 {
		t.Fatalf("promotions: %s", list)
	}
	f("GET", "/api/v1/promotions?uid=prov", viewerTok, "", 200, `{"promotions":[]}`)
}
