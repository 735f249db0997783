package alerts

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

const goodMonitor = `id: api_errors
title: API errors
owner: sre
severity: error
template: {id: errors_by_service, version: 1}
every: 1m
range: 5m
condition: {column: errors, above: 10}
`

// TestDecodeNamesTheFieldAtFault: bad input fails with the field (and
// line) named.
func TestDecodeNamesTheFieldAtFault(t *testing.T) {
	if _, _, err := Decode([]byte(goodMonitor), "m.yaml"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ edit, want string }{
		{"colour: red\n", `m.yaml:9: unknown key "colour"; a monitor takes id, title`},
		{"", ""},
		{"for: -5m\n", "for: -5m: must not be negative"},
		{"keep_firing_for: 10\n", `"10" is not a duration`},
		{"group_by: [service, service]\n", `group_by[1]: "service" is listed twice`},
		{"labels: {monitor: x}\n", "labels.monitor: is set by logmart"},
		{"playbook: javascript:alert(1)\n", `playbook: "javascript:alert(1)" is not an http(s) URL`},
		{"mute: [{from: '25:00', to: '06:00', timezone: Mars/Olympus}]\n", "mute[0].from"},
		{"notify: ['a b']\n", `notify[0]: "a b" is not a channel name`},
	} {
		if c.edit == "" {
			continue
		}
		_, _, err := Decode([]byte(goodMonitor+c.edit), "m.yaml")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.edit, err, c.want)
		}
	}
	for _, c := range []struct{ from, to, want string }{
		{"every: 1m", "every: -1m", "every: -1m: the evaluation interval must be positive"},
		{"every: 1m", "every: 5s", "every: 5s: the evaluation interval is at least 10s"},
		{"severity: error", "severity: loud", `severity: "loud" is not a severity`},
		{"range: 5m", "range: 90d", "range: 90d: the window is at most 31d"},
		{"condition: {column: errors, above: 10}", "condition: {column: errors, above: 10, no_data: true}", "condition: set exactly one of"},
		{"condition: {column: errors, above: 10}", "condition: {above: 10}", "condition.column: is required"},
		{"condition: {column: errors, above: 10}", "condition: {column: errors, change: {against: 1d}}", "condition.change: set one of above_pct and below_pct"},
		{"condition: {column: errors, above: 10}", "condition: {expect: full}", `condition.expect: "full"`},
		{"id: api_errors", "id: ../etc", `id: "../etc" is not an id`},
		{"version: 1", "version: one", `the text "one" where a whole number is expected`},
	} {
		_, _, err := Decode([]byte(strings.Replace(goodMonitor, c.from, c.to, 1)), "m.yaml")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.to, err, c.want)
		}
	}
	if _, _, err := Decode([]byte(strings.Repeat("#", MaxFileBytes+1)), ""); err == nil || !strings.Contains(err.Error(), "bytes, more than") {
		t.Errorf("oversized: %v", err)
	}
	if _, _, err := Decode(nil, "m.yaml"); err == nil || !strings.Contains(err.Error(), "is empty") {
		t.Errorf("empty: %v", err)
	}
}

// TestCanonicalIsStable: key order and comments do not change the hash.
func TestCanonicalIsStable(t *testing.T) {
	a, _, _ := Decode([]byte(goodMonitor), "")
	b, _, err := Decode([]byte("# note\n"+strings.Replace(goodMonitor, "owner: sre\nseverity: error\n", "severity: error\nowner: sre\n", 1)), "")
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := Canonical(a)
	cb, _ := Canonical(b)
	if string(ca) != string(cb) {
		t.Fatalf("%s\n!=\n%s", ca, cb)
	}
	c, _, err := Decode(ca, "")
	if err != nil {
		t.Fatalf("the canonical form does not decode: %v\n%s", err, ca)
	}
	if cc, _ := Canonical(c); string(cc) != string(ca) {
		t.Fatal("canonical is not a fixed point")
	}
}

