package apiclient

import (
	"context"
	"encoding/json"
	"net/http"
)

// SQLRequest is the body of POST /api/v1/sql.
type SQLRequest struct {
	// SQL is one read-only statement.
	SQL string `json:"sql"`
}

// Result is a query's answer. Cells stay as the server wrote them, so a
// caller prints or decodes each as it needs without losing digits.
type Result struct {
	Columns []Column            `json:"columns"`
	Rows    [][]json.RawMessage `json:"rows"`
	Stats   Stats               `json:"stats"`
	// Raw is the answer exactly as the server sent it (for --json).
	Raw json.RawMessage `json:"-"`
}

// Column names one result column and its ClickHouse type.
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Stats is what the statement read and how long it took.
type Stats struct {
	RowsRead  uint64  `json:"rows_read"`
	BytesRead uint64  `json:"bytes_read"`
	ElapsedMs float64 `json:"elapsed_ms"`
}

var sqlEndpoint = endpoint{http.MethodPost, "/api/v1/sql", SQLRequest{}, Result{}}

// SQL runs one read-only statement (editor or admin).
func (c *Client) SQL(ctx context.Context, req SQLRequest) (*Result, error) {
	var res Result
	raw, err := c.call(ctx, sqlEndpoint, nil, req, &res)
	if err != nil {
		return nil, err
	}
	res.Raw = raw
	return &res, nil
}
