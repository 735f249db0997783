package alerts

import (
	"bytes"
	"fmt"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/logmart/logmart/dashboards"
)

// MaxFileBytes bounds one monitor's YAML (a file, or an API body).
const MaxFileBytes = 256 << 10

var monitorSchema = dashboards.Schema{Noun: "a monitor", MaxBytes: MaxFileBytes, Types: map[string]reflect.Type{
	"Monitor": reflect.TypeOf(Monitor{}), "DashboardRef": reflect.TypeOf(DashboardRef{}),
	"Condition": reflect.TypeOf(Condition{}), "Change": reflect.TypeOf(Change{}),
	"MuteWindow": reflect.TypeOf(MuteWindow{}), "TemplateRef": reflect.TypeOf(dashboards.TemplateRef{}),
}, Nouns: map[string]string{"Monitor": "a monitor", "DashboardRef": "dashboard", "TemplateRef": "template",
	"Condition": "condition", "Change": "change", "MuteWindow": "a mute window"}}

var (
	idRe    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$`)
	labelRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)
	hhmmRe  = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
	weekday = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
		"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}
)

// Labels a monitor may not set: logmart sets them on every alert.
var reservedLabels = []string{"alertname", "monitor", "severity"}

// Bounds of a monitor's times.
const (
	MinEvery = 10 * time.Second
	MaxRange = 31 * 24 * time.Hour
)

// Decode reads one monitor strictly (unknown keys, wrong types and a
// second document are problems naming the line), then checks it on its
// own (Validate). file names the source in problems.
func Decode(b []byte, file string) (*Monitor, dashboards.Positions, error) {
	var m Monitor
	pos, err := dashboards.DecodeStrict(b, file, &m, monitorSchema)
	if err != nil {
		if len(bytes.TrimSpace(b)) == 0 {
			return nil, nil, dashboards.Problems([]*dashboards.Problem{{File: file, Msg: "is empty; a monitor needs at least id, title, owner, severity, template, every, range and condition"}})
		}
		return nil, nil, err
	}
	if m.Condition.Kind() != "no_data" && m.Condition.Kind() != "expect_empty" && m.Condition.Reduce == "" {
		m.Condition.Reduce = "max"
	}
	if ps := Validate(&m); len(ps) > 0 {
		for _, p := range ps {
			p.File, p.Line = file, pos.Line(p.Field)
		}
		return nil, nil, dashboards.Problems(ps)
	}
	return &m, pos, nil
}

// Canonical is m's canonical form: YAML with sorted keys, no comments, the
// defaults filled in. Its SHA-256 is the monitor's hash.
func Canonical(m *Monitor) ([]byte, error) {
	return dashboards.CanonicalYAML(m, "monitor "+strconv.Quote(m.ID))
}

// Validate checks a monitor on its own: every problem, each naming its
// field.
func Validate(m *Monitor) []*dashboards.Problem {
	var ps []*dashboards.Problem
	add := func(field, format string, args ...any) {
		ps = append(ps, &dashboards.Problem{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	switch {
	case m.ID == "":
		add("id", "is required")
	case !idRe.MatchString(m.ID):
		add("id", "%q is not an id: letters, digits, _ and -, at most 40, starting with a letter or digit", clip(m.ID))
	}
	if strings.TrimSpace(m.Title) == "" {
		add("title", "is required")
	}
	if strings.TrimSpace(m.Owner) == "" {
		add("owner", "is required: the team that answers the page")
	}
	if !slices.Contains(Severities, m.Severity) {
		add("severity", "%q is not a severity: %s", clip(m.Severity), strings.Join(Severities, ", "))
	}
	if m.Template.ID == "" {
		add("template.id", "is required")
	}
	if m.Template.Version == 0 {
		add("template.version", "is required (1 or more): a monitor pins the version it runs")
	}
	switch e := m.Every.D(); {
	case e <= 0:
		add("every", "%s: the evaluation interval must be positive", m.Every)
	case e < MinEvery:
		add("every", "%s: the evaluation interval is at least %s", m.Every, MinEvery)
	}
	switch r := m.Range.D(); {
	case r <= 0:
		add("range", "%s: the window must be positive", m.Range)
	case r > MaxRange:
		add("range", "%s: the window is at most %s", m.Range, Duration(MaxRange))
	}
	if m.For < 0 {
		add("for", "%s: must not be negative", m.For)
	}
	if m.KeepFiringFor < 0 {
		add("keep_firing_for", "%s: must not be negative", m.KeepFiringFor)
	}
	validateCondition(m, add)
	seen := map[string]bool{}
	for i, g := range m.GroupBy {
		f := fmt.Sprintf("group_by[%d]", i)
		switch {
		case g == "":
			add(f, "is empty")
		case seen[g]:
			add(f, "%q is listed twice", clip(g))
		}
		seen[g] = true
	}
	for k := range m.Labels {
		switch {
		case !labelRe.MatchString(k):
			add("labels."+k, "%q is not a label name: letters, digits and _, not starting with a digit", clip(k))
		case slices.Contains(reservedLabels, k):
			add("labels."+k, "is set by logmart on every alert (%s)", strings.Join(reservedLabels, ", "))
		}
	}
	for k := range m.Annotations {
		if !labelRe.MatchString(k) {
			add("annotations."+k, "%q is not an annotation name: letters, digits and _", clip(k))
		}
	}
	if m.Dashboard != nil && !idRe.MatchString(m.Dashboard.UID) {
		add("dashboard.uid", "%q is not a dashboard uid", clip(m.Dashboard.UID))
	}
	if m.Playbook != "" {
		if u, err := url.Parse(m.Playbook); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			add("playbook", "%q is not an http(s) URL", clip(m.Playbook))
		}
	}
	for i, n := range m.Notify {
		if !labelRe.MatchString(n) {
			add(fmt.Sprintf("notify[%d]", i), "%q is not a channel name", clip(n))
		}
	}
	for i, w := range m.Mute {
		f := fmt.Sprintf("mute[%d]", i)
		for j, d := range w.Days {
			if _, ok := weekday[d]; !ok {
				add(fmt.Sprintf("%s.days[%d]", f, j), "%q is not a day: mon, tue, wed, thu, fri, sat or sun", clip(d))
			}
		}
		if !hhmmRe.MatchString(w.From) {
			add(f+".from", "%q is not a time of day (HH:MM)", clip(w.From))
		}
		if !hhmmRe.MatchString(w.To) {
			add(f+".to", "%q is not a time of day (HH:MM)", clip(w.To))
		}
		if _, err := time.LoadLocation(w.Timezone); err != nil {
			add(f+".timezone", "%q is not an IANA time zone", clip(w.Timezone))
		}
	}
	return ps
}

func validateCondition(m *Monitor, add func(field, format string, args ...any)) {
	c := m.Condition
	n := 0
	for _, set := range []bool{c.Above != nil || c.Below != nil, c.Change != nil, c.NoData, c.Expect != ""} {
		if set {
			n++
		}
	}
	if n != 1 {
		add("condition", "set exactly one of above or below, change, no_data and expect")
		return
	}
	switch {
	case c.Expect != "":
		if c.Expect != "empty" {
			add("condition.expect", "%q: the one expectation is empty", clip(c.Expect))
		}
		if c.Column != "" || c.Reduce != "" {
			add("condition", "expect: empty takes no column or reduce: every row is an alert")
		}
		return
	case c.NoData:
		if c.Column != "" || c.Reduce != "" {
			add("condition", "no_data takes no column or reduce")
		}
		if len(m.GroupBy) > 0 {
			add("group_by", "no_data is one alert for the whole query: leave group_by out")
		}
		return
	}
	if c.Column == "" {
		add("condition.column", "is required: the value column the condition compares")
	}
	if !slices.Contains([]string{"max", "min", "sum", "avg", "last"}, c.Reduce) {
		add("condition.reduce", "%q: reduce is max, min, sum, avg or last", clip(c.Reduce))
	}
	if c.Above != nil && c.Below != nil && *c.Below <= *c.Above {
		add("condition.below", "%g with above %g: no value can be both", *c.Below, *c.Above)
	}
	if ch := c.Change; ch != nil {
		if a := ch.Against.D(); a <= 0 || a > 28*24*time.Hour {
			add("condition.change.against", "%s: compare against 1d or 7d earlier (at most 28d)", ch.Against)
		}
		if (ch.AbovePct == nil) == (ch.BelowPct == nil) {
			add("condition.change", "set one of above_pct and below_pct")
		}
		for _, p := range []*float64{ch.AbovePct, ch.BelowPct} {
			if p != nil && *p <= 0 {
				add("condition.change", "%g: a change in percent must be positive", *p)
			}
		}
	}
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
