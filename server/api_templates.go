package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/query"
	"github.com/logmart/logmart/store"
)

// TemplateRunner lists and runs query templates (query.Catalog); the reload
// list rereads them.
// Implementations are safe for concurrent use; errors are fault-kinded
// (BadInput naming the parameter, NotFound for a template or version).
type TemplateRunner interface {
	// List returns every template's current version; values_query enums
	// are evaluated with s.
	List(ctx context.Context, s store.Settings) []query.TemplateInfo
	// Info returns one version (the current one when version is 0).
	Info(ctx context.Context, id string, version uint32, s store.Settings) (*query.TemplateInfo, error)
	// ResolveRange turns a request's from and to (absolute or relative) into
	// an absolute range.
	ResolveRange(from, to string) (time.Time, time.Time, error)
	// Run runs req for who with s, through the result cache and the audit.
	Run(ctx context.Context, who query.Caller, req query.TemplateRequest, s store.Settings) (*query.TemplateRun, error)
	// Estimate tells what req would read with s, and on which tiers
	// (disks: the engine's disks per tier), without running it.
	Estimate(ctx context.Context, req query.TemplateRequest, s store.Settings, disks map[string][]string) (*query.Estimate, error)
}

func (s *Server) templateRoutes(api *echo.Group) {
	if s.deps.Templates == nil {
		return
	}
	api.GET("/templates", s.listTemplates, requireRole(RoleViewer))
	api.GET("/templates/:id", s.getTemplate, requireRole(RoleViewer))
	api.POST("/query", s.runTemplate, requireRole(RoleViewer))
	api.POST("/templates/:id/estimate", s.estimateTemplate, requireRole(RoleViewer))
}

func (s *Server) listTemplates(c echo.Context) error {
	p, lim := s.settings(c)
	return c.JSON(http.StatusOK, map[string]any{"templates": s.deps.Templates.List(c.Request().Context(), p.Settings(lim))})
}

func (s *Server) getTemplate(c echo.Context) error {
	var version uint64
	if v := c.QueryParam("version"); v != "" {
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || n == 0 {
			return fault.New(fault.BadInput, "version %q is not a version number (1, 2, …)", v)
		}
		version = n
	}
	p, lim := s.settings(c)
	info, err := s.deps.Templates.Info(c.Request().Context(), c.Param("id"), uint32(version), p.Settings(lim))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, info)
}

// templateRunJSON is POST /api/v1/query's answer.
type templateRunJSON struct {
	resultJSON
	SQL      string `json:"sql"`
	Template struct {
		ID      string `json:"id"`
		Version uint32 `json:"version"`
		Title   string `json:"title"`
	} `json:"template"`
	Visualization string           `json:"visualization"`
	Chart         *query.ChartSpec `json:"chart,omitempty"`
	Params        map[string]any   `json:"params"`
	From          time.Time        `json:"from"`
	To            time.Time        `json:"to"`
	Cached        bool             `json:"cached"`
}

func (s *Server) runTemplate(c echo.Context) error {
	req, err := s.templateRequest(c, "")
	if err != nil {
		return err
	}
	st, err := s.runSettings(c)
	if err != nil {
		return err
	}
	run, err := s.deps.Templates.Run(c.Request().Context(), s.caller(c), req, st)
	if err != nil {
		return err
	}
	if done, err := exportResult(c, run.Template, run.Result); done {
		return err
	}
	return c.JSON(http.StatusOK, templateRunOut(run))
}

// estimateTemplate answers POST /api/v1/templates/{id}/estimate: what the
// run the body describes (as POST /api/v1/query's, without template)
// would read, and on which tiers. It runs nothing, so it counts against
// no scan budget.
func (s *Server) estimateTemplate(c echo.Context) error {
	req, err := s.templateRequest(c, c.Param("id"))
	if err != nil {
		return err
	}
	p, lim := s.settings(c)
	est, err := s.deps.Templates.Estimate(c.Request().Context(), req, p.Settings(lim), s.deps.TierDisks)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, est)
}

// templateRequest reads a template run's body: template (unless id, from
// the path, names it), version, params, from and to.
func (s *Server) templateRequest(c echo.Context, id string) (query.TemplateRequest, error) {
	var req struct {
		Template string          `json:"template"`
		Version  uint32          `json:"version"`
		Params   json.RawMessage `json:"params"`
		From     string          `json:"from"`
		To       string          `json:"to"`
	}
	if err := bindJSON(c, &req); err != nil {
		return query.TemplateRequest{}, err
	}
	if id != "" {
		if req.Template != "" && req.Template != id {
			return query.TemplateRequest{}, fault.New(fault.BadInput, "template %q in the body is not %q of the path; leave it out", req.Template, id)
		}
		req.Template = id
	}
	if req.Template == "" {
		return query.TemplateRequest{}, fault.New(fault.BadInput, "template is required")
	}
	params, err := query.DecodeParams(req.Params)
	if err != nil {
		return query.TemplateRequest{}, err
	}
	from, to, err := s.deps.Templates.ResolveRange(req.From, req.To)
	if err != nil {
		return query.TemplateRequest{}, err
	}
	return query.TemplateRequest{Template: req.Template, Version: req.Version, Params: params, From: from, To: to}, nil
}

// templateRunOut is a run's answer, as POST /api/v1/query gives it.
func templateRunOut(run *query.TemplateRun) templateRunJSON {
	out := templateRunJSON{resultJSON: toJSON(run.Result), SQL: run.SQL, Visualization: run.Visualization, Chart: run.Chart,
		Params: run.Params, From: run.From, To: run.To, Cached: run.Cached}
	if out.Columns == nil {
		out.Columns = []store.Column{}
	}
	out.Template.ID, out.Template.Version, out.Template.Title = run.Template, run.Version, run.Title
	return out
}
