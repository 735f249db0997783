package alerts

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// slack posts to a Slack incoming webhook: blocks with the title, the
// value against the threshold, the labels, and buttons for the pinned
// link, the dashboard and the playbook.
type slack struct {
	url    string
	client *http.Client
}

// SlackMessage renders e as an incoming-webhook message.
func SlackMessage(e Event) ([]byte, error) {
	icon := map[string]string{"firing": ":red_circle:", "no_data": ":large_orange_circle:", "error": ":warning:"}[e.State]
	if e.Action == "resolve" {
		icon = ":large_green_circle:"
	}
	head := fmt.Sprintf("%s [%s] %s", icon, strings.ToUpper(e.State), e.Title)
	var labels []string
	for k, v := range e.Labels {
		labels = append(labels, fmt.Sprintf("`%s=%s`", k, v))
	}
	sort.Strings(labels)
	text := fmt.Sprintf("*%s*\nValue: *%s* (threshold: %s)\nWindow: %s – %s UTC\n%s",
		slackEscape(e.Summary), slackEscape(e.Value), slackEscape(e.Threshold),
		e.From.UTC().Format("2006-01-02 15:04:05"), e.To.UTC().Format("15:04:05"), strings.Join(labels, " "))
	blocks := []any{
		map[string]any{"type": "header", "text": map[string]any{"type": "plain_text", "text": clipText(head, 150)}},
		map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": clipText(text, 3000)}},
	}
	if e.Escalation != "" && e.Action == "trigger" {
		blocks = append(blocks, map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": clipText("*Escalation*\n"+slackEscape(e.Escalation), 3000)}})
	}
	var buttons []any
	for _, b := range [][2]string{{"What the monitor saw", e.Link}, {"Dashboard", e.DashboardURL}, {"Playbook", e.Playbook}} {
		if b[1] != "" {
			buttons = append(buttons, map[string]any{"type": "button", "text": map[string]any{"type": "plain_text", "text": b[0]}, "url": b[1]})
		}
	}
	if len(buttons) > 0 {
		blocks = append(blocks, map[string]any{"type": "actions", "elements": buttons})
	}
	return json.Marshal(map[string]any{"text": head + " — " + e.Summary, "blocks": blocks})
}

func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

func (s *slack) Send(ctx context.Context, e Event) Sent {
	body, err := SlackMessage(e)
	if err != nil {
		return Sent{Err: err, Final: true}
	}
	return post(ctx, s.client, s.url, body, nil)
}
