package alerts

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/logmart/logmart/store"
)

var transitionsTable = table{name: "alert_transitions", structure: "id String, monitor String, group_key String, labels Map(String, String), " +
	"from_state String, to_state String, at_ms Int64, seq UInt32, value Float64, severity String, error String, link String, " +
	"dashboard_url String, silenced String, channels Array(String), event String"}

var stateTable = table{name: "monitor_state", structure: "monitor String, group_key String, labels Map(String, String), state String, " +
	"since_ms Int64, active_since_ms Int64, last_held_ms Int64, last_eval_ms Int64, value Float64, link String, dashboard_url String, " +
	"error String, version UInt64"}

// apply records one evaluation: the transitions it makes (first, the log
// everything else follows from), their notifications, then the groups'
// states.
func (s *Service) apply(ctx context.Context, m *Monitor, ev Evaluation) error {
	s.mu.Lock()
	states := s.states[m.ID]
	if states == nil {
		states = map[string]*GroupState{}
		s.states[m.ID] = states
	}
	ts := step(m, states, ev)
	s.mu.Unlock()
	if len(ts) == 0 {
		return s.writeStates(ctx, m, states, nil, ev)
	}
	link := ""
	for _, t := range ts {
		if t.Trigger() && s.pin != nil {
			id, err := s.pin.Pin(ctx, Query{Monitor: m.ID, Template: m.Template.ID, Version: m.Template.Version, Params: m.Params, From: ev.From, To: ev.To},
				m.Title+" (monitor "+m.ID+")")
			if err != nil {
				s.log.Warn("alerts: cannot pin the evaluation's link", "monitor", m.ID, "err", err)
			} else {
				link = strings.TrimRight(s.cfg.BaseURL, "/") + "/s/" + id
			}
			break
		}
	}
	rows := make([]map[string]any, 0, len(ts))
	var send []Event
	for i := range ts {
		t := &ts[i]
		s.mu.Lock()
		g := states[t.Group]
		if t.Trigger() {
			g.Link, g.DashboardURL = link, s.dashboardURL(m, t.Labels, ev.From, ev.To)
		}
		t.Link, t.DashboardURL = g.Link, g.DashboardURL
		startsAt := g.ActiveSince
		s.mu.Unlock()
		e := s.event(m, *t, ev, startsAt)
		var channels []string
		if t.Notifies() {
			t.Silenced = s.silencedBy(m, e.Labels, s.now())
			if t.Silenced == "" {
				channels = m.Notify
				send = append(send, e)
			}
		}
		b, _ := json.Marshal(e)
		if channels == nil {
			channels = []string{}
		}
		rows = append(rows, map[string]any{"id": t.ID, "monitor": m.ID, "group_key": t.Group, "labels": nonNil(t.Labels),
			"from_state": t.From, "to_state": t.To, "at_ms": ms(t.At), "seq": t.Seq, "value": t.Value, "severity": m.Severity,
			"error": t.Error, "link": t.Link, "dashboard_url": t.DashboardURL, "silenced": t.Silenced, "channels": channels, "event": string(b)})
	}
	if err := transitionsTable.insert(ctx, s.st, rows); err != nil {
		return err
	}
	if len(send) > 0 && len(m.Notify) > 0 {
		if err := s.out.Notify(ctx, m.Notify, send...); err != nil {
			return err
		}
	}
	return s.writeStates(ctx, m, states, ts, ev)
}

