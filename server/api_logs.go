package server

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/query"
	"github.com/logmart/logmart/store"
)

// LogSearcher answers the Logs page (query.Runner).
type LogSearcher interface {
	// SearchLogs is one page of matching lines, newest first.
	SearchLogs(ctx context.Context, who query.Caller, q query.LogSearch, s store.Settings) (*query.LogPage, error)
	// LogHistogram counts matching lines per bucket and level.
	LogHistogram(ctx context.Context, who query.Caller, q query.LogSearch, s store.Settings) (*query.Histogram, error)
	// LogFacets is the top values of each field among the newest lines.
	LogFacets(ctx context.Context, who query.Caller, q query.LogSearch, s store.Settings) (*query.Facets, error)
	// LogContext is the lines around one line of a service and host.
	LogContext(ctx context.Context, who query.Caller, c query.LogContextRequest, s store.Settings) (*store.Result, error)
	// TailLogs is the lines ingested after a tail's cursor.
	TailLogs(ctx context.Context, who query.Caller, q query.LogSearch, now time.Time, s store.Settings) (*query.LogPage, error)
}

func (s *Server) logRoutes(api *echo.Group) {
	if s.deps.Logs == nil {
		return
	}
	api.GET("/logs", s.searchLogs, requireRole(RoleViewer))
	api.GET("/logs/histogram", s.logHistogram, requireRole(RoleViewer))
	api.GET("/logs/facets", s.logFacets, requireRole(RoleViewer))
	api.GET("/logs/context", s.logContext, requireRole(RoleViewer))
	api.GET("/logs/tail", s.tailLogs, requireRole(RoleViewer))
	api.GET("/logs/export", s.exportLogs, requireRole(RoleViewer))
}

// attrParamPrefix starts a query parameter that filters on an attribute:
// attr.route=/checkout is attributes['route'] = '/checkout'.
const attrParamPrefix = "attr."

// logSearch reads a search's filters from the request's query string: q,
// service, host, level, stream, attr.<key>, limit and cursor, and from/to
// when withRange.
func logSearch(c echo.Context, withRange bool) (query.LogSearch, error) {
	v := c.QueryParams()
	q := query.LogSearch{Text: v.Get("q"), Service: v.Get("service"), Host: v.Get("host"), Level: v.Get("level"),
		Stream: v.Get("stream"), Cursor: v.Get("cursor"), Limit: 100}
	for k, vals := range v {
		if key, ok := strings.CutPrefix(k, attrParamPrefix); ok {
			if q.Attrs == nil {
				q.Attrs = map[string]string{}
			}
			q.Attrs[key] = vals[0]
		}
	}
	if n := v.Get("limit"); n != "" {
		var err error
		if q.Limit, err = strconv.Atoi(n); err != nil {
			return q, fault.New(fault.BadInput, "limit %q is not a whole number", n)
		}
	}
	if withRange {
		var err error
		if q.From, q.To, err = query.LogRange.Resolve(v.Get("from"), v.Get("to"), time.Now()); err != nil {
			return q, err
		}
	}
	return q, nil
}

// logRequest reads a log request's search (logSearch) and the settings
// its statement runs with.
func (s *Server) logRequest(c echo.Context, withRange bool) (query.LogSearch, store.Settings, error) {
	q, err := logSearch(c, withRange)
	if err != nil {
		return q, store.Settings{}, err
	}
	st, err := s.runSettings(c)
	return q, st, err
}

// logPageJSON is a page of lines and the cursor to the next.
type logPageJSON struct {
	resultJSON
	Next string `json:"next,omitempty"`
}

func (s *Server) searchLogs(c echo.Context) error {
	q, st, err := s.logRequest(c, true)
	if err != nil {
		return err
	}
	page, err := s.deps.Logs.SearchLogs(c.Request().Context(), s.caller(c), q, st)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, logPageJSON{resultJSON: toJSON(page.Result), Next: page.Next})
}

func (s *Server) logHistogram(c echo.Context) error {
	q, st, err := s.logRequest(c, true)
	if err != nil {
		return err
	}
	h, err := s.deps.Logs.LogHistogram(c.Request().Context(), s.caller(c), q, st)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"from": q.From.UnixMilli(), "to": q.To.UnixMilli(), "step_ms": h.StepMS, "buckets": h.Buckets})
}

func (s *Server) logFacets(c echo.Context) error {
	q, st, err := s.logRequest(c, true)
	if err != nil {
		return err
	}
	f, err := s.deps.Logs.LogFacets(c.Request().Context(), s.caller(c), q, st)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, f)
}

func (s *Server) logContext(c echo.Context) error {
	v := c.QueryParams()
	req := query.LogContextRequest{Service: v.Get("service"), Host: v.Get("host"), Stream: v.Get("stream"), Lines: 20}
	if at := v.Get("at"); at != "" {
		var err error
		if req.At, err = time.Parse(time.RFC3339Nano, at); err != nil {
			return fault.New(fault.BadInput, "at %q is not an RFC 3339 time", at)
		}
	}
	if n := v.Get("lines"); n != "" {
		var err error
		if req.Lines, err = strconv.Atoi(n); err != nil {
			return fault.New(fault.BadInput, "lines %q is not a whole number", n)
		}
	}
	st, err := s.runSettings(c)
	if err != nil {
		return err
	}
	res, err := s.deps.Logs.LogContext(c.Request().Context(), s.caller(c), req, st)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toJSON(res))
}

func (s *Server) tailLogs(c echo.Context) error {
	q, st, err := s.logRequest(c, false)
	if err != nil {
		return err
	}
	page, err := s.deps.Logs.TailLogs(c.Request().Context(), s.caller(c), q, time.Now(), st)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, logPageJSON{resultJSON: toJSON(page.Result), Next: page.Next})
}

// exportPage is how many lines one statement of a logs export reads.
const exportPage = 5000

// exportLogs streams every line of a search, newest first, page by page:
// the first page is read before anything is sent, so that a bad search is
// a plain error; the export stops at the caller's max_result_rows (or
// maxExportRows) and says so in X-Logmart-Export-Limit.
func (s *Server) exportLogs(c echo.Context) error {
	q, st, err := s.logRequest(c, true)
	if err != nil {
		return err
	}
	q.Limit = exportPage
	_, lim := s.settings(c)
	max := exportLimit(lim)
	ctx := c.Request().Context()
	page, err := s.deps.Logs.SearchLogs(ctx, s.caller(c), q, st)
	if err != nil {
		return err
	}
	x, err := newExport(c, "logs", page.Columns)
	if err != nil {
		return err
	}
	c.Response().Header().Set("X-Logmart-Export-Limit", strconv.FormatUint(max, 10))
	for {
		rows := page.Rows
		if left := max - x.rows; uint64(len(rows)) > left {
			rows = rows[:left]
		}
		if err := x.write(rows); err != nil {
			return x.abort(err)
		}
		if page.Next == "" || x.rows >= max {
			return x.close()
		}
		q.Cursor = page.Next
		if page, err = s.deps.Logs.SearchLogs(ctx, s.caller(c), q, st); err != nil {
			return x.abort(err)
		}
	}
}
