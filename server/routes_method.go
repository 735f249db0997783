package server

import (
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/logmart/logmart/fault"
)

// noRoute answers a request under /api/v1 that no route took: 405 with an
// Allow header when the path exists with other methods (POST on a GET-only
// path), else 404. Echo's catch-all route would otherwise answer both 404.
func (s *Server) noRoute(c echo.Context) error {
	req := c.Request()
	if allow := s.allowedMethods(req.URL.Path); len(allow) > 0 {
		c.Response().Header().Set("Allow", strings.Join(allow, ", "))
		return echo.NewHTTPError(http.StatusMethodNotAllowed,
			"method "+req.Method+" is not allowed on "+req.URL.Path+"; use "+strings.Join(allow, " or "))
	}
	return fault.New(fault.NotFound, "no API route %s %s", req.Method, req.URL.Path)
}

// allowedMethods lists, sorted, the methods of the routes whose pattern
// matches path, leaving out catch-all routes.
func (s *Server) allowedMethods(path string) []string {
	var out []string
	for _, r := range s.e.Routes() {
		if strings.HasSuffix(r.Path, "*") || r.Method == echo.RouteNotFound || !routeMatches(r.Path, path) {
			continue
		}
		if !slices.Contains(out, r.Method) {
			out = append(out, r.Method)
		}
	}
	slices.Sort(out)
	return out
}

// routeMatches reports whether an echo route pattern (/a/:id/b) matches
// path segment by segment.
func routeMatches(pattern, path string) bool {
	ps, xs := strings.Split(strings.Trim(pattern, "/"), "/"), strings.Split(strings.Trim(path, "/"), "/")
	if len(ps) != len(xs) {
		return false
	}
	for i, p := range ps {
		if !strings.HasPrefix(p, ":") && p != xs[i] || strings.HasPrefix(p, ":") && xs[i] == "" {
			return false
		}
	}
	return true
}
