package budgets

import (
	"fmt"
	"time"
)

// The alert states of a budget in a period.
const (
	StateOK            = "ok"
	StateForecastOver  = "forecast_over"
	StateThreshold     = "threshold_crossed"
	StateExceeded      = "exceeded"
	StateForecastUnder = "forecast_under"
)

// Limits are what a period's usage is judged against.
type Limits struct {
	Capacity float64
	// Thresholds are shares of the capacity (0.85) that alert when
	// crossed; LowerBound alerts when the period is forecast to end below
	// it (0: none).
	Thresholds []float64
	LowerBound float64
	// Hold is how many evaluations in a row a forecast condition must
	// hold before its alert fires, and stop holding before it clears.
	Hold int
}

// Alert is one alert a budget's period raised.
type Alert struct {
	At          time.Time `json:"time"`
	PeriodStart time.Time `json:"period_start"`
	State       string    `json:"state"`
	// Threshold is the share crossed, for threshold_crossed.
	Threshold float64 `json:"threshold,omitempty"`
	Usage     float64 `json:"usage"`
	Forecast  float64 `json:"forecast"`
	Lower     float64 `json:"lower"`
	Upper     float64 `json:"upper"`
	Method    string  `json:"method"`
	// LeadTimeSeconds is, for a forecast-over alert in a period that
	// exceeded its capacity, how long before the breach it fired.
	LeadTimeSeconds float64 `json:"lead_time_seconds,omitempty"`
}

// Alerter keeps one budget's alert states through a period, with
// hysteresis, and says which alerts each evaluation raises.
type Alerter struct {
	lim               Limits
	period            time.Time
	over, under       bool
	overRun, underRun int
	overOff, underOff int
	exceeded          bool
	crossed           map[float64]bool
}

// NewAlerter returns the alerter of a budget with limits lim.
func NewAlerter(lim Limits) *Alerter {
	if lim.Hold < 1 {
		lim.Hold = 1
	}
	return &Alerter{lim: lim, crossed: map[float64]bool{}}
}

// Observe judges one evaluation of the period starting at start and
// returns the alerts it raises (an alert is raised once per period, when
// its condition starts to hold).
func (a *Alerter) Observe(at, start time.Time, f Forecast) []Alert {
	if !start.Equal(a.period) {
		*a = Alerter{lim: a.lim, period: start, crossed: map[float64]bool{}}
	}
	mk := func(state string) Alert {
		return Alert{At: at, PeriodStart: start, State: state, Usage: f.Usage, Forecast: f.Point, Lower: f.Lower, Upper: f.Upper, Method: f.Method}
	}
	var out []Alert
	capacity := a.lim.Capacity
	if !a.exceeded && capacity > 0 && f.Usage >= capacity {
		a.exceeded = true
		out = append(out, mk(StateExceeded))
	}
	for _, t := range a.lim.Thresholds {
		if t < 1 && !a.crossed[t] && f.Usage >= t*capacity {
			a.crossed[t] = true
			al := mk(StateThreshold)
			al.Threshold = t
			out = append(out, al)
		}
	}
	if f.Ready && !a.exceeded {
		if a.step(&a.over, &a.overRun, &a.overOff, f.Lower > capacity, f.Point < capacity) {
			out = append(out, mk(StateForecastOver))
		}
	}
	if f.Ready && a.lim.LowerBound > 0 {
		if a.step(&a.under, &a.underRun, &a.underOff, f.Upper < a.lim.LowerBound, f.Point >= a.lim.LowerBound) {
			out = append(out, mk(StateForecastUnder))
		}
	}
	return out
}

// step moves one forecast condition: it fires after Hold evaluations in a
// row that hold, and clears after Hold in a row that clear. It reports
// whether it fired now.
func (a *Alerter) step(on *bool, run, off *int, holds, clears bool) bool {
	switch {
	case holds:
		*off = 0
		*run++
		if !*on && *run >= a.lim.Hold {
			*on = true
			return true
		}
	case clears:
		*run = 0
		*off++
		if *on && *off >= a.lim.Hold {
			*on = false
		}
	default:
		*run = 0
	}
	return false
}

// State is the most urgent state now.
func (a *Alerter) State() string {
	switch {
	case a.exceeded:
		return StateExceeded
	case a.over:
		return StateForecastOver
	case len(a.crossed) > 0:
		return StateThreshold
	case a.under:
		return StateForecastUnder
	}
	return StateOK
}

func (a Alert) String() string {
	return fmt.Sprintf("%s %s usage %.0f forecast %.0f [%.0f, %.0f]", a.At.Format(time.RFC3339), a.State, a.Usage, a.Forecast, a.Lower, a.Upper)
}
