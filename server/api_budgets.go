package server

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/logmart/logmart/budgets"
)

// BudgetBook reads the ingest budgets' current periods (budgets.Book).
type BudgetBook interface {
	Status(ctx context.Context) ([]budgets.Status, error)
	// Reset starts a budget's period over now, recording who and why.
	Reset(ctx context.Context, id, who, reason string) (*budgets.Reset, error)
}

func (s *Server) budgetRoutes(api *echo.Group) {
	if s.deps.Budgets == nil {
		return
	}
	api.GET("/budgets", s.listBudgets, requireRole(RoleViewer))
	api.POST("/budgets/:id/reset", s.resetBudget, requireRole(RoleEditor))
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
