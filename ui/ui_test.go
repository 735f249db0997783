package ui

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func get(t *testing.T, h http.Handler, method, target string, hdr map[string]string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("cannot read body: %v", err)
	}
	return string(b)
}

func TestHandlerEmbedded(t *testing.T) {
	h := Handler()
	index := body(t, get(t, h, http.MethodGet, "/index.html", nil))
	if !strings.Contains(index, `<script type="module" src="/app.js">`) {
		t.Fatalf("embedded index.html does not load /app.js:\n%s", index)
	}

	f := func(target string, wantStatus int, wantType, wantBody string) {
		t.Helper()
		res := get(t, h, http.MethodGet, target, nil)
		b := body(t, res)
		if res.StatusCode != wantStatus {
			t.Fatalf("GET %s: status %d, want %d; body %q", target, res.StatusCode, wantStatus, b)
		}
		if wantType != "" && res.Header.Get("Content-Type") != wantType {
			t.Fatalf("GET %s: Content-Type %q, want %q", target, res.Header.Get("Content-Type"), wantType)
		}
		if wantBody != "" && b != wantBody && !strings.Contains(b, wantBody) {
			t.Fatalf("GET %s: body does not contain %q:\n%.300s", target, wantBody, b)
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" && res.StatusCode == http.StatusOK {
			t.Fatalf("GET %s: missing X-Content-Type-Options: nosniff", target)
		}
	}
	const html = "text/html; charset=utf-8"
	const js = "text/javascript; charset=utf-8"

	// The root and client-side routes get index.html (SPA fallback).
	f("/", 200, html, index)
	f("/logs", 200, html, index)
	f("/sql?sql=SELECT+1", 200, html, index)
	f("/explore", 200, html, index)
	f("/s/abc123", 200, html, index)
	f("/dashboards/team/checkout/", 200, html, index)

	// Static files with their content types.
	f("/app.js", 200, js, "import")
	f("/pages/overview.js", 200, js, "export function mount")
	f("/pages/logs.js", 200, js, "export function mount")
	f("/pages/explore.js", 200, js, "export function mount")
	f("/style.css", 200, "text/css; charset=utf-8", "")
	f("/favicon.svg", 200, "image/svg+xml", "<svg")

	// Directories are never listed; they are app routes.
	f("/pages", 200, html, index)
	f("/pages/", 200, html, index)

	// Missing assets and API paths are 404s, never index.html.
	f("/pages/nope.js", 404, "", "not found")
	f("/missing.css", 404, "", "not found")
	f("/api/v1/nope", 404, "", "not found")
	f("/api", 404, "", "not found")

	// Paths cannot escape the embedded folder.
	f("/../ui.go", 404, "", "")
	f("/..%2fui.go", 404, "", "")
}

func TestHandlerNoDirectoryListing(t *testing.T) {
	h := Handler()
	for _, p := range []string{"/pages/", "/vendor/", "/pages"} {
		b := body(t, get(t, h, http.MethodGet, p, nil))
		if strings.Contains(b, `<a href="overview.js">`) || strings.Contains(b, "<pre>") {
			t.Fatalf("GET %s lists a directory:\n%s", p, b)
		}
	}
}

func TestHandlerSecurityHeadersAndCaching(t *testing.T) {
	h := Handler()
	res := get(t, h, http.MethodGet, "/", nil)
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") {
		t.Fatalf("index.html CSP %q does not restrict scripts to self", csp)
	}
	etag := res.Header.Get("ETag")
	if etag == "" {
		t.Fatal("index.html has no ETag")
	}
	res = get(t, h, http.MethodGet, "/logs", map[string]string{"If-None-Match": etag})
	if res.StatusCode != http.StatusNotModified {
		t.Fatalf("GET /logs with matching ETag: status %d, want 304", res.StatusCode)
	}
	res = get(t, h, http.MethodHead, "/app.js", nil)
	if res.StatusCode != http.StatusOK || body(t, res) != "" {
		t.Fatalf("HEAD /app.js: status %d, want 200 with no body", res.StatusCode)
	}
	res = get(t, h, http.MethodPost, "/logs", nil)
	if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" {
		t.Fatalf("POST /logs: status %d Allow %q, want 405 with Allow: GET, HEAD", res.StatusCode, res.Header.Get("Allow"))
	}
}

// TestHandlerWithoutVendor pins the build without `make ui`: uPlot is absent,
// its path is a 404 (the app shows "charts unavailable: run make ui"), and
// everything else is served.
func TestHandlerWithoutVendor(t *testing.T) {
	fsys := fstest.MapFS{
		"index.html":        {Data: []byte("<!doctype html><title>t</title>")},
		"app.js":            {Data: []byte("export {}")},
		"pages/overview.js": {Data: []byte("export function mount() {}")},
	}
	h := newHandler(fsys)
	if res := get(t, h, http.MethodGet, "/vendor/uPlot.iife.min.js", nil); res.StatusCode != http.StatusNotFound {
		t.Fatalf("GET /vendor/uPlot.iife.min.js without vendor: status %d, want 404", res.StatusCode)
	}
	if res := get(t, h, http.MethodGet, "/", nil); res.StatusCode != http.StatusOK {
		t.Fatalf("GET / without vendor: status %d, want 200", res.StatusCode)
	}
	if res := get(t, h, http.MethodGet, "/vendor/", nil); res.StatusCode != http.StatusOK || !strings.Contains(body(t, res), "<title>t</title>") {
		t.Fatalf("GET /vendor/ without vendor: want index.html")
	}
}

// TestChartsNoticeText keeps the notice in chart.js in step with the make
// target it names.
func TestChartsNoticeText(t *testing.T) {
	b, err := embedded.ReadFile("web/chart.js")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "charts unavailable: run make ui") {
		t.Fatal(`chart.js no longer shows "charts unavailable: run make ui"`)
	}
}
