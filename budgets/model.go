package budgets

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"

	"github.com/logmart/logmart/dashboards"
	"github.com/logmart/logmart/store"
)

// KindBudget is the content kind of budgets in promotion.
const KindBudget = "budget"

// The actions a budget takes once exceeded.
const (
	ActionKeep        = "keep"
	ActionStop        = "stop"
	ActionArchiveOnly = "archive-only"
)

// Budget is one budget as written in its YAML file under configs/budgets/.
type Budget struct {
	ID          string `yaml:"id" json:"id"`
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	Owner       string `yaml:"owner" json:"owner"`
	// Scope is an expression over a record's metadata (Meta) choosing the
	// records the budget counts.
	Scope string `yaml:"scope" json:"scope"`
	// Capacity is bytes ("50GiB", "800MB") or events ("2000000 events").
	Capacity string `yaml:"capacity" json:"capacity"`
	Period   string `yaml:"period" json:"period"`
	Reset    string `yaml:"reset,omitempty" json:"reset,omitempty"`
	Timezone string `yaml:"timezone,omitempty" json:"timezone,omitempty"`
	Action   string `yaml:"action" json:"action"`
	// Thresholds are shares of the capacity that alert when crossed.
	Thresholds []float64 `yaml:"thresholds,omitempty" json:"thresholds,omitempty"`
	// LowerBound alerts when the period is forecast to end below it (a
	// source that went quiet), in the capacity's unit.
	LowerBound string         `yaml:"lower_bound,omitempty" json:"lower_bound,omitempty"`
	Forecast   ForecastConfig `yaml:"forecast,omitempty" json:"forecast,omitempty"`
	Notify     []string       `yaml:"notify,omitempty" json:"notify,omitempty"`
	Dashboard  string         `yaml:"dashboard,omitempty" json:"dashboard,omitempty"`
	Playbook   string         `yaml:"playbook,omitempty" json:"playbook,omitempty"`
}

// ForecastConfig tunes a budget's forecast.
type ForecastConfig struct {
	// Confidence is the share of the forecast's spread an alert needs
	// (default 0.9).
	Confidence float64 `yaml:"confidence,omitempty" json:"confidence,omitempty"`
	// Method is forecast (the default) or linear.
	Method string `yaml:"method,omitempty" json:"method,omitempty"`
}

// Meta is what a budget's scope reads of a record.
type Meta struct {
	Stream  string `expr:"stream"`
	Topic   string `expr:"topic"`
	Source  string `expr:"source"`
	Service string `expr:"service"`
	Host    string `expr:"host"`
	Tenant  string `expr:"tenant"`
	Level   string `expr:"level"`
}

// Amount is a capacity or bound: a number of bytes or of events.
type Amount struct {
	Value  float64
	Events bool
}

