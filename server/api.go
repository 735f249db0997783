package server

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/ingest"
	"github.com/logmart/logmart/query"
	"github.com/logmart/logmart/store"
)

// SQLRunner runs operators' read-only SQL.
type SQLRunner interface {
	SQL(ctx context.Context, who query.Caller, sql string, s store.Settings) (*store.Result, error)
}

// StreamRules are the ingest routing rules in force (ingest.Routes); the
// reload list rereads them.
type StreamRules interface {
	Current() *ingest.Router
}

func (s *Server) listStreams(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{"streams": s.deps.Streams.Current().Streams()})
}

// resultJSON is the wire shape of a query result.
type resultJSON struct {
	Columns []store.Column `json:"columns"`
	Rows    [][]any        `json:"rows"`
	Stats   statsJSON      `json:"stats"`
}

type statsJSON struct {
	RowsRead  uint64  `json:"rows_read"`
	BytesRead uint64  `json:"bytes_read"`
	ElapsedMs float64 `json:"elapsed_ms"`
}

func toJSON(r *store.Result) resultJSON {
	return resultJSON{Columns: r.Columns, Rows: zonedTimes(r.Columns, r.Rows), Stats: statsJSON{
		RowsRead: r.Stats.RowsRead, BytesRead: r.Stats.BytesRead,
		ElapsedMs: float64(r.Stats.Elapsed.Microseconds()) / 1000,
	}}
}

func (s *Server) caller(c echo.Context) query.Caller {
	p, _ := PrincipalFrom(c.Request().Context())
	src := "api"
	if c.Request().Header.Get("X-Logmart-Source") == "ui" {
		src = "ui"
	} else if c.Request().Header.Get("X-Logmart-Source") == "cli" {
		src = "cli"
	}
	return query.Caller{User: p.Name, Role: string(p.Role), Source: src}
}

func (s *Server) sql(c echo.Context) error {
	var req struct {
		SQL string `json:"sql"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	p, _ := s.settings(c)
	if len(p.Scopes) > 0 {
		// additional_table_filters narrow reads of named tables; table
		// functions (merge, remote, cluster) name no table and would read
		// around the scope. Scoped tokens run templates and searches, whose
		// statements read named tables only.
		return fault.New(fault.Forbidden, "token %q is scoped to part of the data; ad-hoc SQL is not available to scoped tokens: use templates or the log search", p.Name)
	}
	st, err := s.runSettings(c)
	if err != nil {
		return err
	}
	res, err := s.deps.SQL.SQL(c.Request().Context(), s.caller(c), req.SQL, st)
	if err != nil {
		return err
	}
	if done, err := exportResult(c, "sql", res); done {
		return err
	}
	return c.JSON(http.StatusOK, toJSON(res))
}

// bindJSON decodes a JSON body strictly: it must be sent as
// application/json (a cross-site form or text/plain post is not), unknown
// fields are errors naming the field, and nothing may follow the value.
func bindJSON(c echo.Context, v any) error {
	if err := checkJSONContentType(c.Request().Header.Get("Content-Type")); err != nil {
		return err
	}
	return decodeJSONBody(c.Request().Body, v)
}
