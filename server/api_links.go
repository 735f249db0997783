package server

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/query"
	"github.com/logmart/logmart/store"
)

// LinkService creates, reads and reruns shared links (query.Links).
type LinkService interface {
	// Create pins req for who; s are the creator's settings.
	Create(ctx context.Context, who query.Caller, req query.LinkRequest, s store.Settings) (*query.Link, error)
	// Get returns the pinned request; the frozen result only when s's scope
	// allows it. Unknown or malformed ids are fault.NotFound.
	Get(ctx context.Context, id string, s store.Settings) (*query.Link, error)
	// Run reruns the pinned request for who with s, audited as source "link".
	Run(ctx context.Context, who query.Caller, id string, s store.Settings) (*query.Link, *query.TemplateResult, error)
	// Hot says how much of the link's range the hot store still holds.
	Hot(l *query.Link) query.HotStatus
	// List is the links creator made, newest first; "" lists everyone's.
	List(ctx context.Context, creator string) ([]query.LinkSummary, error)
	// Delete removes a link; only its creator or an admin may.
	Delete(ctx context.Context, who query.Caller, id string, admin bool) error
}

func (s *Server) linkRoutes(api *echo.Group) {
	if s.deps.Links == nil {
		return
	}
	api.POST("/links", s.createLink, requireRole(RoleViewer))
	api.GET("/links/:id", s.getLink, requireRole(RoleViewer))
	api.POST("/links/:id/run", s.runLink, requireRole(RoleViewer))
	api.GET("/links", s.listLinks, requireRole(RoleViewer))
	api.DELETE("/links/:id", s.deleteLink, requireRole(RoleViewer))
}

// listLinks lists the caller's links; an admin asking all=true gets
// everyone's.
func (s *Server) listLinks(c echo.Context) error {
	p, _ := PrincipalFrom(c.Request().Context())
	creator := p.Name
	if all := c.QueryParam("all"); all == "true" {
		if p.Role != RoleAdmin {
			return fault.New(fault.Forbidden, "all=true lists everyone's links and needs the admin role; you are %s", p.Role)
		}
		creator = ""
	} else if all != "" && all != "false" {
		return fault.New(fault.BadInput, "all %q must be true or false", all)
	}
	l, err := s.deps.Links.List(c.Request().Context(), creator)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"links": l})
}

func (s *Server) deleteLink(c echo.Context) error {
	p, _ := PrincipalFrom(c.Request().Context())
	if err := s.deps.Links.Delete(c.Request().Context(), s.caller(c), c.Param("id"), p.Role == RoleAdmin); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// linkJSON is the wire shape of a link: the pinned request, where it lives,
// its Markdown line and how much of its range the hot store still holds.
type linkJSON struct {
	*query.Link
	URL      string          `json:"url"`
	Markdown string          `json:"markdown"`
	Hot      query.HotStatus `json:"hot"`
}

func (s *Server) linkOut(c echo.Context, l *query.Link) linkJSON {
	base := c.Scheme() + "://" + c.Request().Host
	return linkJSON{Link: l, URL: l.URL(), Markdown: l.Markdown(base), Hot: s.deps.Links.Hot(l)}
}

func (s *Server) createLink(c echo.Context) error {
	var req struct {
		Template string          `json:"template"`
		Version  uint32          `json:"version"`
		Params   json.RawMessage `json:"params"`
		From     string          `json:"from"`
		To       string          `json:"to"`
		Title    string          `json:"title"`
		Note     string          `json:"note"`
		Snapshot bool            `json:"snapshot"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	params, err := query.DecodeParams(req.Params)
	if err != nil {
		return err
	}
	p, lim := s.settings(c)
	l, err := s.deps.Links.Create(c.Request().Context(), s.caller(c), query.LinkRequest{
		Template: req.Template, Version: req.Version, Params: params, From: req.From, To: req.To,
		Title: req.Title, Note: req.Note, Snapshot: req.Snapshot,
	}, p.Settings(lim))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, s.linkOut(c, l))
}

func (s *Server) getLink(c echo.Context) error {
	p, lim := s.settings(c)
	l, err := s.deps.Links.Get(c.Request().Context(), c.Param("id"), p.Settings(lim))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.linkOut(c, l))
}

// linkRunJSON is a rerun's answer: the shape of POST /api/v1/query.
type linkRunJSON struct {
	resultJSON
	SQL      string `json:"sql"`
	Template struct {
		ID      string `json:"id"`
		Version uint32 `json:"version"`
	} `json:"template"`
	Visualization string           `json:"visualization"`
	Chart         *query.ChartSpec `json:"chart,omitempty"`
	Hot           query.HotStatus  `json:"hot"`
}

func (s *Server) runLink(c echo.Context) error {
	st, err := s.runSettings(c)
	if err != nil {
		return err
	}
	l, res, err := s.deps.Links.Run(c.Request().Context(), s.caller(c), c.Param("id"), st)
	if err != nil {
		return err
	}
	out := linkRunJSON{SQL: res.SQL, Visualization: res.Visualization, Chart: res.Chart, Hot: s.deps.Links.Hot(l)}
	r := res.Result
	if r == nil {
		r = &store.Result{}
	}
	if done, err := exportResult(c, "link-"+l.ID, r); done {
		return err
	}
	out.resultJSON = toJSON(r)
	if out.Columns == nil {
		out.Columns = []store.Column{}
	}
	if out.Rows == nil {
		out.Rows = [][]any{}
	}
	out.Template.ID, out.Template.Version = res.Template, res.Version
	return c.JSON(http.StatusOK, out)
}
