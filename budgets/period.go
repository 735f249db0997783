package budgets

import (
	"fmt"
	"time"
)

// The periods a budget counts over.
const (
	PeriodMinute = "minute"
	PeriodHourly = "hourly"
	PeriodDaily  = "daily"
)

// Period is a budget's counting period: its kind, its reset time of day
// (for hourly, the minute past the hour) and its time zone.
type Period struct {
	Kind     string
	ResetH   int
	ResetM   int
	Location *time.Location
}

// ParsePeriod reads a period kind, a reset "HH:MM" and an IANA zone; each
// error names the field.
func ParsePeriod(kind, reset, zone string) (Period, error) {
	p := Period{Kind: kind, Location: time.UTC}
	switch kind {
	case PeriodMinute, PeriodHourly, PeriodDaily:
	default:
		return p, fmt.Errorf("period: %q is not minute, hourly or daily", clip(kind))
	}
	if reset != "" {
		if !hhmmRe.MatchString(reset) {
			return p, fmt.Errorf("reset: %q is not a time of day (HH:MM, 00:00 to 23:59)", clip(reset))
		}
		_, _ = fmt.Sscanf(reset, "%d:%d", &p.ResetH, &p.ResetM)
	}
	if zone != "" {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			return p, fmt.Errorf("timezone: %q is not an IANA time zone (Europe/Paris, America/New_York, UTC)", clip(zone))
		}
		p.Location = loc
	}
	return p, nil
}

// Start is the start of the period holding t.
func (p Period) Start(t time.Time) time.Time {
	lt := t.In(p.Location)
	switch p.Kind {
	case PeriodMinute:
		return lt.Truncate(time.Minute)
	case PeriodHourly:
		s := time.Date(lt.Year(), lt.Month(), lt.Day(), lt.Hour(), p.ResetM, 0, 0, p.Location)
		if s.After(lt) {
			s = s.Add(-time.Hour)
		}
		return s
	}
	s := time.Date(lt.Year(), lt.Month(), lt.Day(), p.ResetH, p.ResetM, 0, 0, p.Location)
	if s.After(lt) {
		s = time.Date(lt.Year(), lt.Month(), lt.Day()-1, p.ResetH, p.ResetM, 0, 0, p.Location)
	}
	return s
}

// End is the end of the period starting at start (the next one's start):
// a day is 23 or 25 hours across a daylight-saving change.
func (p Period) End(start time.Time) time.Time {
	switch p.Kind {
	case PeriodMinute:
		return start.Add(time.Minute)
	case PeriodHourly:
		return start.Add(time.Hour)
	}
	s := start.In(p.Location)
	return time.Date(s.Year(), s.Month(), s.Day()+1, p.ResetH, p.ResetM, 0, 0, p.Location)
}

// Length is the nominal length of a period.
func (p Period) Length() time.Duration {
	switch p.Kind {
	case PeriodMinute:
		return time.Minute
	case PeriodHourly:
		return time.Hour
	}
	return 24 * time.Hour
}
