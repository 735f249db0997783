package server

import (
	"context"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/ingest"
	"github.com/logmart/logmart/query"
	"github.com/logmart/logmart/store"
)

// OverviewSource answers the overview page from the stored logs
// (query.OverviewReader): every read bounded by the last minutes, run for
// who with s, audited and cached. Errors are fault-kinded (BadInput for
// minutes out of range).
type OverviewSource interface {
	Overview(ctx context.Context, who query.Caller, minutes int, s store.Settings) (*query.Overview, error)
}

// IngestHealth is this replica's view of the Kafka partitions it consumes
// (ingest.Ingester), the overview's ingest table. Health is called while
// ingest runs, from any goroutine.
type IngestHealth interface {
	Health() []ingest.PartitionHealth
}

// overviewJSON is GET /api/v1/overview's answer: the stored logs' figures
// and the partitions this replica consumes.
type overviewJSON struct {
	*query.Overview
	Ingest []ingest.PartitionHealth `json:"ingest"`
}

func (s *Server) overview(c echo.Context) error {
	minutes := 15
	if v := c.QueryParam("minutes"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fault.New(fault.BadInput, "minutes %q is not a whole number", v)
		}
		minutes = n
	}
	p, lim := s.settings(c)
	o, err := s.deps.Overview.Overview(c.Request().Context(), s.caller(c), minutes, p.Settings(lim))
	if err != nil {
		return err
	}
	out := overviewJSON{Overview: o, Ingest: []ingest.PartitionHealth{}}
	// The partitions count every stream's records: a scoped token is not
	// shown them.
	if s.deps.Ingest != nil && len(p.Scopes) == 0 {
		if h := s.deps.Ingest.Health(); h != nil {
			out.Ingest = h
		}
	}
	return c.JSON(http.StatusOK, out)
}
