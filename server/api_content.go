package server

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/logmart/logmart/dashboards"
	"github.com/logmart/logmart/fault"
)

// contentStore is one content kind's items as the API reads and writes
// them (a dashboards.Library, or a service over one): errors are
// fault-kinded, or wrap dashboards.ErrPrecondition for a failed If-Match.
type contentStore[T any] interface {
	Get(ctx context.Context, uid string) (*dashboards.Stored[T], error)
	Put(ctx context.Context, uid string, body []byte, ifMatch, who string) (*dashboards.Stored[T], bool, error)
	Delete(ctx context.Context, uid, ifMatch, who string) error
}

// content is how the API serves one content kind (dashboards, monitors,
// budgets) at path/{uid}: GET as JSON, or with Accept YAML its canonical
// form, ETag the hash; PUT as JSON or YAML, If-Match guarding a change;
// DELETE. Promotion reads and writes every kind this way.
type content[T any] struct {
	store     func() contentStore[T]
	what      string // the item in the error for an empty body
	canonical func(T) ([]byte, error)
	toJSON    func(*dashboards.Stored[T]) any
}

// contentRoutes serves c at path, whose last segment is the uid parameter.
func contentRoutes[T any](api *echo.Group, path string, c content[T]) {
	param := path[strings.LastIndex(path, ":")+1:]
	api.GET(path, func(ec echo.Context) error { return c.get(ec, ec.Param(param)) }, requireRole(RoleViewer))
	api.PUT(path, func(ec echo.Context) error { return c.put(ec, ec.Param(param)) }, requireRole(RoleEditor))
	api.DELETE(path, func(ec echo.Context) error { return c.delete(ec, ec.Param(param)) }, requireRole(RoleEditor))
}

func (c content[T]) get(ec echo.Context, uid string) error {
	e, err := c.store().Get(ec.Request().Context(), uid)
	if err != nil {
		return err
	}
	ec.Response().Header().Set("ETag", `"`+e.Hash+`"`)
	if wantsYAML(ec.Request().Header.Get("Accept")) {
		// The model alone, in its canonical form: a file to commit
		// ("export as YAML").
		b, err := c.canonical(e.Item)
		if err != nil {
			return err
		}
		return ec.Blob(http.StatusOK, "application/yaml; charset=utf-8", b)
	}
	return ec.JSON(http.StatusOK, c.toJSON(e))
}

func (c content[T]) put(ec echo.Context, uid string) error {
	body, err := contentBody(ec, c.what)
	if err != nil {
		return err
	}
	p, _ := PrincipalFrom(ec.Request().Context())
	e, created, err := c.store().Put(ec.Request().Context(), uid, body, ifMatch(ec), p.Name)
	if err != nil {
		return preconditionFailed(err)
	}
	return written(ec, e.Hash, created, c.toJSON(e))
}

func (c content[T]) delete(ec echo.Context, uid string) error {
	p, _ := PrincipalFrom(ec.Request().Context())
	if err := c.store().Delete(ec.Request().Context(), uid, ifMatch(ec), p.Name); err != nil {
		return preconditionFailed(err)
	}
	return ec.NoContent(http.StatusNoContent)
}

// wantsYAML: the Accept header names a YAML type before (or without) JSON.
func wantsYAML(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		switch strings.ToLower(strings.TrimSpace(mt)) {
		case "application/yaml", "application/x-yaml", "text/yaml":
			return true
		case "application/json":
			return false
		}
	}
	return false
}

// isYAMLType: a Content-Type of YAML.
func isYAMLType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/yaml" || mt == "application/x-yaml" || mt == "text/yaml")
}

// contentBody reads the body of a PUT of content: JSON, or YAML, which is
// how promotion sends an item (the canonical bytes another instance
// served, unchanged; never a browser's form type). what names the item in
// the error for an empty body.
func contentBody(c echo.Context, what string) ([]byte, error) {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, echo.ErrStatusRequestEntityTooLarge
		}
		return nil, fault.New(fault.BadInput, "cannot read the request body: %v", err)
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil, fault.New(fault.BadInput, "the body must be %s as JSON or YAML", what)
	}
	if ct := c.Request().Header.Get("Content-Type"); !isYAMLType(ct) {
		if err := checkJSONContentType(ct); err != nil {
			return nil, err
		}
	}
	return body, nil
}

// written answers a PUT of content: 201 for a create, else 200, with
// the hash in ETag.
func written(c echo.Context, hash string, created bool, body any) error {
	c.Response().Header().Set("ETag", `"`+hash+`"`)
	if created {
		return c.JSON(http.StatusCreated, body)
	}
	return c.JSON(http.StatusOK, body)
}

// ifMatch is the If-Match header's hash, without quotes or W/.
func ifMatch(c echo.Context) string {
	v := strings.TrimSpace(c.Request().Header.Get("If-Match"))
	v = strings.TrimPrefix(v, "W/")
	return strings.Trim(v, `"`)
}

// preconditionFailed answers a failed If-Match with 412.
func preconditionFailed(err error) error {
	if errors.Is(err, dashboards.ErrPrecondition) {
		return echo.NewHTTPError(http.StatusPreconditionFailed, err.Error())
	}
	return err
}
