package alerts

import (
	"context"
	"log/slog"
)

// logChannel is the embedded default receiver: it writes each event to
// logmart's log, and the Alerts page shows the deliveries with their
// payloads, so a demo shows notifications arriving with nothing else to
// run.
type logChannel struct {
	name string
	log  *slog.Logger
}

func (l *logChannel) Send(_ context.Context, e Event) Sent {
	l.log.Info("notification", "channel", l.name, "action", e.Action, "state", e.State, "key", e.Key,
		"title", e.Title, "value", e.Value, "link", e.Link, "dashboard", e.DashboardURL)
	return Sent{Status: 200, Body: "logged"}
}
