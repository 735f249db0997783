package alerts

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Event is one notification as every channel kind renders it: a monitor's
// transition or a budget's, with the context to act on it.
type Event struct {
	// ID identifies the transition; a channel's delivery of it is ID +
	// channel name.
	ID string `json:"id"`
	// Source is "monitor" or "budget"; Key pairs a trigger with its
	// resolve (PagerDuty's dedup_key): the monitor and group, or the
	// budget and period.
	Source string `json:"source"`
	Key    string `json:"key"`
	// Action is "trigger" or "resolve"; State the state entered.
	Action   string `json:"action"`
	State    string `json:"state"`
	Severity string `json:"severity"`
	Title    string `json:"title"`
	Summary  string `json:"summary"`
	// Value and Threshold in words, as the page shows them.
	Value     string `json:"value"`
	Threshold string `json:"threshold"`
	// Labels identify the alert (alertname, monitor, severity, the group's
	// labels, the monitor's labels); Annotations describe it.
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations,omitempty"`
	// Link is the shared link pinned to what the monitor saw; the others
	// are absolute URLs too.
	Link         string    `json:"link,omitempty"`
	DashboardURL string    `json:"dashboard_url,omitempty"`
	Playbook     string    `json:"playbook,omitempty"`
	Escalation   string    `json:"escalation,omitempty"`
	StartsAt     time.Time `json:"starts_at"`
	At           time.Time `json:"at"`
	// Window is the range the evaluation read.
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Notifier is the one way anything in logmart sends a notification:
// monitors here, budgets in their package. Notify records each event for
// each of its channels in the outbox before it returns; delivery follows.
type Notifier interface {
	Notify(ctx context.Context, channels []string, events ...Event) error
}

// Sent is what a receiver answered one delivery.
type Sent struct {
	// Status is the HTTP status (0 when none came back).
	Status int
	// Body is the start of the answer, for the API and `notify test`.
	Body string
	// RetryAfter is the receiver's Retry-After, when it gave one.
	RetryAfter time.Duration
	// Err says why the delivery did not succeed; nil is delivered.
	Err error
	// Final marks a refusal retrying cannot change (a 4xx other than 408
	// and 429): the delivery fails at once.
	Final bool
}

// Channel is one configured receiver.
type Channel interface {
	Send(ctx context.Context, e Event) Sent
}

// maxAnswer bounds what is kept of a receiver's answer.
const maxAnswer = 2048

// post sends body to url and classifies the answer.
func post(ctx context.Context, client *http.Client, url string, body []byte, header http.Header) Sent {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return Sent{Err: err, Final: true}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "logmart")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err != nil {
		return Sent{Err: fmt.Errorf("cannot reach the receiver: %w", err)}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	s := Sent{Status: resp.StatusCode, Body: strings.TrimSpace(string(b))}
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return s
	case c == http.StatusTooManyRequests || c == http.StatusRequestTimeout || c >= 500:
		s.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), time.Now())
		s.Err = fmt.Errorf("the receiver answered %d %s", c, http.StatusText(c))
	default:
		s.Err = fmt.Errorf("the receiver refused the event: %d %s: %s", c, http.StatusText(c), clip(s.Body))
		s.Final = true
	}
	return s
}

// retryAfter reads Retry-After: seconds, or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
