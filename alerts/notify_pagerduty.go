package alerts

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// PagerDutyURL is the Events API v2 endpoint.
const PagerDutyURL = "https://events.pagerduty.com/v2/enqueue"

// pagerDuty sends to the PagerDuty Events API v2: a trigger and its
// resolve share the dedup_key (the event's Key), so PagerDuty pairs them
// and folds repeats of a trigger into one incident.
type pagerDuty struct {
	url, routingKey string
	client          *http.Client
}

type pdLink struct {
	Href string `json:"href"`
	Text string `json:"text"`
}

type pdPayload struct {
	Summary       string         `json:"summary"`
	Source        string         `json:"source"`
	Severity      string         `json:"severity"`
	Timestamp     string         `json:"timestamp"`
	Component     string         `json:"component,omitempty"`
	Group         string         `json:"group,omitempty"`
	Class         string         `json:"class,omitempty"`
	CustomDetails map[string]any `json:"custom_details,omitempty"`
}

type pdEvent struct {
	RoutingKey  string     `json:"routing_key"`
	EventAction string     `json:"event_action"`
	DedupKey    string     `json:"dedup_key"`
	Payload     *pdPayload `json:"payload,omitempty"`
	Links       []pdLink   `json:"links,omitempty"`
	Client      string     `json:"client,omitempty"`
	ClientURL   string     `json:"client_url,omitempty"`
}

// pdSeverity maps a monitor's severity onto PagerDuty's four.
func pdSeverity(s string) string {
	switch s {
	case "critical", "error", "warning", "info":
		return s
	}
	return "error"
}

// PagerDutyEvent renders e as an Events API v2 event.
func PagerDutyEvent(e Event, routingKey string) ([]byte, error) {
	ev := pdEvent{RoutingKey: routingKey, EventAction: e.Action, DedupKey: e.Key}
	if e.Action == "trigger" {
		summary := e.Title + ": " + e.Summary
		if len(summary) > 1024 {
			summary = summary[:1021] + "..."
		}
		ev.Payload = &pdPayload{
			Summary: summary, Source: "logmart " + e.Source + " " + e.Labels["monitor"] + e.Labels["budget"],
			Severity: pdSeverity(e.Severity), Timestamp: e.At.UTC().Format(time.RFC3339Nano),
			Component: e.Labels["service"], Group: e.Labels["team"], Class: e.State,
			CustomDetails: map[string]any{
				"state": e.State, "value": e.Value, "threshold": e.Threshold, "labels": e.Labels,
				"window": e.From.UTC().Format(time.RFC3339) + " – " + e.To.UTC().Format(time.RFC3339),
				"link":   e.Link, "dashboard": e.DashboardURL, "playbook": e.Playbook, "escalation": e.Escalation,
				"annotations": e.Annotations,
			},
		}
		ev.Client, ev.ClientURL = "logmart", e.Link
		for _, l := range []pdLink{{e.Link, "What the monitor saw (pinned link)"}, {e.DashboardURL, "Dashboard"}, {e.Playbook, "Playbook"}} {
			if l.Href != "" {
				ev.Links = append(ev.Links, l)
			}
		}
	}
	return json.Marshal(ev)
}

func (p *pagerDuty) Send(ctx context.Context, e Event) Sent {
	body, err := PagerDutyEvent(e, p.routingKey)
	if err != nil {
		return Sent{Err: err, Final: true}
	}
	return post(ctx, p.client, p.url, body, nil)
}
