package apiclient

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// MonitorSummary is one monitor in GET /api/v1/monitors.
type MonitorSummary struct {
	Monitor struct {
		ID string `json:"id"`
	} `json:"monitor"`
	Hash   string `json:"hash"`
	Source string `json:"source"`
}

type monitorList struct {
	Monitors []MonitorSummary `json:"monitors"`
}

// TestAnswer is what a channel's receiver answered a test event.
type TestAnswer struct {
	Channel   string `json:"channel"`
	Status    int    `json:"status"`
	Answer    string `json:"answer"`
	Delivered bool   `json:"delivered"`
	Error     string `json:"error,omitempty"`
}

var (
	monitorsEndpoint         = endpoint{http.MethodGet, "/api/v1/monitors", nil, monitorList{}}
	monitorYAMLEndpoint      = endpoint{http.MethodGet, "/api/v1/monitors/{id}", nil, yamlText{}}
	putMonitorEndpoint       = endpoint{http.MethodPut, "/api/v1/monitors/{id}", yamlText{}, putAnswer{}}
	noiseEndpoint            = endpoint{http.MethodGet, "/api/v1/alerts/noise", nil, json.RawMessage{}}
	testNotificationEndpoint = endpoint{http.MethodPost, "/api/v1/notifications/test", map[string]string{}, TestAnswer{}}
)

// Monitors lists the server's monitors with their hashes.
func (c *Client) Monitors(ctx context.Context) ([]MonitorSummary, error) {
	var out monitorList
	if _, err := c.call(ctx, monitorsEndpoint, nil, nil, &out); err != nil {
		return nil, err
	}
	return out.Monitors, nil
}

// MonitorYAML reads one monitor's canonical YAML and its hash.
func (c *Client) MonitorYAML(ctx context.Context, id string) ([]byte, string, error) {
	return c.contentYAML(ctx, monitorYAMLEndpoint, id)
}

// PutMonitorYAML writes a monitor as YAML (see PutDashboardYAML).
func (c *Client) PutMonitorYAML(ctx context.Context, id string, body []byte, ifMatch string) (string, error) {
	return c.putContentYAML(ctx, putMonitorEndpoint, id, body, ifMatch)
}

// Noise reads the noise report since a duration back ("7d"), as the
// server's JSON.
func (c *Client) Noise(ctx context.Context, since, flap string) (json.RawMessage, error) {
	q := url.Values{"since": {since}}
	if flap != "" {
		q.Set("flap", flap)
	}
	ep := noiseEndpoint
	ep.path += "?" + q.Encode()
	return c.call(ctx, ep, nil, nil, nil)
}

