// Package ui holds the logmart web UI: plain HTML, CSS and ES modules under
// web/, embedded into the binary and served by Handler as a single-page app.
//
// There is no bundler. The only build step is `make ui`, which runs `npm ci`
// and `node ui/vendor.mjs` to copy uPlot into web/vendor/ (gitignored). A
// binary built without it still serves every page; charts then show
// "charts unavailable: run make ui".
package ui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed web
var embedded embed.FS

// Handler serves the embedded web UI.
//
// A path naming an embedded file is served with its content type. Any other
// path without a file extension (a client-side route such as /logs or /s/abc,
// or a directory) gets index.html, so deep links and reloads work. A missing
// path with an extension (a missing asset) and anything under /api/ is a 404,
// so a stale script never receives HTML. Directories are never listed.
//
// The server mounts Handler after its own routes (/api/v1, /healthz, /readyz,
// /metrics); only GET and HEAD are answered.
func Handler() http.Handler {
	sub, err := fs.Sub(embedded, "web")
	if err != nil {
		panic("ui: embedded web folder is missing: " + err.Error())
	}
	return newHandler(sub)
}

// ChartsAvailable reports whether the binary embeds uPlot, which is the case
// when it was built after `make ui`.
func ChartsAvailable() bool {
	_, err := fs.Stat(embedded, "web/vendor/uPlot.iife.min.js")
	return err == nil
}

type asset struct {
	body        []byte
	contentType string
	etag        string
}

type handler struct {
	assets map[string]*asset // by clean path without the leading slash
	index  *asset
}

func newHandler(fsys fs.FS) *handler {
	h := &handler{assets: map[string]*asset{}}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		body, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		h.assets[p] = &asset{
			body:        body,
			contentType: contentType(p),
			etag:        `"` + hex.EncodeToString(sum[:12]) + `"`,
		}
		return nil
	})
	if err != nil {
		panic("ui: cannot read embedded web files: " + err.Error())
	}
	h.index = h.assets["index.html"]
	if h.index == nil {
		panic("ui: embedded web folder has no index.html")
	}
	return h
}

// contentTypes is fixed here rather than taken from the mime package, whose
// table the host's /etc/mime.types can change (.js as application/x-javascript
// on some distributions breaks module scripts under nosniff).
var contentTypes = map[string]string{
	".html":  "text/html; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".mjs":   "text/javascript; charset=utf-8",
	".css":   "text/css; charset=utf-8",
	".json":  "application/json",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".ico":   "image/x-icon",
	".txt":   "text/plain; charset=utf-8",
	".map":   "application/json",
	".woff2": "font/woff2",
}

func contentType(p string) string {
	if ct, ok := contentTypes[path.Ext(p)]; ok {
		return ct
	}
	return "application/octet-stream"
}

// csp allows only same-origin scripts, styles and requests; data the UI shows
// is inserted as text, and this is the second line of defence.
const csp = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; " +
	"frame-ancestors 'none'; form-action 'self'"

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed: the UI answers GET and HEAD only", http.StatusMethodNotAllowed)
		return
	}
	urlPath := r.URL.Path
	if urlPath == "/api" || strings.HasPrefix(urlPath, "/api/") {
		http.Error(w, "not found: no API route "+urlPath, http.StatusNotFound)
		return
	}
	name := strings.TrimPrefix(path.Clean("/"+urlPath), "/")

	a, ok := h.assets[name]
	switch {
	case ok:
	case path.Ext(name) != "":
		http.Error(w, "not found: "+urlPath, http.StatusNotFound)
		return
	default:
		// Client-side route, the root, or a directory: the app decides.
		a = h.index
	}

	hdr := w.Header()
	hdr.Set("Content-Type", a.contentType)
	hdr.Set("ETag", a.etag)
	// Assets have no content hash in their names, so browsers revalidate each
	// time; the ETag makes that a 304.
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "same-origin")
	if a == h.index {
		hdr.Set("Content-Security-Policy", csp)
		hdr.Set("X-Frame-Options", "DENY")
	}
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(a.body))
}
