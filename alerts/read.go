package alerts

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/store"
)

// Alert is one monitor group that is not ok, as GET /api/v1/alerts shows
// it.
type Alert struct {
	Monitor      string            `json:"monitor"`
	Title        string            `json:"title"`
	Severity     string            `json:"severity"`
	Group        string            `json:"group"`
	Labels       map[string]string `json:"labels"`
	State        string            `json:"state"`
	Since        time.Time         `json:"since"`
	Value        float64           `json:"value"`
	Threshold    string            `json:"threshold"`
	Error        string            `json:"error,omitempty"`
	Link         string            `json:"link"`
	DashboardURL string            `json:"dashboard_url"`
	Playbook     string            `json:"playbook,omitempty"`
	Silenced     string            `json:"silenced,omitempty"`
	// AckedBy and AckedAt are the last acknowledgement since the group
	// entered its state, if any.
	AckedBy string     `json:"acked_by,omitempty"`
	AckedAt *time.Time `json:"acked_at,omitempty"`
}

// Alerts lists the groups that are pending, firing, without data or in
// error, and those resolved in the last hour, from the state table (so
// every replica answers alike).
func (s *Service) Alerts(ctx context.Context) ([]Alert, error) {
	res, err := s.st.Query(ctx, store.Query{SQL: `SELECT monitor, group_key, labels, state, toUnixTimestamp64Milli(since), value, link, dashboard_url, error
FROM monitor_state FINAL
WHERE state IN ('pending', 'firing', 'no_data', 'error') OR (state = 'resolved' AND since > now() - INTERVAL 1 HOUR)
ORDER BY state = 'resolved', since DESC, monitor, group_key`})
	if err != nil {
		return nil, fmt.Errorf("cannot read the alert states: %w", err)
	}
	acks, err := s.st.Query(ctx, store.Query{SQL: `SELECT monitor, group_key, argMax(acked_by, acked_at), toUnixTimestamp64Milli(max(acked_at))
FROM alert_acks WHERE acked_at > now() - INTERVAL 30 DAY GROUP BY monitor, group_key`})
	if err != nil {
		return nil, fmt.Errorf("cannot read the acknowledgements: %w", err)
	}
	type ack struct {
		by string
		at time.Time
	}
	acked := map[string]ack{}
	for _, r := range acks.Rows {
		acked[store.CellString(r[0])+"\x00"+store.CellString(r[1])] = ack{store.CellString(r[2]), store.CellUnixMilli(r[3])}
	}
	mons := s.monitorsByID(ctx)
	out := make([]Alert, 0, len(res.Rows))
	now := s.now()
	for _, r := range res.Rows {
		a := Alert{Monitor: store.CellString(r[0]), Group: store.CellString(r[1]), Labels: cellMap(r[2]), State: store.CellString(r[3]),
			Since: store.CellUnixMilli(r[4]), Value: mustFloat(r[5]), Link: store.CellString(r[6]), DashboardURL: store.CellString(r[7]),
			Error: store.CellString(r[8])}
		if k, ok := acked[a.Monitor+"\x00"+a.Group]; ok && !k.at.Before(a.Since) {
			a.AckedBy, a.AckedAt = k.by, &k.at
		}
		if m := mons[a.Monitor]; m != nil {
			a.Title, a.Severity, a.Threshold, a.Playbook = m.Title, m.Severity, m.Condition.Threshold(), m.Playbook
			labels := map[string]string{"alertname": m.ID, "monitor": m.ID, "severity": m.Severity}
			for k, v := range m.Labels {
				labels[k] = v
			}
			for k, v := range a.Labels {
				labels[k] = v
			}
			a.Silenced = s.silencedBy(m, labels, now)
		}
		out = append(out, a)
	}
	return out, nil
}

func (s *Service) monitorsByID(ctx context.Context) map[string]*Monitor {
	out := map[string]*Monitor{}
	if list, err := s.lib.List(ctx); err == nil {
		for _, e := range list {
			out[e.Item.ID] = e.Item
		}
	}
	return out
}

