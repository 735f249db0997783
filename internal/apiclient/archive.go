package apiclient

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"
)

// ArchiveDay is one stream's archive for one day of its records' time.
type ArchiveDay struct {
	Stream  string    `json:"stream"`
	Day     string    `json:"day"`
	Objects uint64    `json:"objects"`
	Records uint64    `json:"records"`
	Bytes   uint64    `json:"bytes"`
	Oldest  time.Time `json:"oldest"`
	Newest  time.Time `json:"newest"`
}

// ArchiveDays is GET /api/v1/archive/days's answer.
type ArchiveDays struct {
	Days []ArchiveDay `json:"days"`
	// Raw is the answer exactly as the server sent it (for --json).
	Raw json.RawMessage `json:"-"`
}

var archiveDaysEndpoint = endpoint{http.MethodGet, "/api/v1/archive/days", nil, ArchiveDays{}}

// ArchiveDays lists the archive per stream and day. stream, from and to
// may be empty; from and to are any time the server reads.
func (c *Client) ArchiveDays(ctx context.Context, stream, from, to string) (*ArchiveDays, error) {
	q := url.Values{}
	for k, v := range map[string]string{"stream": stream, "from": from, "to": to} {
		if v != "" {
			q.Set(k, v)
		}
	}
	ep := archiveDaysEndpoint
	if len(q) > 0 {
		ep.path += "?" + q.Encode()
	}
	var out ArchiveDays
	raw, err := c.call(ctx, ep, nil, nil, &out)
	if err != nil {
		return nil, err
	}
	out.Raw = raw
	return &out, nil
}
