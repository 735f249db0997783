package apiclient

import (
	"context"
	"encoding/json"
	"net/http"
)

// EstimateRequest is the body of POST /api/v1/templates/{id}/estimate:
// the run to estimate, its values as text for the server to type.
type EstimateRequest struct {
	Version uint32            `json:"version,omitempty"`
	Params  map[string]string `json:"params,omitempty"`
	From    string            `json:"from,omitempty"`
	To      string            `json:"to,omitempty"`
}

// Estimate is what a template run would read, and on which tiers.
type Estimate struct {
	Template string          `json:"template"`
	Version  uint32          `json:"version"`
	Parts    uint64          `json:"parts"`
	Rows     uint64          `json:"rows"`
	Marks    uint64          `json:"marks"`
	Bytes    uint64          `json:"bytes"`
	Tables   []EstimateTable `json:"tables"`
	Tiers    []EstimateTier  `json:"tiers"`
	// Raw is the answer exactly as the server sent it (for --json).
	Raw json.RawMessage `json:"-"`
}

// EstimateTable is one table's share of an Estimate.
type EstimateTable struct {
	Table string `json:"table"`
	Parts uint64 `json:"parts"`
	Rows  uint64 `json:"rows"`
	Marks uint64 `json:"marks"`
	Bytes uint64 `json:"bytes"`
}

// EstimateTier is one tier's share of an Estimate; for the archive, Parts
// are objects.
type EstimateTier struct {
	Tier  string `json:"tier"`
	Parts uint64 `json:"parts"`
	Rows  uint64 `json:"rows"`
	Bytes uint64 `json:"bytes"`
}

var estimateEndpoint = endpoint{http.MethodPost, "/api/v1/templates/{id}/estimate", EstimateRequest{}, Estimate{}}

// EstimateTemplate asks what a run of template id would read, without
// running it.
func (c *Client) EstimateTemplate(ctx context.Context, id string, req EstimateRequest) (*Estimate, error) {
	var out Estimate
	raw, err := c.call(ctx, estimateEndpoint, []string{id}, req, &out)
	if err != nil {
		return nil, err
	}
	out.Raw = raw
	return &out, nil
}
