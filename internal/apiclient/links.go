package apiclient

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// LinkRequest is the body of POST /api/v1/links: what to pin.
type LinkRequest struct {
	Template string `json:"template"`
	// Version 0 pins the latest.
	Version uint32 `json:"version,omitempty"`
	// Params are values by name as text ("5", "true", "a,b" for a list);
	// the server types each with the template's parameter and names any
	// it refuses.
	Params map[string]string `json:"params"`
	// From and To are any time the server reads ("now-1h", "last 1h",
	// RFC 3339); relative ends are resolved when the link is created. An
	// empty To is now.
	From     string `json:"from"`
	To       string `json:"to,omitempty"`
	Title    string `json:"title,omitempty"`
	Note     string `json:"note,omitempty"`
	Snapshot bool   `json:"snapshot"`
}

// Link is a shared link as the server answers it: the pinned request,
// where it lives, its Markdown line and its frozen result, if any.
type Link struct {
	ID       string `json:"id"`
	URL      string `json:"url"`
	Template string `json:"template"`
	Version  uint32 `json:"version"`
	// Params are the pinned values as the template typed them.
	Params    json.RawMessage `json:"params"`
	From      time.Time       `json:"from"`
	To        time.Time       `json:"to"`
	Title     string          `json:"title"`
	Note      string          `json:"note"`
	CreatedAt time.Time       `json:"created_at"`
	CreatedBy string          `json:"created_by"`
	Markdown  string          `json:"markdown"`
	// Hot is complete, partial or gone: how much of the range the hot
	// store still holds.
	Hot               string     `json:"hot"`
	Snapshot          *Snapshot  `json:"snapshot"`
	SnapshotHidden    string     `json:"snapshot_hidden"`
	SnapshotExpiresAt *time.Time `json:"snapshot_expires_at"`
	SnapshotExpired   string     `json:"snapshot_expired"`
	// Raw is the answer exactly as the server sent it (for --json).
	Raw json.RawMessage `json:"-"`
}

// Snapshot is a link's frozen result.
type Snapshot struct {
	At      time.Time           `json:"at"`
	Columns []Column            `json:"columns"`
	Rows    [][]json.RawMessage `json:"rows"`
}

var (
	createLinkEndpoint = endpoint{http.MethodPost, "/api/v1/links", LinkRequest{}, Link{}}
	linkEndpoint       = endpoint{http.MethodGet, "/api/v1/links/{id}", nil, Link{}}
)

// CreateLink pins req as a shared link.
func (c *Client) CreateLink(ctx context.Context, req LinkRequest) (*Link, error) {
	return c.link(ctx, createLinkEndpoint, nil, req)
}

// Link reads the shared link id.
func (c *Client) Link(ctx context.Context, id string) (*Link, error) {
	return c.link(ctx, linkEndpoint, []string{id}, nil)
}

func (c *Client) link(ctx context.Context, ep endpoint, args []string, body any) (*Link, error) {
	var l Link
	raw, err := c.call(ctx, ep, args, body, &l)
	if err != nil {
		return nil, err
	}
	l.Raw = raw
	return &l, nil
}
