package server

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/logmart/logmart/dashboards"
	"github.com/logmart/logmart/fault"
)

// DashboardStore lists, reads and writes the instance's dashboards
// (dashboards.Service). Safe for concurrent use. Errors are fault-kinded
// (BadInput naming the field, NotFound, Forbidden for a file-provisioned
// dashboard), or wrap dashboards.ErrPrecondition for a failed If-Match.
type DashboardStore interface {
	List(ctx context.Context) ([]*dashboards.Entry, error)
	Get(ctx context.Context, uid string) (*dashboards.Entry, error)
	// Put creates (ifMatch empty) or replaces uid from body, the model as
	// JSON; created is false for a replace or a write that changed nothing.
	Put(ctx context.Context, uid string, body []byte, ifMatch, who string) (e *dashboards.Entry, created bool, err error)
	Delete(ctx context.Context, uid, ifMatch, who string) error
	// Instance is this instance's variables, which a dashboard's ${name}s
	// take when it is shown and its panels run.
	Instance() map[string]string
}

func (s *Server) dashboardRoutes(api *echo.Group) {
	if s.deps.Dashboards == nil {
		return
	}
	api.GET("/dashboards", s.listDashboards, requireRole(RoleViewer))
	api.GET("/dashboards/:uid", s.getDashboard, requireRole(RoleViewer))
	api.PUT("/dashboards/:uid", s.putDashboard, requireRole(RoleEditor))
	api.DELETE("/dashboards/:uid", s.deleteDashboard, requireRole(RoleEditor))
	if s.deps.Reload != nil {
		api.POST("/dashboards/reload", s.reloadDashboards, requireRole(RoleAdmin))
	}
	s.promotionRoutes(api)
}

// dashboardSummaryJSON is one dashboard in GET /api/v1/dashboards.
type dashboardSummaryJSON struct {
	UID     string    `json:"uid"`
	Title   string    `json:"title"`
	Folder  string    `json:"folder"`
	Tags    []string  `json:"tags"`
	Hash    string    `json:"hash"`
	Source  string    `json:"source"`
	Updated time.Time `json:"updated"`
}

// dashboardJSON is GET /api/v1/dashboards/{uid}'s answer, and PUT's.
type dashboardJSON struct {
	Dashboard *dashboards.Dashboard `json:"dashboard"`
	Hash      string                `json:"hash"`
	Source    string                `json:"source"`
	// File is a file-provisioned dashboard's path.
	File      string    `json:"file,omitempty"`
	Updated   time.Time `json:"updated"`
	UpdatedBy string    `json:"updated_by,omitempty"`
}

func (s *Server) listDashboards(c echo.Context) error {
	es, err := s.deps.Dashboards.List(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]dashboardSummaryJSON, 0, len(es))
	for _, e := range es {
		d := e.Item
		tags := d.Tags
		if tags == nil {
			tags = []string{}
		}
		out = append(out, dashboardSummaryJSON{UID: d.UID, Title: d.Title, Folder: d.Folder, Tags: tags, Hash: e.Hash, Source: e.Source, Updated: e.Updated})
	}
	return c.JSON(http.StatusOK, map[string]any{"dashboards": out})
}

func (s *Server) getDashboard(c echo.Context) error {
	e, err := s.deps.Dashboards.Get(c.Request().Context(), c.Param("uid"))
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", `"`+e.Hash+`"`)
	if wantsYAML(c.Request().Header.Get("Accept")) {
		// The model alone, in its canonical form: a file to commit under
		// configs/dashboards/ ("export as YAML").
		b, err := dashboards.Canonical(e.Item)
		if err != nil {
			return err
		}
		return c.Blob(http.StatusOK, "application/yaml; charset=utf-8", b)
	}
	return c.JSON(http.StatusOK, toDashboardJSON(e))
}

func toDashboardJSON(e *dashboards.Entry) dashboardJSON {
	return dashboardJSON{Dashboard: e.Item, Hash: e.Hash, Source: e.Source, File: e.File, Updated: e.Updated, UpdatedBy: e.UpdatedBy}
}

// wantsYAML: the Accept header names a YAML type before (or without) JSON.
func wantsYAML(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		switch strings.ToLower(strings.TrimSpace(mt)) {
		case "application/yaml", "application/x-yaml", "text/yaml":
			return true
		case "application/json":
			return false
		}
	}
	return false
}

// isYAMLType: a Content-Type of YAML.
func isYAMLType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/yaml" || mt == "application/x-yaml" || mt == "text/yaml")
}

// contentBody reads the body of a PUT of content: JSON, or YAML, which is
// how promotion sends an item (the canonical bytes another instance
// served, unchanged; never a browser's form type). what names the item in
// the error for an empty body.
func contentBody(c echo.Context, what string) ([]byte, error) {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, echo.ErrStatusRequestEntityTooLarge
		}
		return nil, fault.New(fault.BadInput, "cannot read the request body: %v", err)
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil, fault.New(fault.BadInput, "the body must be %s as JSON or YAML", what)
	}
	if ct := c.Request().Header.Get("Content-Type"); !isYAMLType(ct) {
		if err := checkJSONContentType(ct); err != nil {
			return nil, err
		}
	}
	return body, nil
}

// written answers a PUT of content: 201 for a create, else 200, with
// the hash in ETag.
func written(c echo.Context, hash string, created bool, body any) error {
	c.Response().Header().Set("ETag", `"`+hash+`"`)
	if created {
		return c.JSON(http.StatusCreated, body)
	}
	return c.JSON(http.StatusOK, body)
}

// ifMatch is the If-Match header's hash, without quotes or W/.
func ifMatch(c echo.Context) string {
	v := strings.TrimSpace(c.Request().Header.Get("If-Match"))
	v = strings.TrimPrefix(v, "W/")
	return strings.Trim(v, `"`)
}

// preconditionFailed answers a failed If-Match with 412.
func preconditionFailed(err error) error {
	if errors.Is(err, dashboards.ErrPrecondition) {
		return echo.NewHTTPError(http.StatusPreconditionFailed, err.Error())
	}
	return err
}

func (s *Server) putDashboard(c echo.Context) error {
	body, err := contentBody(c, "the dashboard (uid, title, panels …)")
	if err != nil {
		return err
	}
	p, _ := PrincipalFrom(c.Request().Context())
	e, created, err := s.deps.Dashboards.Put(c.Request().Context(), c.Param("uid"), body, ifMatch(c), p.Name)
	if err != nil {
		return preconditionFailed(err)
	}
	return written(c, e.Hash, created, toDashboardJSON(e))
}

func (s *Server) deleteDashboard(c echo.Context) error {
	p, _ := PrincipalFrom(c.Request().Context())
	if err := s.deps.Dashboards.Delete(c.Request().Context(), c.Param("uid"), ifMatch(c), p.Name); err != nil {
		return preconditionFailed(err)
	}
	return c.NoContent(http.StatusNoContent)
}

// reloadDashboards is POST /api/v1/dashboards/reload: the dashboards
// reloader, then the dashboards served.
func (s *Server) reloadDashboards(c echo.Context) error {
	if err := s.reloadOne(c, "dashboards"); err != nil {
		return err
	}
	return s.listDashboards(c)
}
