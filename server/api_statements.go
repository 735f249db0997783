package server

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/logmart/logmart/query"
	"github.com/logmart/logmart/store"
)

// StatementHeader carries the id a client chose for the statement its
// request runs (store.Settings.Statement), so that it can follow the run's
// progress and cancel it from another request while it runs.
const StatementHeader = "X-Logmart-Statement"

// StatementControl follows and cancels the caller's own running statements
// (query.Statements).
type StatementControl interface {
	// Progress is owner's statement id as the engine's process list shows
	// it; Running is false once it has left the list.
	Progress(ctx context.Context, owner, id string) (query.Progress, error)
	// Cancel stops owner's statement id in the engine and reports whether
	// one was running.
	Cancel(ctx context.Context, owner, id string) (bool, error)
}

func (s *Server) statementRoutes(api *echo.Group) {
	if s.deps.Statements == nil {
		return
	}
	api.GET("/statements/:id", s.statementProgress, requireRole(RoleViewer))
	api.DELETE("/statements/:id", s.cancelStatement, requireRole(RoleViewer))
}

func (s *Server) statementProgress(c echo.Context) error {
	p, _ := PrincipalFrom(c.Request().Context())
	pr, err := s.deps.Statements.Progress(c.Request().Context(), p.Name, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, pr)
}

func (s *Server) cancelStatement(c echo.Context) error {
	p, _ := PrincipalFrom(c.Request().Context())
	stopped, err := s.deps.Statements.Cancel(c.Request().Context(), p.Name, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]bool{"cancelled": stopped})
}

// runSettings are the settings of a statement the request runs for its
// caller: the caller's role limits, scope and tiers, and the statement id
// the client chose in StatementHeader, if any (a malformed one is
// refused). A caller whose scan budget is spent is refused here, before
// anything runs.
func (s *Server) runSettings(c echo.Context) (store.Settings, error) {
	p, lim := s.settings(c)
	st := p.Settings(lim)
	if err := s.checkScanBudget(c.Request().Context(), p); err != nil {
		return st, err
	}
	if id := c.Request().Header.Get(StatementHeader); id != "" {
		if err := query.CheckStatementID(id); err != nil {
			return st, err
		}
		st.Statement = id
	}
	return st, nil
}