// Notification is one delivery as GET /api/v1/notifications shows it.
type Notification struct {
	ID           string    `json:"id"`
	Channel      string    `json:"channel"`
	TransitionID string    `json:"transition_id"`
	Key          string    `json:"key"`
	Action       string    `json:"action"`
	State        string    `json:"state"`
	Attempts     uint32    `json:"attempts"`
	Status       int       `json:"status"`
	Answer       string    `json:"answer,omitempty"`
	Error        string    `json:"error,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	NextAttempt  time.Time `json:"next_attempt"`
	Event        Event     `json:"event"`
}

// NotificationFilter narrows Notifications.
type NotificationFilter struct {
	Channel, State string
	// Monitor keeps one monitor's deliveries, Budget one ingest budget's
	// (events of source budget, keyed budget/period).
	Monitor, Budget string
	Limit           int
}

// Notifications lists deliveries, newest first.
func (s *Service) Notifications(ctx context.Context, f NotificationFilter) ([]Notification, error) {
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 200
	}
	if f.State != "" && f.State != DeliveryPending && f.State != DeliverySent && f.State != DeliveryFailed {
		return nil, fault.New(fault.BadInput, "state: %q is not pending, sent or failed", clip(f.State))
	}
	for field, v := range map[string]string{"monitor": f.Monitor, "budget": f.Budget} {
		if v != "" && !idRe.MatchString(v) {
			return nil, fault.New(fault.BadInput, "%s: %q is not an id: letters, digits, _ and -, at most 40", field, clip(v))
		}
	}
	res, err := s.st.Query(ctx, store.Query{SQL: "SELECT " + deliveryColumns + `
FROM notifications FINAL
WHERE ({c:String} = '' OR channel = {c:String}) AND ({s:String} = '' OR state = {s:String})
  AND ({m:String} = '' OR source = 'monitor' AND (key = {m:String} OR startsWith(key, {m:String} || '/')))
  AND ({b:String} = '' OR source = 'budget' AND startsWith(key, {b:String} || '/'))
ORDER BY created_at DESC, seq DESC, id LIMIT {n:UInt32}`,
		Params: map[string]string{"c": f.Channel, "s": f.State, "m": f.Monitor, "b": f.Budget, "n": strconv.Itoa(f.Limit)}})
	if err != nil {
		return nil, fmt.Errorf("cannot read the notifications: %w", err)
	}
	out := make([]Notification, 0, len(res.Rows))
	for _, r := range res.Rows {
		d, err := readDelivery(r)
		if err != nil {
			continue
		}
		out = append(out, Notification{ID: d.ID, Channel: d.Channel, TransitionID: d.TransitionID, Key: d.Key, Action: d.Action,
			State: d.State, Attempts: d.Attempts, Status: d.Status, Answer: d.Answer, Error: d.Error, CreatedAt: d.CreatedAt,
			NextAttempt: d.NextAttempt, Event: d.Event})
	}
	return out, nil
}

// TransitionRecord is one stored transition.
type TransitionRecord struct {
	ID           string            `json:"id"`
	Monitor      string            `json:"monitor"`
	Group        string            `json:"group"`
	Labels       map[string]string `json:"labels"`
	From         string            `json:"from"`
	To           string            `json:"to"`
	At           time.Time         `json:"at"`
	Value        float64           `json:"value"`
	Error        string            `json:"error,omitempty"`
	Link         string            `json:"link,omitempty"`
	DashboardURL string            `json:"dashboard_url,omitempty"`
	Silenced     string            `json:"silenced,omitempty"`
}

// Transitions lists a monitor's transitions since a time (every monitor's
// when monitor is empty), oldest first.
func (s *Service) Transitions(ctx context.Context, monitor string, since time.Time, limit int) ([]TransitionRecord, error) {
	if limit <= 0 || limit > 100000 {
		limit = 1000
	}
	res, err := s.st.Query(ctx, store.Query{SQL: `SELECT id, monitor, group_key, labels, from_state, to_state, toUnixTimestamp64Milli(at), value, error, link, dashboard_url, silenced
FROM alert_transitions FINAL
WHERE ({m:String} = '' OR monitor = {m:String}) AND at >= fromUnixTimestamp64Milli({since:Int64})
ORDER BY at, seq LIMIT {n:UInt32}`, Params: map[string]string{"m": monitor, "since": strconv.FormatInt(since.UnixMilli(), 10), "n": strconv.Itoa(limit)}})
	if err != nil {
		return nil, fmt.Errorf("cannot read the transitions: %w", err)
	}
	out := make([]TransitionRecord, 0, len(res.Rows))
	for _, r := range res.Rows {
		out = append(out, TransitionRecord{ID: store.CellString(r[0]), Monitor: store.CellString(r[1]), Group: store.CellString(r[2]),
			Labels: cellMap(r[3]), From: store.CellString(r[4]), To: store.CellString(r[5]), At: store.CellUnixMilli(r[6]),
			Value: mustFloat(r[7]), Error: store.CellString(r[8]), Link: store.CellString(r[9]), DashboardURL: store.CellString(r[10]),
			Silenced: store.CellString(r[11])})
	}
	return out, nil
}

// Ack records that who took the alert of monitor and group.
func (s *Service) Ack(ctx context.Context, monitor, group, who, comment string) error {
	if !idRe.MatchString(monitor) {
		return fault.New(fault.BadInput, "monitor: %q is not a monitor id", clip(monitor))
	}
	return table{name: "alert_acks", structure: "monitor String, group_key String, acked_at_ms Int64, acked_by String, comment String"}.
		insert(ctx, s.st, []map[string]any{{"monitor": monitor, "group_key": group, "acked_at_ms": ms(s.now()), "acked_by": who, "comment": clip2(comment, 1000)}})
}

// resendEvery is the shortest resend period of the Alertmanager channels.
func (s *Service) resendEvery() time.Duration {
	d := time.Minute
	for _, c := range s.out.channels {
		if am, ok := c.(*alertManager); ok {
			d = min(d, am.resend)
		}
	}
	return d
}

// resend pushes every alert still firing, and not silenced, to the
// Alertmanager channels its monitor notifies, as Alertmanager expects of
// a client.
func (s *Service) resend(ctx context.Context) {
	byChannel := map[string][]Event{}
	res, err := s.st.Query(ctx, store.Query{SQL: `SELECT monitor, group_key, argMax(event, (at, seq)), argMax(to_state, (at, seq)), argMax(silenced, (at, seq))
FROM alert_transitions FINAL WHERE at > now() - INTERVAL 30 DAY GROUP BY monitor, group_key`})
	if err != nil {
		s.log.Warn("alerts: cannot read the alerts to resend", "err", err)
		return
	}
	mons := s.monitorsByID(ctx)
	for _, r := range res.Rows {
		m := mons[store.CellString(r[0])]
		if m == nil || !alerting(store.CellString(r[3])) || store.CellString(r[4]) != "" {
			continue
		}
		var e Event
		if json.Unmarshal([]byte(store.CellString(r[2])), &e) != nil {
			continue
		}
		for _, c := range m.Notify {
			if _, ok := s.out.channels[c].(*alertManager); ok {
				byChannel[c] = append(byChannel[c], e)
			}
		}
	}
	for c, events := range byChannel {
		if sent := s.out.channels[c].(*alertManager).Resend(ctx, events); sent.Err != nil {
			s.log.Warn("alerts: cannot resend the firing alerts to Alertmanager", "channel", c, "err", sent.Err)
		}
	}
}

// TestEvent sends a test event to one channel directly, not through the
// outbox, and returns the receiver's answer.
func (s *Service) TestEvent(ctx context.Context, channel, who string) (Sent, error) {
	ch, ok := s.out.channels[channel]
	if !ok {
		return Sent{}, fault.New(fault.NotFound, "no channel %q in alerts.channels", clip(channel))
	}
	now := s.now().UTC()
	e := Event{ID: fmt.Sprintf("test-%d", now.UnixNano()), Source: "test", Key: "logmart-test/" + channel, Action: "trigger", State: StateFiring,
		Severity: "info", Title: "logmart test notification", Summary: "a test event sent by " + who + " with logmart notify test",
		Value: "1", Threshold: "none", Labels: map[string]string{"alertname": "logmart_test", "monitor": "logmart_test", "severity": "info"},
		Link: s.cfg.BaseURL, StartsAt: now, At: now, From: now.Add(-time.Minute), To: now}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	sent := ch.Send(sctx, e)
	if sent.Err == nil && e.Action == "trigger" {
		// Close what was opened, so the receiver is left as it was.
		e.Action, e.State, e.At = "resolve", StateResolved, s.now().UTC()
		ch.Send(sctx, e)
	}
	return sent, nil
}