// TestNotification sends a test event to one channel.
func (c *Client) TestNotification(ctx context.Context, channel string) (*TestAnswer, error) {
	var out TestAnswer
	if _, err := c.call(ctx, testNotificationEndpoint, nil, map[string]string{"channel": channel}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

var budgetsEndpoint = endpoint{http.MethodGet, "/api/v1/budgets", nil, json.RawMessage{}}

// Budgets reads every budget's current period, as the server's JSON.
func (c *Client) Budgets(ctx context.Context) (json.RawMessage, error) {
	return c.call(ctx, budgetsEndpoint, nil, nil, nil)
}

var (
	budgetYAMLEndpoint = endpoint{http.MethodGet, "/api/v1/budgets/{id}", nil, yamlText{}}
	putBudgetEndpoint  = endpoint{http.MethodPut, "/api/v1/budgets/{id}", yamlText{}, putAnswer{}}
)

// BudgetHashes are the hashes of the server's budget definitions, by id.
func (c *Client) BudgetHashes(ctx context.Context) (map[string]string, error) {
	raw, err := c.Budgets(ctx)
	if err != nil {
		return nil, err
	}
	var out struct {
		Budgets []struct{ ID, Hash string } `json:"budgets"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("GET /api/v1/budgets: %w", err)
	}
	hs := make(map[string]string, len(out.Budgets))
	for _, b := range out.Budgets {
		hs[b.ID] = b.Hash
	}
	return hs, nil
}

// BudgetYAML reads one budget's canonical YAML and its hash.
func (c *Client) BudgetYAML(ctx context.Context, id string) ([]byte, string, error) {
	return c.contentYAML(ctx, budgetYAMLEndpoint, id)
}

// PutBudgetYAML writes a budget as YAML (see PutDashboardYAML).
func (c *Client) PutBudgetYAML(ctx context.Context, id string, body []byte, ifMatch string) (string, error) {
	return c.putContentYAML(ctx, putBudgetEndpoint, id, body, ifMatch)
}

// BudgetUsage is a budget's recorded usage per minute, as the server
// answers GET /api/v1/budgets/{id}/usage.
type BudgetUsage struct {
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	Minutes []struct {
		Minute time.Time `json:"minute"`
		Bytes  float64   `json:"bytes"`
		Events float64   `json:"events"`
	} `json:"minutes"`
}

var budgetUsageEndpoint = endpoint{http.MethodGet, "/api/v1/budgets/{id}/usage", nil, BudgetUsage{}}

// BudgetUsage reads budget id's recorded usage from from to to (any time
// form of the API; empty: the server's defaults).
func (c *Client) BudgetUsage(ctx context.Context, id, from, to string) (*BudgetUsage, error) {
	q := url.Values{}
	if from != "" {
		q.Set("from", from)
	}
	if to != "" {
		q.Set("to", to)
	}
	ep := budgetUsageEndpoint
	ep.path += "?" + q.Encode()
	var out BudgetUsage
	if _, err := c.call(ctx, ep, []string{id}, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// BudgetReset is a manual reset as the server recorded it.
type BudgetReset struct {
	Budget string `json:"budget"`
	At     string `json:"at"`
	By     string `json:"by"`
	Reason string `json:"reason"`
}

var resetBudgetEndpoint = endpoint{http.MethodPost, "/api/v1/budgets/{id}/reset", map[string]string{}, BudgetReset{}}

// ResetBudget starts a budget's period over now.
func (c *Client) ResetBudget(ctx context.Context, id, reason string) (*BudgetReset, error) {
	var out BudgetReset
	if _, err := c.call(ctx, resetBudgetEndpoint, []string{id}, map[string]string{"reason": reason}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SilenceRequest creates a silence.
type SilenceRequest struct {
	Monitor  string            `json:"monitor,omitempty"`
	Matchers map[string]string `json:"matchers,omitempty"`
	Duration string            `json:"duration,omitempty"`
	Comment  string            `json:"comment,omitempty"`
}

// Silence is one silence.
type Silence struct {
	ID        string            `json:"id"`
	Monitor   string            `json:"monitor"`
	Matchers  map[string]string `json:"matchers"`
	StartsAt  string            `json:"starts_at"`
	EndsAt    string            `json:"ends_at"`
	Comment   string            `json:"comment"`
	CreatedBy string            `json:"created_by"`
}

type silenceEnded struct {
	ID    string `json:"id"`
	Ended bool   `json:"ended"`
}

type silenceList struct {
	Silences []Silence `json:"silences"`
}

var (
	createSilenceEndpoint = endpoint{http.MethodPost, "/api/v1/silences", SilenceRequest{}, Silence{}}
	silencesEndpoint      = endpoint{http.MethodGet, "/api/v1/silences", nil, silenceList{}}
	expireSilenceEndpoint = endpoint{http.MethodDelete, "/api/v1/silences/{id}", nil, silenceEnded{}}
)

// CreateSilence creates a silence.
func (c *Client) CreateSilence(ctx context.Context, req SilenceRequest) (*Silence, error) {
	var out Silence
	if _, err := c.call(ctx, createSilenceEndpoint, nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Silences lists the silences in force.
func (c *Client) Silences(ctx context.Context) ([]Silence, error) {
	var out silenceList
	if _, err := c.call(ctx, silencesEndpoint, nil, nil, &out); err != nil {
		return nil, err
	}
	return out.Silences, nil
}

// ExpireSilence ends a silence now.
func (c *Client) ExpireSilence(ctx context.Context, id string) error {
	_, err := c.call(ctx, expireSilenceEndpoint, []string{id}, nil, nil)
	return err
}
