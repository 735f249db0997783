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
	contentRoutes(api, "/budgets/:id", content[*budgets.Budget]{
		store: func() contentStore[*budgets.Budget] { return s.deps.Budgets },
		what:  "the budget (id, owner, scope, capacity, period, action …)", canonical: budgets.Canonical,
		toJSON: func(e *dashboards.Stored[*budgets.Budget]) any { return toBudgetJSON(e) },
	})
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
