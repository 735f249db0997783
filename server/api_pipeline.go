package server

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/logmart/logmart/pipeline"
)

// PipelineStatus is the running pipeline's health (pipeline.Runner).
type PipelineStatus interface {
	Status() pipeline.Status
}

// pipelineRoutes registers GET /api/v1/pipeline/status. It answers on
// every server, with enabled false where this one runs no pipeline, so a
// health check reads one shape everywhere.
func (s *Server) pipelineRoutes(api *echo.Group) {
	api.GET("/pipeline/status", s.pipelineStatus, requireRole(RoleViewer))
}

// pipelineStatusBody is the answer: whether this server runs the pipeline,
// and its runner's status.
type pipelineStatusBody struct {
	Enabled bool `json:"enabled"`
	pipeline.Status
}

func (s *Server) pipelineStatus(c echo.Context) error {
	if s.deps.Pipeline == nil {
		return c.JSON(http.StatusOK, pipelineStatusBody{})
	}
	return c.JSON(http.StatusOK, pipelineStatusBody{Enabled: true, Status: s.deps.Pipeline.Status()})
}
