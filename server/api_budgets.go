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
}

func (s *Server) budgetRoutes(api *echo.Group) {
	if s.deps.Budgets == nil {
		return
	}
	api.GET("/budgets", s.listBudgets, requireRole(RoleViewer))
}

func (s *Server) listBudgets(c echo.Context) error {
	l, err := s.deps.Budgets.Status(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"budgets": l})
}