// TestHysteresis: pending until for has passed, firing through
// keep_firing_for, then resolved; a failing query is the error state and
// its recovery a transition of its own.
func TestHysteresis(t *testing.T) {
	m := &Monitor{ID: "m", For: Duration(2 * time.Minute), KeepFiringFor: Duration(2 * time.Minute), Condition: Condition{Column: "v", Above: ptr(1)}}
	states := map[string]*GroupState{}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ev := func(min int, holds bool) []string {
		var out []string
		for _, tr := range step(m, states, Evaluation{Tick: t0.Add(time.Duration(min) * time.Minute), Samples: []Sample{{Group: "g", Holds: holds}}}) {
			out = append(out, tr.From+">"+tr.To)
		}
		return out
	}
	want := []struct {
		min   int
		holds bool
		moves string
	}{
		{0, true, "ok>pending"}, {1, true, ""}, {2, true, "pending>firing"}, {3, false, ""}, {4, false, "firing>resolved"},
		{5, true, "resolved>pending"}, {6, false, "pending>ok"},
	}
	for _, w := range want {
		if got := strings.Join(ev(w.min, w.holds), ","); got != w.moves {
			t.Fatalf("minute %d holds %v: %q, want %q", w.min, w.holds, got, w.moves)
		}
	}
	tr := step(m, states, Evaluation{Tick: t0.Add(7 * time.Minute), Err: errString("boom")})
	if len(tr) != 1 || tr[0].To != StateError || tr[0].Group != "" || !tr[0].Trigger() {
		t.Fatalf("error: %+v", tr)
	}
	if tr := step(m, states, Evaluation{Tick: t0.Add(8 * time.Minute), Err: errString("boom")}); len(tr) != 0 {
		t.Fatalf("a second failure moved: %+v", tr)
	}
	tr = step(m, states, Evaluation{Tick: t0.Add(9 * time.Minute)})
	if len(tr) != 1 || tr[0].From != StateError || tr[0].To != StateOK || !tr[0].Notifies() || tr[0].Trigger() {
		t.Fatalf("recovery: %+v", tr)
	}
	if a, b := transitionID("m", "g", "firing", t0), transitionID("m", "g", "firing", t0); a != b || a == transitionID("m", "h", "firing", t0) {
		t.Fatal("transition ids are not deterministic per group")
	}
}

type errString string

func (e errString) Error() string { return string(e) }

func TestMuteWindows(t *testing.T) {
	w := []MuteWindow{{Days: []string{"sat"}, From: "22:00", To: "02:00", Timezone: "Europe/Paris"}}
	at := func(s string) time.Time {
		loc, _ := time.LoadLocation("Europe/Paris")
		v, _ := time.ParseInLocation("2006-01-02 15:04", s, loc)
		return v
	}
	for s, want := range map[string]int{"2026-12-05 23:00": 0, "2026-12-06 01:00": 0, "2026-12-06 03:00": -1, "2026-12-04 23:00": -1, "2026-12-07 01:00": -1} {
		if got := muted(w, at(s)); got != want {
			t.Errorf("%s: %d, want %d", s, got, want)
		}
	}
}

func TestBackoffAndRetryAfter(t *testing.T) {
	o := &Outbox{cfg: OutboxConfig{MinBackoff: time.Second, MaxBackoff: 10 * time.Second}}
	for n, lo := range map[uint32]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 9: 10 * time.Second} {
		if d := o.backoff(n, 0); d < lo || d > lo*6/5+time.Millisecond {
			t.Errorf("attempt %d: %s", n, d)
		}
	}
	if d := o.backoff(1, 30*time.Second); d != 30*time.Second {
		t.Errorf("Retry-After 30s: %s", d)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if d := retryAfter("120", now); d != 2*time.Minute {
		t.Error(d)
	}
	if d := retryAfter(now.Add(time.Minute).Format(http.TimeFormat), now); d != time.Minute {
		t.Error(d)
	}
	if d := retryAfter("soon", now); d != 0 {
		t.Error(d)
	}
}

func TestDurationText(t *testing.T) {
	for s, want := range map[string]string{"10s": "10s", "1m": "1m", "90s": "1m30s", "1h": "1h", "1h30m": "1h30m", "2d": "2d", "0s": "0s", "1h0m10s": "1h0m10s"} {
		d, err := ParseDuration(s)
		if err != nil || d.String() != want {
			t.Errorf("%s: %q %v, want %q", s, d.String(), err, want)
		}
	}
}
