package alerts

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/logmart/logmart/dashboards"
)

// KindMonitor is the content kind of monitors in promotion.
const KindMonitor = "monitor"

// Monitor is one monitor as written in its YAML file under
// configs/monitors/, and as the API takes and returns it.
type Monitor struct {
	// ID names the monitor in alerts, links and promotion: letters,
	// digits, _ and -, at most 40 characters.
	ID          string `yaml:"id" json:"id"`
	Title       string `yaml:"title" json:"title"`
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	Owner       string `yaml:"owner" json:"owner"`
	// Severity is critical, error, warning or info.
	Severity string `yaml:"severity" json:"severity"`
	// Template and Params are the query: one template version, with its
	// parameters bound to literals. The range is the evaluation's window.
	Template dashboards.TemplateRef `yaml:"template" json:"template"`
	Params   map[string]any         `yaml:"params,omitempty" json:"params,omitempty"`
	// Every is the evaluation interval; evaluations fall on multiples of
	// it since the Unix epoch. Range is the window each one reads, ending
	// at the tick.
	Every Duration `yaml:"every" json:"every"`
	Range Duration `yaml:"range" json:"range"`
	// Condition decides, per group, whether the monitor's alert holds.
	Condition Condition `yaml:"condition" json:"condition"`
	// For is how long the condition must hold before the alert fires
	// (pending until then); KeepFiringFor how long a firing alert stays
	// firing after the condition stops holding.
	For           Duration `yaml:"for,omitempty" json:"for,omitempty"`
	KeepFiringFor Duration `yaml:"keep_firing_for,omitempty" json:"keep_firing_for,omitempty"`
	// GroupBy names the result columns whose values make one alert each.
	GroupBy     []string          `yaml:"group_by,omitempty" json:"group_by,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty" json:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty" json:"annotations,omitempty"`
	// Dashboard is what on-call opens: a dashboard uid and its variables,
	// shown over the evaluation's window.
	Dashboard *DashboardRef `yaml:"dashboard,omitempty" json:"dashboard,omitempty"`
	Playbook  string        `yaml:"playbook,omitempty" json:"playbook,omitempty"`
	// Escalation is the runbook's steps and contacts, embedded in every
	// page.
	Escalation string `yaml:"escalation,omitempty" json:"escalation,omitempty"`
	// Notify names the channels of alerts.channels that receive the
	// monitor's transitions.
	Notify []string `yaml:"notify,omitempty" json:"notify,omitempty"`
	// Mute lists windows during which transitions are recorded but not
	// sent (maintenance, business hours of a batch source).
	Mute []MuteWindow `yaml:"mute,omitempty" json:"mute,omitempty"`
}

// DashboardRef names a dashboard and binds its variables.
type DashboardRef struct {
	UID  string            `yaml:"uid" json:"uid"`
	Vars map[string]string `yaml:"vars,omitempty" json:"vars,omitempty"`
}

// Condition is one of: a value column against a threshold (Above or
// Below), a value against the same window a day or a week earlier
// (Change), NoData, or Expect "empty".
type Condition struct {
	// Column is the value column of a threshold or change condition.
	Column string `yaml:"column,omitempty" json:"column,omitempty"`
	// Reduce folds a group's rows into one value: max (the default), min,
	// sum, avg or last.
	Reduce string   `yaml:"reduce,omitempty" json:"reduce,omitempty"`
	Above  *float64 `yaml:"above,omitempty" json:"above,omitempty"`
	Below  *float64 `yaml:"below,omitempty" json:"below,omitempty"`
	Change *Change  `yaml:"change,omitempty" json:"change,omitempty"`
	// NoData fires when the query returns no rows: a source that went
	// quiet.
	NoData bool `yaml:"no_data,omitempty" json:"no_data,omitempty"`
	// Expect "empty" makes every row an alert, one per row key (GroupBy,
	// or the whole row): the checks that are good when empty.
	Expect string `yaml:"expect,omitempty" json:"expect,omitempty"`
}

// Change compares a group's value with the same window Against earlier
// (1d or 7d), in percent of the earlier value.
type Change struct {
	Against  Duration `yaml:"against" json:"against"`
	AbovePct *float64 `yaml:"above_pct,omitempty" json:"above_pct,omitempty"`
	BelowPct *float64 `yaml:"below_pct,omitempty" json:"below_pct,omitempty"`
}

// MuteWindow is a daily window, on some weekdays, in a time zone.
type MuteWindow struct {
	// Days are mon … sun; empty is every day.
	Days []string `yaml:"days,omitempty" json:"days,omitempty"`
	// From and To are HH:MM; a window whose To is not after From runs
	// past midnight.
	From     string `yaml:"from" json:"from"`
	To       string `yaml:"to" json:"to"`
	Timezone string `yaml:"timezone,omitempty" json:"timezone,omitempty"`
}

// The severities, most urgent first.
var Severities = []string{"critical", "error", "warning", "info"}

// Duration is a duration written as Go writes it ("90s", "5m", "1h30m"),
// or in days ("1d", "7d").
type Duration time.Duration

// ParseDuration reads a Duration.
func ParseDuration(s string) (Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		d, err := strconv.Atoi(n)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration (write 90s, 5m, 1h or 7d)", s)
		}
		return Duration(time.Duration(d) * 24 * time.Hour), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (write 90s, 5m, 1h or 7d)", s)
	}
	return Duration(d), nil
}

func (d Duration) String() string {
	t := time.Duration(d)
	if t != 0 && t%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(t/(24*time.Hour)), 10) + "d"
	}
	s := t.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// D is d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// UnmarshalYAML reads "5m" or "1d".
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!int" || n.Tag == "!!float" {
		return fmt.Errorf("line %d: %q is not a duration: write it with a unit (90s, 5m, 1h, 7d)", n.Line, n.Value)
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = v
	return nil
}

// MarshalJSON writes the duration as text.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// MarshalYAML writes the duration as text.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// Kind of condition, as states and notifications name it.
func (c Condition) Kind() string {
	switch {
	case c.NoData:
		return "no_data"
	case c.Expect != "":
		return "expect_empty"
	case c.Change != nil:
		return "change"
	case c.Above != nil:
		return "above"
	}
	return "below"
}

// Threshold is the condition's limit in words, for notifications.
func (c Condition) Threshold() string {
	switch {
	case c.NoData:
		return "no rows"
	case c.Expect != "":
		return "empty"
	case c.Change != nil && c.Change.AbovePct != nil:
		return fmt.Sprintf("%s up more than %g%% against %s earlier", c.Column, *c.Change.AbovePct, c.Change.Against)
	case c.Change != nil && c.Change.BelowPct != nil:
		return fmt.Sprintf("%s down more than %g%% against %s earlier", c.Column, *c.Change.BelowPct, c.Change.Against)
	case c.Above != nil:
		return fmt.Sprintf("%s > %g", c.Column, *c.Above)
	case c.Below != nil:
		return fmt.Sprintf("%s < %g", c.Column, *c.Below)
	}
	return ""
}

// ThresholdValue is the line the monitor's chart draws, when there is one.
func (c Condition) ThresholdValue() *float64 {
	if c.Change != nil {
		return nil
	}
	if c.Above != nil {
		return c.Above
	}
	return c.Below
}
