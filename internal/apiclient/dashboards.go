package apiclient

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DashboardSummary is one dashboard in GET /api/v1/dashboards.
type DashboardSummary struct {
	UID    string   `json:"uid"`
	Title  string   `json:"title"`
	Folder string   `json:"folder"`
	Tags   []string `json:"tags"`
	// Hash is the SHA-256 of the dashboard's canonical form.
	Hash    string    `json:"hash"`
	Source  string    `json:"source"`
	Updated time.Time `json:"updated"`
}

type dashboardList struct {
	Dashboards []DashboardSummary `json:"dashboards"`
}

// yamlText stands for a body or an answer sent as YAML text rather than
// JSON, so the OpenAPI test checks the application/yaml content instead.
type yamlText struct{}

// putAnswer is the part of PUT /api/v1/dashboards/{uid}'s answer the
// client reads.
type putAnswer struct {
	Hash string `json:"hash"`
}

// Promotion is one promotion recorded on an instance.
type Promotion struct {
	Kind    string    `json:"kind"`
	UID     string    `json:"uid"`
	From    string    `json:"from"`
	To      string    `json:"to"`
	OldHash string    `json:"old_hash"`
	NewHash string    `json:"new_hash"`
	Forced  bool      `json:"forced"`
	By      string    `json:"by"`
	At      time.Time `json:"at"`
}

// PromotionRequest is the body of POST /api/v1/promotions; the instance
// adds who and when.
type PromotionRequest struct {
	Kind    string `json:"kind"`
	UID     string `json:"uid"`
	From    string `json:"from"`
	To      string `json:"to"`
	OldHash string `json:"old_hash"`
	NewHash string `json:"new_hash"`
	Forced  bool   `json:"forced"`
}

type promotionList struct {
	Promotions []Promotion `json:"promotions"`
}

var (
	dashboardsEndpoint      = endpoint{http.MethodGet, "/api/v1/dashboards", nil, dashboardList{}}
	dashboardYAMLEndpoint   = endpoint{http.MethodGet, "/api/v1/dashboards/{uid}", nil, yamlText{}}
	putDashboardEndpoint    = endpoint{http.MethodPut, "/api/v1/dashboards/{uid}", yamlText{}, putAnswer{}}
	promotionsEndpoint      = endpoint{http.MethodGet, "/api/v1/promotions", nil, promotionList{}}
	recordPromotionEndpoint = endpoint{http.MethodPost, "/api/v1/promotions", PromotionRequest{}, Promotion{}}
)

// IsNotFound reports whether err is the server's 404.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusNotFound
}

// Dashboards lists the server's dashboards with their hashes.
func (c *Client) Dashboards(ctx context.Context) ([]DashboardSummary, error) {
	var out dashboardList
	if _, err := c.call(ctx, dashboardsEndpoint, nil, nil, &out); err != nil {
		return nil, err
	}
	return out.Dashboards, nil
}

// DashboardYAML reads one dashboard's canonical YAML, byte for byte as the
// server serves it, and its hash from the ETag. A dashboard the server
// lacks is an *Error with status 404 (IsNotFound).
func (c *Client) DashboardYAML(ctx context.Context, uid string) (body []byte, hash string, err error) {
	return c.contentYAML(ctx, dashboardYAMLEndpoint, uid)
}

// contentYAML reads one item of content as canonical YAML, and its hash
// from the ETag.
func (c *Client) contentYAML(ctx context.Context, ep endpoint, uid string) (body []byte, hash string, err error) {
	path, err := ep.fill([]string{uid})
	if err != nil {
		return nil, "", err
	}
	resp, raw, err := c.send(ctx, ep.method, path, map[string]string{"Accept": "application/yaml"}, nil)
	if err != nil {
		return nil, "", err
	}
	return raw, etag(resp), nil
}

// PutDashboardYAML writes body (a dashboard in YAML) as uid: a create when
// ifMatch is empty, else a replace of the dashboard whose hash is ifMatch.
// It returns the hash the server now holds (its ETag).
func (c *Client) PutDashboardYAML(ctx context.Context, uid string, body []byte, ifMatch string) (string, error) {
	return c.putContentYAML(ctx, putDashboardEndpoint, uid, body, ifMatch)
}

// putContentYAML writes one item of content as YAML, with If-Match when
// ifMatch is set, and returns the hash the server holds.
func (c *Client) putContentYAML(ctx context.Context, ep endpoint, uid string, body []byte, ifMatch string) (string, error) {
	path, err := ep.fill([]string{uid})
	if err != nil {
		return "", err
	}
	hdr := map[string]string{"Content-Type": "application/yaml", "Accept": "application/json"}
	if ifMatch != "" {
		hdr["If-Match"] = `"` + ifMatch + `"`
	}
	resp, _, err := c.send(ctx, ep.method, path, hdr, body)
	if err != nil {
		return "", err
	}
	return etag(resp), nil
}

// Promotions lists the promotions recorded on the server, newest first, of
// one kind and uid when they are not empty, at most limit (0: the server's
// default).
func (c *Client) Promotions(ctx context.Context, kind, uid string, limit int) ([]Promotion, error) {
	q := url.Values{}
	if kind != "" {
		q.Set("kind", kind)
	}
	if uid != "" {
		q.Set("uid", uid)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	path := promotionsEndpoint.path
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	hdr := map[string]string{"Accept": "application/json"}
	_, raw, err := c.send(ctx, promotionsEndpoint.method, path, hdr, nil)
	if err != nil {
		return nil, err
	}
	var out promotionList
	if err := decodeAnswer(promotionsEndpoint, raw, &out); err != nil {
		return nil, err
	}
	return out.Promotions, nil
}

// RecordPromotion records a promotion on the server, which checks that it
// now holds req.NewHash for the uid and adds who and when.
func (c *Client) RecordPromotion(ctx context.Context, req PromotionRequest) (*Promotion, error) {
	var out Promotion
	if _, err := c.call(ctx, recordPromotionEndpoint, nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// etag is the answer's ETag without quotes or W/.
func etag(resp *http.Response) string {
	return strings.Trim(strings.TrimPrefix(strings.TrimSpace(resp.Header.Get("ETag")), "W/"), `"`)
}

// TemplateVersion is the part of GET /api/v1/templates/{id}'s answer that
// promotion reads: which version, and its hash.
type TemplateVersion struct {
	ID      string `json:"id"`
	Version uint32 `json:"version"`
	Hash    string `json:"hash"`
}

var templateEndpoint = endpoint{http.MethodGet, "/api/v1/templates/{id}", nil, TemplateVersion{}}

// Template reads one template version's hash; a version the server lacks
// is an *Error with status 404 (IsNotFound).
func (c *Client) Template(ctx context.Context, id string, version uint32) (*TemplateVersion, error) {
	path, err := templateEndpoint.fill([]string{id})
	if err != nil {
		return nil, err
	}
	path += "?version=" + strconv.FormatUint(uint64(version), 10)
	_, raw, err := c.send(ctx, templateEndpoint.method, path, map[string]string{"Accept": "application/json"}, nil)
	if err != nil {
		return nil, err
	}
	var out TemplateVersion
	if err := decodeAnswer(templateEndpoint, raw, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
