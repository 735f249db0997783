package server

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// Reloaders reread configuration from disk while the server runs: the one
// list of reloaders (stream rules, templates, and each capability that
// reads files), which SIGHUP runs as well. cmd wires the list.
//
// Reload runs the reloaders named, every one when names is empty, in the
// list's order, each whether or not an earlier one failed; it returns one
// result per reloader run, and a NotFound result for a name not in the
// list. A reloader that fails keeps what it had loaded in force. Reload is
// safe for concurrent use.
type Reloaders interface {
	Reload(ctx context.Context, names ...string) []ReloadResult
}

// ReloadResult is one reloader's outcome.
type ReloadResult struct {
	Name string
	// Err is nil when the reloader succeeded. Its kind decides the answer's
	// status: BadInput for a file a user must fix.
	Err      error
	Duration time.Duration
}

// reloadJSON is POST /api/v1/reload's answer.
type reloadJSON struct {
	OK bool `json:"ok"`
	// Error sums up the failures, one "name: error" each, for clients that
	// read only the error line.
	Error     string         `json:"error,omitempty"`
	Reloaders []reloaderJSON `json:"reloaders"`
}

type reloaderJSON struct {
	Name       string  `json:"name"`
	OK         bool    `json:"ok"`
	Error      string  `json:"error,omitempty"`
	DurationMs float64 `json:"duration_ms"`
}

func (s *Server) reloadRoutes(api *echo.Group) {
	if s.deps.Reload == nil {
		return
	}
	api.POST("/reload", s.reload, requireRole(RoleAdmin))
	// The routes each capability had before the list, kept as aliases that
	// run its reloader alone and answer as they did.
	if s.deps.Streams != nil {
		api.POST("/streams/reload", s.reloadStreams, requireRole(RoleAdmin))
	}
	if s.deps.Templates != nil {
		api.POST("/templates/reload", s.reloadTemplates, requireRole(RoleAdmin))
	}
}

// reload runs every reloader and answers each one's outcome and time:
// 200 when all succeeded, else the status of the first failure's kind.
func (s *Server) reload(c echo.Context) error {
	out := reloadJSON{OK: true, Reloaders: []reloaderJSON{}}
	status := http.StatusOK
	var failed []string
	for _, r := range s.deps.Reload.Reload(c.Request().Context()) {
		rj := reloaderJSON{Name: r.Name, OK: r.Err == nil, DurationMs: float64(r.Duration.Microseconds()) / 1000}
		if r.Err != nil {
			code, msg := s.statusOf(c, r.Err)
			if out.OK {
				status = code
			}
			out.OK, rj.Error = false, msg
			failed = append(failed, r.Name+": "+msg)
		}
		out.Reloaders = append(out.Reloaders, rj)
	}
	out.Error = strings.Join(failed, "; ")
	return c.JSON(status, out)
}

// reloadOne runs the reloader name alone, for the per-capability aliases.
func (s *Server) reloadOne(c echo.Context, name string) error {
	for _, r := range s.deps.Reload.Reload(c.Request().Context(), name) {
		if r.Err != nil {
			return r.Err
		}
	}
	return nil
}

// reloadStreams is POST /api/v1/streams/reload: the streams reloader, then
// the rules in force.
func (s *Server) reloadStreams(c echo.Context) error {
	if err := s.reloadOne(c, "streams"); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"streams": s.deps.Streams.Current().Streams()})
}

// reloadTemplates is POST /api/v1/templates/reload: the templates
// reloader, then the templates loaded.
func (s *Server) reloadTemplates(c echo.Context) error {
	if err := s.reloadOne(c, "templates"); err != nil {
		return err
	}
	p, lim := s.settings(c)
	return c.JSON(http.StatusOK, map[string]any{"templates": s.deps.Templates.List(c.Request().Context(), p.Settings(lim))})
}