var (
	idRe      = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$`)
	hhmmRe    = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
	channelRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)
	amountRe  = regexp.MustCompile(`^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*$`)
	units     = map[string]float64{"": 1, "b": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40}
)

// ParseAmount reads "50GiB", "800 MB", "1.5TB", "123456" (bytes) or
// "2000000 events".
func ParseAmount(s string) (Amount, error) {
	m := amountRe.FindStringSubmatch(s)
	if m == nil {
		return Amount{}, fmt.Errorf("%q is not an amount: bytes (50GiB, 800MB, 1.5TB) or events (2000000 events)", clip(s))
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	unit := strings.ToLower(m[2])
	if unit == "events" || unit == "event" {
		return Amount{Value: v, Events: true}, nil
	}
	mult, ok := units[unit]
	if !ok {
		return Amount{}, fmt.Errorf("%q: unknown unit %q; bytes take B, KB, MB, GB, TB, KiB, MiB, GiB, TiB, or write events", clip(s), clip(m[2]))
	}
	return Amount{Value: v * mult}, nil
}

// CompileScope compiles a scope expression over Meta.
func CompileScope(s string) (*vm.Program, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("is required: an expression over stream, topic, source, service, host, tenant and level (true counts every record)")
	}
	return expr.Compile(s, expr.Env(Meta{}), expr.AsBool(), expr.MaxNodes(500))
}

var budgetSchema = dashboards.Schema{Noun: "a budget", MaxBytes: 64 << 10, Types: map[string]reflect.Type{
	"Budget": reflect.TypeOf(Budget{}), "ForecastConfig": reflect.TypeOf(ForecastConfig{}),
}, Nouns: map[string]string{"Budget": "a budget", "ForecastConfig": "forecast"}}

// Decode reads one budget strictly and validates it; every problem names
// its field (and line, in a file).
func Decode(b []byte, file string) (*Budget, dashboards.Positions, error) {
	var x Budget
	pos, err := dashboards.DecodeStrict(b, file, &x, budgetSchema)
	if err != nil {
		if len(bytes.TrimSpace(b)) == 0 {
			return nil, nil, dashboards.Problems([]*dashboards.Problem{{File: file, Msg: "is empty; a budget needs at least id, owner, scope, capacity, period and action"}})
		}
		return nil, nil, err
	}
	if x.Forecast.Confidence == 0 {
		x.Forecast.Confidence = 0.9
	}
	if x.Forecast.Method == "" {
		x.Forecast.Method = MethodForecast
	}
	if ps := Validate(&x); len(ps) > 0 {
		for _, p := range ps {
			p.File, p.Line = file, pos.Line(p.Field)
		}
		return nil, nil, dashboards.Problems(ps)
	}
	return &x, pos, nil
}

// Validate checks a budget on its own.
func Validate(x *Budget) []*dashboards.Problem {
	var ps []*dashboards.Problem
	add := func(field, format string, args ...any) {
		ps = append(ps, &dashboards.Problem{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if !idRe.MatchString(x.ID) {
		add("id", "%q is not an id: letters, digits, _ and -, at most 40", clip(x.ID))
	}
	if strings.TrimSpace(x.Owner) == "" {
		add("owner", "is required: the team that pays")
	}
	if _, err := CompileScope(x.Scope); err != nil {
		add("scope", "%s", strings.ReplaceAll(err.Error(), "\n", " "))
	}
	capa, err := ParseAmount(x.Capacity)
	switch {
	case err != nil:
		add("capacity", "%v", err)
	case capa.Value <= 0:
		add("capacity", "%q must be more than zero", clip(x.Capacity))
	}
	// Each of the period's fields on its own, so that every one at fault
	// is named.
	for _, err := range []error{first(ParsePeriod(x.Period, "", "")), first(ParsePeriod(PeriodDaily, x.Reset, "")), first(ParsePeriod(PeriodDaily, "", x.Timezone))} {
		if err != nil {
			field, msg, _ := strings.Cut(err.Error(), ": ")
			add(field, "%s", msg)
		}
	}
	if !slices.Contains([]string{ActionKeep, ActionStop, ActionArchiveOnly}, x.Action) {
		add("action", "%q is not keep, stop or archive-only", clip(x.Action))
	}
	for i, t := range x.Thresholds {
		if t <= 0 || t > 1 {
			add(fmt.Sprintf("thresholds[%d]", i), "%g: a threshold is a share of the capacity, above 0 and at most 1", t)
		}
	}
	if x.LowerBound != "" {
		lb, err := ParseAmount(x.LowerBound)
		switch {
		case err != nil:
			add("lower_bound", "%v", err)
		case lb.Events != capa.Events:
			add("lower_bound", "%q counts other units than the capacity %q", clip(x.LowerBound), clip(x.Capacity))
		case lb.Value >= capa.Value:
			add("lower_bound", "%q is not below the capacity %q", clip(x.LowerBound), clip(x.Capacity))
		}
	}
	if c := x.Forecast.Confidence; c < 0.5 || c >= 1 {
		add("forecast.confidence", "%g: a confidence is from 0.5 to below 1", c)
	}
	if x.Forecast.Method != MethodForecast && x.Forecast.Method != MethodLinear {
		add("forecast.method", "%q is not forecast or linear", clip(x.Forecast.Method))
	}
	for i, n := range x.Notify {
		if !channelRe.MatchString(n) {
			add(fmt.Sprintf("notify[%d]", i), "%q is not a channel name", clip(n))
		}
	}
	if x.Playbook != "" {
		if u, err := url.Parse(x.Playbook); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			add("playbook", "%q is not an http(s) URL", clip(x.Playbook))
		}
	}
	return ps
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// Canonical is x's canonical form; its SHA-256 is the budget's hash.
func Canonical(x *Budget) ([]byte, error) {
	return dashboards.CanonicalYAML(x, "budget "+strconv.Quote(x.ID))
}

func first(_ Period, err error) error { return err }

// Refs are what a budget names outside itself. Channel and Dashboard say
// whether a channel name or a dashboard uid exists; nil knows all.
type Refs struct {
	Channel   func(name string) bool
	Dashboard func(uid string) bool
}

// Check finds what Validate cannot see: channels and a dashboard that do
// not exist.
func Check(x *Budget, pos dashboards.Positions, file string, refs Refs) []*dashboards.Problem {
	var ps []*dashboards.Problem
	add := func(field, format string, args ...any) {
		ps = append(ps, &dashboards.Problem{File: file, Line: pos.Line(field), Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	for i, n := range x.Notify {
		if refs.Channel != nil && !refs.Channel(n) {
			add(fmt.Sprintf("notify[%d]", i), "no channel %q in alerts.channels", n)
		}
	}
	if x.Dashboard != "" && refs.Dashboard != nil && !refs.Dashboard(x.Dashboard) {
		add("dashboard", "no dashboard has uid %q", clip(x.Dashboard))
	}
	return ps
}

// Kind is budgets as content for a dashboards.Library, lint and
// promotion, checked against refs (nil: each budget on its own).
func Kind(refs *Refs) dashboards.Kind[*Budget] {
	k := dashboards.Kind[*Budget]{Name: KindBudget, Table: "budgets", Decode: Decode,
		UID: func(b *Budget) string { return b.ID }, Canonical: Canonical}
	if refs != nil {
		k.Check = func(_ context.Context, b *Budget, pos dashboards.Positions, file string, _ func(string) bool, _ bool) []*dashboards.Problem {
			return Check(b, pos, file, *refs)
		}
	}
	return k
}

// Library returns the budgets an instance enforces: the files of dir and
// the ones written through the API (the budgets table).
func Library(dir string, st store.Store, refs *Refs, log *slog.Logger) *dashboards.Library[*Budget] {
	return dashboards.NewLibrary(Kind(refs), dir, st, log)
}
