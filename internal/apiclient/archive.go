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

// RehydrateRequest is the body of POST /api/v1/archive/rehydrate.
type RehydrateRequest struct {
	Stream string `json:"stream"`
	// From and To are any time the server reads; an empty To is now.
	From       string `json:"from"`
	To         string `json:"to,omitempty"`
	Filter     string `json:"filter,omitempty"`
	MaxRecords int    `json:"max_records,omitempty"`
}

// RehydrateProgress is a rehydration's figures so far.
type RehydrateProgress struct {
	Job           string `json:"job"`
	Objects       int    `json:"objects"`
	Done          int    `json:"objects_done"`
	Records       int    `json:"records"`
	Stored        int    `json:"rows_stored"`
	AlreadyStored int    `json:"already_stored"`
	Filtered      int    `json:"filtered"`
	Undecodable   int    `json:"undecodable"`
	Truncated     bool   `json:"truncated"`
}

// RehydrateJob is a rehydration job as the server answers it.
type RehydrateJob struct {
	// State is running, done, cancelled or failed.
	State    string            `json:"state"`
	Progress RehydrateProgress `json:"progress"`
	Error    string            `json:"error"`
	Started  time.Time         `json:"started"`
	Ended    *time.Time        `json:"ended"`
	// Raw is the answer exactly as the server sent it (for --json).
	Raw json.RawMessage `json:"-"`
}

var (
	startRehydrateEndpoint  = endpoint{http.MethodPost, "/api/v1/archive/rehydrate", RehydrateRequest{}, RehydrateJob{}}
	rehydrateJobEndpoint    = endpoint{http.MethodGet, "/api/v1/archive/rehydrate/{job}", nil, RehydrateJob{}}
	cancelRehydrateEndpoint = endpoint{http.MethodDelete, "/api/v1/archive/rehydrate/{job}", nil, RehydrateJob{}}
)

// StartRehydrate starts the job for req, or returns the one running for
// the same request.
func (c *Client) StartRehydrate(ctx context.Context, req RehydrateRequest) (*RehydrateJob, error) {
	return c.rehydrateJob(ctx, startRehydrateEndpoint, nil, req)
}

// RehydrateJob reads a job's state.
func (c *Client) RehydrateJob(ctx context.Context, id string) (*RehydrateJob, error) {
	return c.rehydrateJob(ctx, rehydrateJobEndpoint, []string{id}, nil)
}

// CancelRehydrate stops a running job after the object it is storing.
func (c *Client) CancelRehydrate(ctx context.Context, id string) (*RehydrateJob, error) {
	return c.rehydrateJob(ctx, cancelRehydrateEndpoint, []string{id}, nil)
}

func (c *Client) rehydrateJob(ctx context.Context, ep endpoint, args []string, body any) (*RehydrateJob, error) {
	var j RehydrateJob
	raw, err := c.call(ctx, ep, args, body, &j)
	if err != nil {
		return nil, err
	}
	j.Raw = raw
	return &j, nil
}
