package server

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/ingest"
	"github.com/logmart/logmart/ingest/archive"
	"github.com/logmart/logmart/query"
	"github.com/logmart/logmart/store"
)

// ArchiveCatalog says what the raw-record archive holds (archive.Catalog),
// read with the caller's settings: a scoped token, whose settings deny the
// tables its scopes do not name, sees none of it.
type ArchiveCatalog interface {
	Days(ctx context.Context, f archive.DayFilter, s store.Settings) ([]archive.Day, error)
}

func (s *Server) archiveRoutes(api *echo.Group) {
	if s.deps.Archive == nil {
		return
	}
	api.GET("/archive/days", s.archiveDays, requireRole(RoleViewer))
}

// archiveRange is the listing's range: both ends optional, selecting by
// the records' own time (ParseTime's bounds when left out).
var archiveRange = query.RangeRule{DefaultFrom: "1900-01-01", DefaultTo: "2299-12-31"}

// archiveDays is GET /api/v1/archive/days: per stream and day of the
// records' time, the objects, records, bytes and oldest and newest record.
func (s *Server) archiveDays(c echo.Context) error {
	from, to, err := archiveRange.Resolve(c.QueryParam("from"), c.QueryParam("to"), time.Now())
	if err != nil {
		return err
	}
	stream := strings.TrimSpace(c.QueryParam("stream"))
	p, lim := s.settings(c)
	days, err := s.deps.Archive.Days(c.Request().Context(), archive.DayFilter{Stream: stream, From: from, To: to}, p.Settings(lim))
	if err != nil {
		return err
	}
	// A stream neither configured nor archived is a typo more likely than
	// an empty archive. One that left streams.yaml keeps its archive.
	if stream != "" && len(days) == 0 && len(p.Scopes) == 0 && s.deps.Streams != nil {
		r := s.deps.Streams.Current()
		if r.Named(stream).Name != stream {
			var names []string
			for _, st := range r.Streams() {
				names = append(names, st.Name)
			}
			return fault.New(fault.BadInput, "stream %q is not in streams.yaml and has nothing archived (streams: %s)", stream, strings.Join(names, ", "))
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"days": days})
}

// Rehydrations runs rehydration jobs (ingest.RehydrateJobs): stored again
// from the archive, in the background, one per request at a time.
type Rehydrations interface {
	Start(req ingest.RehydrateRequest) (ingest.RehydrateJob, error)
	Get(id string) (ingest.RehydrateJob, error)
	Cancel(id string) (ingest.RehydrateJob, error)
}

func (s *Server) rehydrateRoutes(api *echo.Group) {
	if s.deps.Rehydrate == nil {
		return
	}
	api.POST("/archive/rehydrate", s.startRehydrate, requireRole(RoleEditor))
	api.GET("/archive/rehydrate/:job", s.getRehydrate, requireRole(RoleViewer))
	api.DELETE("/archive/rehydrate/:job", s.cancelRehydrate, requireRole(RoleEditor))
}

// rehydrateRange is a rehydration's range: from is required, to is now
// when left out.
var rehydrateRange = query.RangeRule{DefaultTo: "now"}

func (s *Server) startRehydrate(c echo.Context) error {
	var req struct {
		Stream     string `json:"stream"`
		From       string `json:"from"`
		To         string `json:"to"`
		Filter     string `json:"filter"`
		MaxRecords int    `json:"max_records"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	// Rehydrated rows land in the shared tables, whatever a scope says.
	if p, _ := s.settings(c); len(p.Scopes) > 0 {
		return fault.New(fault.Forbidden, "token %q is scoped to part of the data; rehydration stores rows of a whole stream and is not available to scoped tokens", p.Name)
	}
	from, to, err := rehydrateRange.Resolve(req.From, req.To, time.Now())
	if err != nil {
		return err
	}
	job, err := s.deps.Rehydrate.Start(ingest.RehydrateRequest{Stream: strings.TrimSpace(req.Stream), From: from, To: to,
		Filter: req.Filter, MaxRecords: req.MaxRecords})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, job)
}

func (s *Server) getRehydrate(c echo.Context) error {
	job, err := s.deps.Rehydrate.Get(c.Param("job"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, job)
}

func (s *Server) cancelRehydrate(c echo.Context) error {
	job, err := s.deps.Rehydrate.Cancel(c.Param("job"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, job)
}
