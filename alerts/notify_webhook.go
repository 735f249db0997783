package alerts

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// Headers of a signed webhook delivery. The signature is
// "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + body)), so a
// receiver can check both the body and its age.
const (
	SignatureHeader = "X-Logmart-Signature"
	TimestampHeader = "X-Logmart-Timestamp"
	DeliveryHeader  = "X-Logmart-Delivery"
)

// webhook posts an Alertmanager-compatible payload (version 4), signed
// with HMAC when a secret is set.
type webhook struct {
	name, url, secret string
	client            *http.Client
}

type amAlert struct {
	Status       string            `json:"status,omitempty"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt,omitzero"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint,omitempty"`
}

// annotations are the event's annotations plus its context, as
// Alertmanager's templates read them.
func (e Event) annotations() map[string]string {
	a := map[string]string{"summary": e.Summary, "value": e.Value, "threshold": e.Threshold}
	for k, v := range e.Annotations {
		a[k] = v
	}
	for k, v := range map[string]string{"link": e.Link, "dashboard": e.DashboardURL, "runbook_url": e.Playbook, "escalation": e.Escalation} {
		if v != "" {
			a[k] = v
		}
	}
	return a
}

// alert is e as one Alertmanager alert. A resolve ends at its time; a
// firing alert ends when it is not resent within resendFor.
func (e Event) alert(resendFor time.Duration) amAlert {
	a := amAlert{Labels: e.Labels, Annotations: e.annotations(), StartsAt: e.StartsAt.UTC(), GeneratorURL: e.Link, Fingerprint: e.Key}
	if e.Action == "resolve" {
		// Alertmanager resolves an alert whose end has passed.
		a.Status, a.EndsAt = "resolved", e.At.UTC()
		if now := time.Now().UTC(); a.EndsAt.After(now) {
			a.EndsAt = now
		}
	} else {
		a.Status = "firing"
		if resendFor > 0 {
			a.EndsAt = time.Now().UTC().Add(resendFor)
		}
	}
	return a
}

// WebhookPayload renders e as Alertmanager's webhook payload, version 4.
func WebhookPayload(e Event, receiver string) ([]byte, error) {
	a := e.alert(0)
	status := "firing"
	if e.Action == "resolve" {
		status = "resolved"
	}
	return json.Marshal(map[string]any{
		"version": "4", "groupKey": e.Key, "truncatedAlerts": 0, "status": status, "receiver": receiver,
		"groupLabels": map[string]string{"alertname": e.Labels["alertname"]}, "commonLabels": e.Labels,
		"commonAnnotations": a.Annotations, "externalURL": e.DashboardURL, "alerts": []amAlert{a},
	})
}

// Sign is the signature header's value for body sent at ts.
func Sign(secret string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts, 10) + "."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func (w *webhook) Send(ctx context.Context, e Event) Sent {
	body, err := WebhookPayload(e, w.name)
	if err != nil {
		return Sent{Err: err, Final: true}
	}
	h := http.Header{DeliveryHeader: {e.ID}}
	if w.secret != "" {
		ts := time.Now().Unix()
		h.Set(TimestampHeader, strconv.FormatInt(ts, 10))
		h.Set(SignatureHeader, Sign(w.secret, ts, body))
	}
	return post(ctx, w.client, w.url, body, h)
}
