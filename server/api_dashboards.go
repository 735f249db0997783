package server

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/logmart/logmart/dashboards"
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
	contentRoutes(api, "/dashboards/:uid", content[*dashboards.Dashboard]{
		store: func() contentStore[*dashboards.Dashboard] { return s.deps.Dashboards },
		what:  "the dashboard (uid, title, panels …)", canonical: dashboards.Canonical,
		toJSON: func(e *dashboards.Entry) any { return toDashboardJSON(e) },
	})
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

func toDashboardJSON(e *dashboards.Entry) dashboardJSON {
	return dashboardJSON{Dashboard: e.Item, Hash: e.Hash, Source: e.Source, File: e.File, Updated: e.Updated, UpdatedBy: e.UpdatedBy}
}

// reloadDashboards is POST /api/v1/dashboards/reload: the dashboards
// reloader, then the dashboards served.
func (s *Server) reloadDashboards(c echo.Context) error {
	if err := s.reloadOne(c, "dashboards"); err != nil {
		return err
	}
	return s.listDashboards(c)
}
