package alerts

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"time"
)

// The states of one monitor's group.
const (
	StateOK       = "ok"
	StatePending  = "pending"
	StateFiring   = "firing"
	StateResolved = "resolved"
	StateNoData   = "no_data"
	StateError    = "error"
)

// alerting reports whether a state is one that pages: firing, no data
// and error.
func alerting(state string) bool {
	return state == StateFiring || state == StateNoData || state == StateError
}

// GroupState is the state of one monitor's group.
type GroupState struct {
	Monitor string
	Group   string
	Labels  map[string]string
	State   string
	// Since is when the group entered State (an evaluation's tick).
	Since time.Time
	// ActiveSince is when the condition started to hold (pending and
	// firing); LastHeld the last tick it held (for keep_firing_for).
	ActiveSince, LastHeld time.Time
	Value                 float64
	// LastEval is the tick of the last evaluation that read the group;
	// LastSeen the last whose result held it.
	LastEval, LastSeen time.Time
	// Link and DashboardURL are the context of the alert that fired last.
	Link, DashboardURL string
	// Error is the query's failure, in the error state.
	Error string
}

// Transition is one change of a group's state: the record kept in
// alert_transitions and what notifications are made of.
type Transition struct {
	ID      string
	Monitor string
	Group   string
	Labels  map[string]string
	From    string
	To      string
	At      time.Time
	Value   float64
	// Seq orders the transitions of one tick: notifications go out per
	// channel in (At, Seq) order.
	Seq          int
	Error        string
	Link         string
	DashboardURL string
	// Silenced names what kept it from being sent ("silence <id>",
	// "mute"), empty when it was sent.
	Silenced string
}

// Notifies reports whether t is sent: into or out of an alerting state.
func (t Transition) Notifies() bool { return alerting(t.To) || alerting(t.From) }

// Trigger reports whether t opens an alert (as opposed to resolving one).
func (t Transition) Trigger() bool { return alerting(t.To) }

// transitionID is deterministic, so that an evaluation repeated after a
// crash, or by a second replica, writes the same transition.
func transitionID(monitor, group, to string, at time.Time) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%s\x00%s\x00%d", monitor, group, to, at.UnixMilli()))
	return hex.EncodeToString(sum[:12])
}

// step applies one evaluation to a monitor's states (by group) and
// returns the transitions it makes; the states are updated in place.
// Hysteresis: a group is pending until its condition has held for For,
// and stays firing for KeepFiringFor after it stops holding.
func step(m *Monitor, states map[string]*GroupState, ev Evaluation) []Transition {
	var out []Transition
	move := func(g *GroupState, to string) {
		t := Transition{Monitor: m.ID, Group: g.Group, Labels: g.Labels, From: g.State, To: to, At: ev.Tick, Value: g.Value, Error: g.Error}
		t.ID = transitionID(m.ID, g.Group, to, ev.Tick)
		out = append(out, t)
		g.State, g.Since = to, ev.Tick
	}
	get := func(group string, labels map[string]string) *GroupState {
		g := states[group]
		if g == nil {
			g = &GroupState{Monitor: m.ID, Group: group, Labels: labels, State: StateOK}
			states[group] = g
		}
		return g
	}
	whole := get("", nil)
	if ev.Err != nil {
		whole.LastEval, whole.Error = ev.Tick, clipErr(ev.Err)
		if whole.State != StateError {
			move(whole, StateError)
		}
		return out
	}
	whole.Error = ""
	if whole.State == StateError {
		move(whole, StateOK)
	}
	fireAs := StateFiring
	if m.Condition.NoData {
		fireAs = StateNoData
	}
	seen := map[string]bool{}
	for _, s := range ev.Samples {
		seen[s.Group] = true
		g := get(s.Group, s.Labels)
		g.Value, g.LastEval, g.LastSeen = s.Value, ev.Tick, ev.Tick
		advance(m, g, s.Holds, ev.Tick, fireAs, move)
	}
	// A group the query no longer returns no longer holds.
	keys := make([]string, 0, len(states))
	for k := range states {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		g := states[k]
		if seen[k] || (k == "" && g.State == StateOK) {
			continue
		}
		if k != "" && (g.State == StateOK || g.State == StateResolved) && ev.Tick.Sub(g.LastSeen) > forgetAfter {
			// A group gone quiet for a day is forgotten, so that groups
			// of high cardinality do not pile up.
			delete(states, k)
			continue
		}
		g.LastEval = ev.Tick
		advance(m, g, false, ev.Tick, fireAs, move)
	}
	for i := range out {
		out[i].Seq = i
	}
	return out
}

// forgetAfter is how long an ok or resolved group the query no longer
// returns is kept.
const forgetAfter = 24 * time.Hour

// advance moves one group by whether its condition holds at tick.
func advance(m *Monitor, g *GroupState, holds bool, tick time.Time, fireAs string, move func(*GroupState, string)) {
	if holds {
		g.LastHeld = tick
		switch g.State {
		case StateOK, StateResolved, "":
			g.ActiveSince = tick
			if m.For <= 0 {
				move(g, fireAs)
			} else {
				move(g, StatePending)
			}
		case StatePending:
			if tick.Sub(g.ActiveSince) >= m.For.D() {
				move(g, fireAs)
			}
		}
		return
	}
	switch g.State {
	case StatePending:
		move(g, StateOK)
	case StateFiring, StateNoData:
		if m.KeepFiringFor > 0 && tick.Sub(g.LastHeld) < m.KeepFiringFor.D() {
			return
		}
		move(g, StateResolved)
	}
}

func clipErr(err error) string {
	s := err.Error()
	if len(s) > 2000 {
		s = s[:2000] + "…"
	}
	return s
}
