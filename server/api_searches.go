package server

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/logmart/logmart/query"
)

// SearchStore keeps saved searches (query.Searches).
type SearchStore interface {
	Save(ctx context.Context, who query.Caller, in query.SavedSearch) (*query.SavedSearch, error)
	// List is every saved search, of page when it is set.
	List(ctx context.Context, page string) ([]query.SavedSearch, error)
	// Delete removes a search; only its creator or an admin may.
	Delete(ctx context.Context, who query.Caller, id string, admin bool) error
}

func (s *Server) searchRoutes(api *echo.Group) {
	if s.deps.Searches == nil {
		return
	}
	api.GET("/searches", s.listSearches, requireRole(RoleViewer))
	api.POST("/searches", s.saveSearch, requireRole(RoleViewer))
	api.DELETE("/searches/:id", s.deleteSearch, requireRole(RoleViewer))
}

func (s *Server) listSearches(c echo.Context) error {
	l, err := s.deps.Searches.List(c.Request().Context(), c.QueryParam("page"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"searches": l})
}

func (s *Server) saveSearch(c echo.Context) error {
	var req struct {
		Name  string `json:"name"`
		Page  string `json:"page"`
		State string `json:"state"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	out, err := s.deps.Searches.Save(c.Request().Context(), s.caller(c), query.SavedSearch{Name: req.Name, Page: req.Page, State: req.State})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}

func (s *Server) deleteSearch(c echo.Context) error {
	p, _ := PrincipalFrom(c.Request().Context())
	if err := s.deps.Searches.Delete(c.Request().Context(), s.caller(c), c.Param("id"), p.Role == RoleAdmin); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
