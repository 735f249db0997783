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
	svc := dashboards.New(dashboards.Config{Dir: dir}, storetest.Database(t), nil, nil)
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
	ts := httptest.NewServer(New(cfg, Deps{Dashboards: svc, Reload: reloads{{"dashboards", svc.Load}}}, nil).Handler())
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
