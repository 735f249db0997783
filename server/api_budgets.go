package server

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/logmart/logmart/budgets"
	"github.com/logmart/logmart/dashboards"
	"github.com/logmart/logmart/query"
)

// BudgetBook reads the ingest budgets' current periods (budgets.Book).
type BudgetBook interface {
	Status(ctx context.Context) ([]budgets.Status, error)
	// Reset starts a budget's period over now, recording who and why.
	Reset(ctx context.Context, id, who, reason string) (*budgets.Reset, error)
	// Get, Put and Delete are the budgets' definitions, as files provision
	// them and the API writes them (dashboards.Library's rules: a file's
	// budget is read-only, If-Match guards a change).
	Get(ctx context.Context, id string) (*dashboards.Stored[*budgets.Budget], error)
	Put(ctx context.Context, id string, body []byte, ifMatch, who string) (*dashboards.Stored[*budgets.Budget], bool, error)
	Delete(ctx context.Context, id, ifMatch, who string) error
	// Usage is a budget's recorded usage per minute, as backtests replay.
	Usage(ctx context.Context, id string, from, to time.Time) ([]budgets.UsagePoint, error)
}

// budgetUsageRange is a usage read's range: the last week by default.
var budgetUsageRange = query.RangeRule{DefaultFrom: "now-7d", DefaultTo: "now"}

func (s *Server) budgetRoutes(api *echo.Group) {
	if s.deps.Budgets == nil {
		return
	}
	api.GET("/budgets", s.listBudgets, requireRole(RoleViewer))
	api.GET("/budgets/:id", s.getBudget, requireRole(RoleViewer))
	api.PUT("/budgets/:id", s.putBudget, requireRole(RoleEditor))
	api.DELETE("/budgets/:id", s.deleteBudget, requireRole(RoleEditor))
	api.POST("/budgets/:id/reset", s.resetBudget, requireRole(RoleEditor))
	api.GET("/budgets/:id/usage", s.budgetUsage, requireRole(RoleViewer))
}

// budgetUsage is GET /api/v1/budgets/{id}/usage: the budget's recorded
// usage per minute, every outcome together, in bytes and events.
func (s *Server) budgetUsage(c echo.Context) error {
	from, to, err := budgetUsageRange.Resolve(c.QueryParam("from"), c.QueryParam("to"), time.Now())
	if err != nil {
		return err
	}
	ps, err := s.deps.Budgets.Usage(c.Request().Context(), c.Param("id"), from, to)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"budget": c.Param("id"), "from": from, "to": to, "minutes": ps})
}

// budgetJSON is GET /api/v1/budgets/{id}'s answer, and PUT's.
type budgetJSON struct {
	Budget    *budgets.Budget `json:"budget"`
	Hash      string          `json:"hash"`
	Source    string          `json:"source"`
	File      string          `json:"file,omitempty"`
	Updated   time.Time       `json:"updated"`
	UpdatedBy string          `json:"updated_by,omitempty"`
}

func toBudgetJSON(e *dashboards.Stored[*budgets.Budget]) budgetJSON {
	return budgetJSON{Budget: e.Item, Hash: e.Hash, Source: e.Source, File: e.File, Updated: e.Updated, UpdatedBy: e.UpdatedBy}
}

func (s *Server) getBudget(c echo.Context) error {
	e, err := s.deps.Budgets.Get(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", `"`+e.Hash+`"`)
	if wantsYAML(c.Request().Header.Get("Accept")) {
		b, err := budgets.Canonical(e.Item)
		if err != nil {
			return err
		}
		return c.Blob(http.StatusOK, "application/yaml; charset=utf-8", b)
	}
	return c.JSON(http.StatusOK, toBudgetJSON(e))
}

func (s *Server) putBudget(c echo.Context) error {
	body, err := contentBody(c, "the budget (id, owner, scope, capacity, period, action …)")
	if err != nil {
		return err
	}
	p, _ := PrincipalFrom(c.Request().Context())
	e, created, err := s.deps.Budgets.Put(c.Request().Context(), c.Param("id"), body, ifMatch(c), p.Name)
	if err != nil {
		return preconditionFailed(err)
	}
	return written(c, e.Hash, created, toBudgetJSON(e))
}

func (s *Server) deleteBudget(c echo.Context) error {
	p, _ := PrincipalFrom(c.Request().Context())
	if err := s.deps.Budgets.Delete(c.Request().Context(), c.Param("id"), ifMatch(c), p.Name); err != nil {
		return preconditionFailed(err)
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) resetBudget(c echo.Context) error {
	var req struct {
		Reason string `json:"reason"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	p, _ := PrincipalFrom(c.Request().Context())
	r, err := s.deps.Budgets.Reset(c.Request().Context(), c.Param("id"), p.Name, req.Reason)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

func (s *Server) listBudgets(c echo.Context) error {
	l, err := s.deps.Budgets.Status(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"budgets": l})
}
