package alerts

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// alertManager pushes alerts to an Alertmanager's API (POST
// /api/v2/alerts), where teams route, group, inhibit and silence them. A
// firing alert carries an end a few resend periods ahead and is resent
// while it fires (Resend), as Prometheus does, so Alertmanager resolves it
// by itself if logmart stops; a resolve ends it at once.
type alertManager struct {
	url    string
	resend time.Duration
	client *http.Client
}

// AlertmanagerAlerts renders events as the body of POST /api/v2/alerts.
func AlertmanagerAlerts(resend time.Duration, events ...Event) ([]byte, error) {
	out := make([]amAlert, len(events))
	for i, e := range events {
		a := e.alert(4 * resend)
		a.Status, a.Fingerprint = "", ""
		out[i] = a
	}
	return json.Marshal(out)
}

func (a *alertManager) Send(ctx context.Context, e Event) Sent {
	return a.push(ctx, e)
}

// Resend pushes the alerts still firing again.
func (a *alertManager) Resend(ctx context.Context, events []Event) Sent {
	if len(events) == 0 {
		return Sent{}
	}
	return a.push(ctx, events...)
}

func (a *alertManager) push(ctx context.Context, events ...Event) Sent {
	body, err := AlertmanagerAlerts(a.resend, events...)
	if err != nil {
		return Sent{Err: err, Final: true}
	}
	return post(ctx, a.client, strings.TrimRight(a.url, "/")+"/api/v2/alerts", body, nil)
}