// writeStates writes the groups that changed, and the value of the ones
// that alert, so every replica's API shows them as they are.
func (s *Service) writeStates(ctx context.Context, m *Monitor, states map[string]*GroupState, ts []Transition, ev Evaluation) error {
	changed := map[string]bool{}
	for _, t := range ts {
		changed[t.Group] = true
	}
	version := uint64(s.now().UnixNano())
	var rows []map[string]any
	s.mu.Lock()
	for k, g := range states {
		if !changed[k] && !(alerting(g.State) || g.State == StatePending) {
			continue
		}
		rows = append(rows, map[string]any{"monitor": m.ID, "group_key": k, "labels": nonNil(g.Labels), "state": g.State,
			"since_ms": ms(g.Since), "active_since_ms": ms(g.ActiveSince), "last_held_ms": ms(g.LastHeld), "last_eval_ms": ms(ev.Tick),
			"value": g.Value, "link": g.Link, "dashboard_url": g.DashboardURL, "error": g.Error, "version": version})
	}
	s.mu.Unlock()
	return stateTable.insert(ctx, s.st, rows)
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// event is a transition as every channel renders it.
func (s *Service) event(m *Monitor, t Transition, ev Evaluation, startsAt time.Time) Event {
	labels := map[string]string{}
	for k, v := range m.Labels {
		labels[k] = v
	}
	for k, v := range t.Labels {
		labels[k] = v
	}
	labels["alertname"], labels["monitor"], labels["severity"] = m.ID, m.ID, m.Severity
	key := m.ID
	if t.Group != "" {
		key += "/" + t.Group
	}
	e := Event{ID: t.ID, Source: "monitor", Key: key, Action: "resolve", State: t.To, Severity: m.Severity, Title: m.Title,
		Value: strconv.FormatFloat(t.Value, 'g', 6, 64), Threshold: m.Condition.Threshold(), Labels: labels, Annotations: m.Annotations,
		Link: t.Link, DashboardURL: t.DashboardURL, Playbook: m.Playbook, Escalation: m.Escalation,
		StartsAt: startsAt.UTC(), At: t.At.UTC(), From: ev.From.UTC(), To: ev.To.UTC()}
	if e.StartsAt.IsZero() {
		e.StartsAt = e.At
	}
	where := ""
	if t.Group != "" {
		where = " for " + t.Group
	}
	switch t.To {
	case StateFiring:
		e.Action = "trigger"
		e.Summary = fmt.Sprintf("%s is %s%s over %s (threshold: %s)", m.Condition.Column, e.Value, where, m.Range, e.Threshold)
		if m.Condition.Expect != "" {
			e.Summary = fmt.Sprintf("%s row(s)%s where none are expected, over %s", e.Value, where, m.Range)
		}
	case StateNoData:
		e.Action = "trigger"
		e.Summary = fmt.Sprintf("no rows over the last %s: the source went quiet", m.Range)
	case StateError:
		e.Action = "trigger"
		e.Summary = "the monitor's query fails: " + t.Error
		e.Value = "error"
	default:
		e.Summary = fmt.Sprintf("resolved%s: %s is now %s", where, valueName(m), e.Value)
		if t.From == StateError {
			e.Summary = "the monitor's query answers again"
		}
	}
	return e
}

func valueName(m *Monitor) string {
	if m.Condition.Column != "" {
		return m.Condition.Column
	}
	return "the row count"
}

// dashboardURL is the monitor's dashboard over the window, with its
// variables bound; a value "$label" takes the group's label.
func (s *Service) dashboardURL(m *Monitor, labels map[string]string, from, to time.Time) string {
	if m.Dashboard == nil {
		return ""
	}
	q := url.Values{}
	q.Set("from", from.UTC().Format(time.RFC3339))
	q.Set("to", to.UTC().Format(time.RFC3339))
	names := make([]string, 0, len(m.Dashboard.Vars))
	for k := range m.Dashboard.Vars {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := m.Dashboard.Vars[k]
		if l, ok := strings.CutPrefix(v, "$"); ok && !strings.HasPrefix(l, "$") {
			if lv, ok := labels[l]; ok {
				v = lv
			} else if lv, ok := m.Labels[l]; ok {
				v = lv
			}
		}
		q.Add("var-"+k, v)
	}
	return strings.TrimRight(s.cfg.BaseURL, "/") + "/d/" + url.PathEscape(m.Dashboard.UID) + "?" + q.Encode()
}

// ensureLoaded reads the states once per lease: the latest transition of
// every group is its state (the log is the truth; the state table may lag
// it by a crash), and transitions queued for channels but never written
// to the outbox are queued again.
func (s *Service) ensureLoaded(ctx context.Context) error {
	s.mu.Lock()
	loaded := s.loaded
	s.mu.Unlock()
	if loaded {
		return nil
	}
	res, err := s.st.Query(ctx, store.Query{SQL: `SELECT monitor, group_key, argMax(labels, (at, seq)), argMax(to_state, (at, seq)),
  toUnixTimestamp64Milli(max(at)), argMax(value, (at, seq)), argMax(link, (at, seq)), argMax(dashboard_url, (at, seq)),
  toUnixTimestamp64Milli(maxIf(at, to_state IN ('pending', 'firing', 'no_data', 'error') AND from_state NOT IN ('pending', 'firing', 'no_data', 'error')))
FROM alert_transitions FINAL GROUP BY monitor, group_key`})
	if err != nil {
		return err
	}
	states := map[string]map[string]*GroupState{}
	for _, r := range res.Rows {
		mon := store.CellString(r[0])
		g := &GroupState{Monitor: mon, Group: store.CellString(r[1]), Labels: cellMap(r[2]), State: store.CellString(r[3]),
			Since: store.CellUnixMilli(r[4]), Value: mustFloat(r[5]), Link: store.CellString(r[6]), DashboardURL: store.CellString(r[7])}
		g.ActiveSince, g.LastHeld = store.CellUnixMilli(r[8]), g.Since
		if states[mon] == nil {
			states[mon] = map[string]*GroupState{}
		}
		states[mon][g.Group] = g
	}
	if err := s.requeue(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	s.states, s.loaded = states, true
	s.mu.Unlock()
	return nil
}

// requeue writes to the outbox the transitions of the last day that were
// meant for channels but have no notification: a crash came between the
// two writes.
func (s *Service) requeue(ctx context.Context) error {
	res, err := s.st.Query(ctx, store.Query{SQL: `SELECT event, channels FROM alert_transitions FINAL
WHERE at > now() - INTERVAL 1 DAY AND length(channels) > 0 AND silenced = ''
  AND id NOT IN (SELECT transition_id FROM notifications WHERE created_at > now() - INTERVAL 2 DAY)
ORDER BY at, seq`})
	if err != nil {
		return fmt.Errorf("cannot read the transitions to queue again: %w", err)
	}
	for _, r := range res.Rows {
		var e Event
		if err := json.Unmarshal([]byte(store.CellString(r[0])), &e); err != nil {
			continue
		}
		var chans []string
		for _, c := range cellList(r[1]) {
			if s.out.Has(c) {
				chans = append(chans, c)
			}
		}
		if len(chans) > 0 {
			if err := s.out.Notify(ctx, chans, e); err != nil {
				return err
			}
			s.log.Info("alerts: queued a transition written before a restart", "key", e.Key, "state", e.State)
		}
	}
	return nil
}

func cellMap(v any) map[string]string {
	out := map[string]string{}
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			out[k] = store.CellString(val)
		}
	case string:
		_ = json.Unmarshal([]byte(x), &out)
	}
	return out
}

func cellList(v any) []string {
	var out []string
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			out = append(out, store.CellString(e))
		}
	case string:
		_ = json.Unmarshal([]byte(x), &out)
	}
	return out
}

func mustFloat(v any) float64 {
	f, _ := cellFloat(v)
	return f
}
