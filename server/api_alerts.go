package server

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/logmart/logmart/alerts"
	"github.com/logmart/logmart/dashboards"
	"github.com/logmart/logmart/fault"
)

// AlertService is what the alerts API needs (alerts.Service). Errors are
// fault-kinded.
type AlertService interface {
	Alerts(ctx context.Context) ([]alerts.Alert, error)
	Notifications(ctx context.Context, f alerts.NotificationFilter) ([]alerts.Notification, error)
	Transitions(ctx context.Context, monitor string, since time.Time, limit int) ([]alerts.TransitionRecord, error)
	CreateSilence(ctx context.Context, req alerts.SilenceRequest, who string) (*alerts.Silence, error)
	ExpireSilence(ctx context.Context, id string) error
	Silences(ctx context.Context, all bool) ([]alerts.Silence, error)
	Ack(ctx context.Context, monitor, group, who, comment string) error
	TestEvent(ctx context.Context, channel, who string) (alerts.Sent, error)
	Noise(ctx context.Context, since time.Time, flap time.Duration) ([]alerts.NoiseRow, error)
	Monitors() *dashboards.Library[*alerts.Monitor]
}

func (s *Server) alertRoutes(api *echo.Group) {
	if s.deps.Alerts == nil {
		return
	}
	api.GET("/alerts", s.listAlerts, requireRole(RoleViewer))
	api.POST("/alerts/ack", s.ackAlert, requireRole(RoleViewer))
	api.GET("/alerts/noise", s.alertNoise, requireRole(RoleViewer))
	api.GET("/alerts/transitions", s.listTransitions, requireRole(RoleViewer))
	api.GET("/notifications", s.listNotifications, requireRole(RoleViewer))
	api.POST("/notifications/test", s.testNotification, requireRole(RoleAdmin))
	api.GET("/silences", s.listSilences, requireRole(RoleViewer))
	api.POST("/silences", s.createSilence, requireRole(RoleEditor))
	api.DELETE("/silences/:id", s.expireSilence, requireRole(RoleEditor))
	api.GET("/monitors", s.listMonitors, requireRole(RoleViewer))
	contentRoutes(api, "/monitors/:id", content[*alerts.Monitor]{
		store: func() contentStore[*alerts.Monitor] { return s.deps.Alerts.Monitors() },
		what:  "the monitor (id, title, template, condition …)", canonical: alerts.Canonical,
		toJSON: func(e *dashboards.Stored[*alerts.Monitor]) any { return toMonitorJSON(e) },
	})
}

func (s *Server) listAlerts(c echo.Context) error {
	l, err := s.deps.Alerts.Alerts(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"alerts": l})
}

func (s *Server) ackAlert(c echo.Context) error {
	var req struct {
		Monitor string `json:"monitor"`
		Group   string `json:"group"`
		Comment string `json:"comment"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	p, _ := PrincipalFrom(c.Request().Context())
	if err := s.deps.Alerts.Ack(c.Request().Context(), req.Monitor, req.Group, p.Name, req.Comment); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// sinceParam reads ?since= as a duration back from now ("7d", "24h"),
// default def.
func sinceParam(c echo.Context, def string) (time.Time, error) {
	v := c.QueryParam("since")
	if v == "" {
		v = def
	}
	d, err := alerts.ParseDuration(v)
	if err != nil || d <= 0 || d.D() > 400*24*time.Hour {
		return time.Time{}, fault.New(fault.BadInput, "since: %q is not a duration back from now of at most 400d (24h, 7d)", v)
	}
	return time.Now().Add(-d.D()), nil
}

func (s *Server) alertNoise(c echo.Context) error {
	since, err := sinceParam(c, "7d")
	if err != nil {
		return err
	}
	flap := 10 * time.Minute
	if v := c.QueryParam("flap"); v != "" {
		d, err := alerts.ParseDuration(v)
		if err != nil || d <= 0 {
			return fault.New(fault.BadInput, "flap: %q is not a positive duration", v)
		}
		flap = d.D()
	}
	rows, err := s.deps.Alerts.Noise(c.Request().Context(), since, flap)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"since": since.UTC(), "flap": alerts.Duration(flap).String(), "monitors": rows})
}

func (s *Server) listTransitions(c echo.Context) error {
	since, err := sinceParam(c, "24h")
	if err != nil {
		return err
	}
	l, err := s.deps.Alerts.Transitions(c.Request().Context(), c.QueryParam("monitor"), since, 5000)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"transitions": l})
}

func (s *Server) listNotifications(c echo.Context) error {
	f := alerts.NotificationFilter{Channel: c.QueryParam("channel"), State: c.QueryParam("state"), Monitor: c.QueryParam("monitor"), Budget: c.QueryParam("budget")}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return fault.New(fault.BadInput, "limit: %q is not 1 to 1000", v)
		}
		f.Limit = n
	}
	l, err := s.deps.Alerts.Notifications(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"notifications": l})
}

func (s *Server) testNotification(c echo.Context) error {
	var req struct {
		Channel string `json:"channel"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	p, _ := PrincipalFrom(c.Request().Context())
	sent, err := s.deps.Alerts.TestEvent(c.Request().Context(), req.Channel, p.Name)
	if err != nil {
		return err
	}
	out := map[string]any{"channel": req.Channel, "status": sent.Status, "answer": sent.Body, "delivered": sent.Err == nil}
	if sent.Err != nil {
		out["error"] = sent.Err.Error()
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) listSilences(c echo.Context) error {
	l, err := s.deps.Alerts.Silences(c.Request().Context(), c.QueryParam("all") == "true")
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"silences": l})
}

func (s *Server) createSilence(c echo.Context) error {
	var req alerts.SilenceRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	p, _ := PrincipalFrom(c.Request().Context())
	x, err := s.deps.Alerts.CreateSilence(c.Request().Context(), req, p.Name)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, x)
}

func (s *Server) expireSilence(c echo.Context) error {
	if err := s.deps.Alerts.ExpireSilence(c.Request().Context(), c.Param("id")); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"id": c.Param("id"), "ended": true})
}

// monitorJSON is GET /api/v1/monitors/{id}'s answer, and PUT's.
type monitorJSON struct {
	Monitor   *alerts.Monitor `json:"monitor"`
	Hash      string          `json:"hash"`
	Source    string          `json:"source"`
	File      string          `json:"file,omitempty"`
	Updated   time.Time       `json:"updated"`
	UpdatedBy string          `json:"updated_by,omitempty"`
}

func toMonitorJSON(e *dashboards.Stored[*alerts.Monitor]) monitorJSON {
	return monitorJSON{Monitor: e.Item, Hash: e.Hash, Source: e.Source, File: e.File, Updated: e.Updated, UpdatedBy: e.UpdatedBy}
}

func (s *Server) listMonitors(c echo.Context) error {
	es, err := s.deps.Alerts.Monitors().List(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]monitorJSON, len(es))
	for i, e := range es {
		out[i] = toMonitorJSON(e)
	}
	return c.JSON(http.StatusOK, map[string]any{"monitors": out})
}
