package server

import (
	"context"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/logmart/logmart/dashboards"
	"github.com/logmart/logmart/fault"
)

// PromotionLog records and lists the content promotions into this
// instance (dashboards.PromotionLog). Record checks the promotion against
// what the instance serves and sets who and when; errors are fault-kinded
// (BadInput naming the field). Safe for concurrent use.
type PromotionLog interface {
	Record(ctx context.Context, p dashboards.Promotion, who string) (*dashboards.Promotion, error)
	List(ctx context.Context, kind, uid string, limit int) ([]dashboards.Promotion, error)
}

// maxPromotions bounds one GET /api/v1/promotions answer.
const maxPromotions = 1000

func (s *Server) promotionRoutes(api *echo.Group) {
	if s.deps.Promotions == nil {
		return
	}
	api.GET("/promotions", s.listPromotions, requireRole(RoleViewer))
	api.POST("/promotions", s.recordPromotion, requireRole(RoleEditor))
}

// promotionRequest is POST /api/v1/promotions's body; who and when come
// from the instance.
type promotionRequest struct {
	Kind    string `json:"kind"`
	UID     string `json:"uid"`
	From    string `json:"from"`
	To      string `json:"to"`
	OldHash string `json:"old_hash"`
	NewHash string `json:"new_hash"`
	Forced  bool   `json:"forced"`
}

func (s *Server) listPromotions(c echo.Context) error {
	limit := 100
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPromotions {
			return fault.New(fault.BadInput, "limit %q is not a whole number from 1 to %d", v, maxPromotions)
		}
		limit = n
	}
	ps, err := s.deps.Promotions.List(c.Request().Context(), c.QueryParam("kind"), c.QueryParam("uid"), limit)
	if err != nil {
		return err
	}
	if ps == nil {
		ps = []dashboards.Promotion{}
	}
	return c.JSON(http.StatusOK, map[string]any{"promotions": ps})
}

func (s *Server) recordPromotion(c echo.Context) error {
	var req promotionRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	p, _ := PrincipalFrom(c.Request().Context())
	rec, err := s.deps.Promotions.Record(c.Request().Context(), dashboards.Promotion{Kind: req.Kind, UID: req.UID, From: req.From, To: req.To,
		OldHash: req.OldHash, NewHash: req.NewHash, Forced: req.Forced}, p.Name)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, rec)
}
