package server

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/query"
)

// panelRoutes serves the runs of dashboard panels: the dashboard binds the
// viewer's variables to the panel's template parameters (dashboards owns
// that rule), and the template runs like any other, through the result
// cache, so viewers of one dashboard share identical panel runs.
func (s *Server) panelRoutes(api *echo.Group) {
	if s.deps.Dashboards == nil || s.deps.Templates == nil {
		return
	}
	api.POST("/dashboards/:uid/panels/:index/run", s.runPanel, requireRole(RoleViewer))
	api.GET("/instance", s.instanceVariables, requireRole(RoleViewer))
}

// instanceVariables answers this instance's variables, for the UI to show
// a dashboard's ${name}s as this instance reads them.
func (s *Server) instanceVariables(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{"variables": s.deps.Dashboards.Instance()})
}

// panelVars reads variable values: each a string or a list of strings.
type panelVars map[string][]string

func (v *panelVars) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return fault.New(fault.BadInput, "vars must be an object of variable names to values")
	}
	out := make(panelVars, len(raw))
	for name, r := range raw {
		var one string
		if err := json.Unmarshal(r, &one); err == nil {
			out[name] = []string{one}
			continue
		}
		var list []string
		if err := json.Unmarshal(r, &list); err != nil {
			return fault.New(fault.BadInput, "vars.%s must be a string or a list of strings", name)
		}
		out[name] = list
	}
	*v = out
	return nil
}

func (s *Server) runPanel(c echo.Context) error {
	var req struct {
		Vars panelVars `json:"vars"`
		From string    `json:"from"`
		To   string    `json:"to"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	idx, err := strconv.Atoi(c.Param("index"))
	if err != nil {
		return fault.New(fault.NotFound, "panel %q is not a panel index (0, 1, …)", c.Param("index"))
	}
	ctx := c.Request().Context()
	e, err := s.deps.Dashboards.Get(ctx, c.Param("uid"))
	if err != nil {
		return err
	}
	st, err := s.runSettings(c)
	if err != nil {
		return err
	}
	var info *query.TemplateInfo
	types := func(name string) string {
		for _, p := range info.Params {
			if p.Name == name {
				return p.Type
			}
		}
		return ""
	}
	if idx >= 0 && idx < len(e.Item.Panels) {
		ref := e.Item.Panels[idx].Template
		if info, err = s.deps.Templates.Info(ctx, ref.ID, ref.Version, st); err != nil {
			return err
		}
	}
	pr, err := e.Item.PanelValues(idx, req.Vars, types, s.deps.Dashboards.Instance())
	if err != nil {
		return err
	}
	from, to, err := s.deps.Templates.ResolveRange(req.From, req.To)
	if err != nil {
		return err
	}
	who := s.caller(c)
	who.Source = "dashboard"
	run, err := s.deps.Templates.Run(ctx, who, query.TemplateRequest{
		Template: pr.Template.ID, Version: pr.Template.Version, Params: pr.Values, From: from, To: to,
	}, st)
	if err != nil {
		return err
	}
	if done, err := exportResult(c, e.Item.UID+"-"+strconv.Itoa(idx), run.Result); done {
		return err
	}
	return c.JSON(http.StatusOK, templateRunOut(run))
}
