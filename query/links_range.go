package query

import (
	"strconv"
	"strings"
	"time"

	"github.com/logmart/logmart/fault"
)

// ResolveRange turns a link's from and to into an absolute range, relative
// to now. Each end is an RFC 3339 time (2026-11-21T10:00:00Z), unix seconds
// or milliseconds, "now", or "now-<duration>"; from may also be
// "last <duration>" (then an empty to means now). Durations are Go durations
// (90s, 15m, 1h30m) or whole days and weeks (7d, 2w). Relative ends are cut
// to whole seconds, absolute ones to milliseconds, the precision links keep.
// The error names the end at fault.
func ResolveRange(from, to string, now time.Time) (time.Time, time.Time, error) {
	now = now.UTC().Truncate(time.Second)
	from, to = strings.TrimSpace(from), strings.TrimSpace(to)
	if from == "" {
		return time.Time{}, time.Time{}, fault.New(fault.BadInput, "from is required: an RFC 3339 time, now-1h or last 1h")
	}
	var f, t time.Time
	if rest, ok := cutFold(from, "last "); ok {
		d, err := parseSpan(strings.TrimSpace(rest))
		if err != nil {
			return f, t, fault.New(fault.BadInput, "from %q: %v", clip(from), err)
		}
		f = now.Add(-d)
		if to == "" {
			return f, now, nil
		}
	} else {
		var err error
		if f, err = resolveTime("from", from, now); err != nil {
			return f, t, err
		}
	}
	if to == "" {
		return f, t, fault.New(fault.BadInput, "to is required: an RFC 3339 time or now")
	}
	t, err := resolveTime("to", to, now)
	if err != nil {
		return f, t, err
	}
	if !f.Before(t) {
		return f, t, fault.New(fault.BadInput, "from (%s) must be before to (%s)", f.Format(time.RFC3339Nano), t.Format(time.RFC3339Nano))
	}
	return f, t, nil
}

func resolveTime(field, v string, now time.Time) (time.Time, error) {
	if strings.EqualFold(v, "now") {
		return now, nil
	}
	if rest, ok := cutFold(v, "now"); ok {
		rest = strings.TrimSpace(rest)
		if r, ok := strings.CutPrefix(rest, "-"); ok {
			d, err := parseSpan(strings.TrimSpace(r))
			if err != nil {
				return time.Time{}, fault.New(fault.BadInput, "%s %q: %v", field, clip(v), err)
			}
			return now.Add(-d), nil
		}
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC().Truncate(time.Millisecond), nil
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
		if n > 1e11 {
			return time.UnixMilli(n).UTC(), nil
		}
		return time.Unix(n, 0).UTC(), nil
	}
	return time.Time{}, fault.New(fault.BadInput, "%s %q is not a time: use RFC 3339 (2026-11-21T10:00:00Z), unix seconds, now, now-1h or last 1h", field, clip(v))
}

// maxSpan bounds relative ranges; ten years is more than any retention.
const maxSpan = 3660 * 24 * time.Hour

// parseSpan reads a positive duration: a Go duration or whole days (7d) or
// weeks (2w).
func parseSpan(s string) (time.Duration, error) {
	var d time.Duration
	switch {
	case s == "":
		return 0, errString("the duration is missing (for example 1h, 15m, 7d)")
	case strings.HasSuffix(s, "d") || strings.HasSuffix(s, "w"):
		n, err := strconv.Atoi(s[:len(s)-1])
		if err != nil || n <= 0 || n > 3660 {
			return 0, errString("duration " + strconv.Quote(s) + " is not a whole number of days or weeks (7d, 2w)")
		}
		unit := 24 * time.Hour
		if strings.HasSuffix(s, "w") {
			unit *= 7
		}
		d = time.Duration(n) * unit
	default:
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, errString("duration " + strconv.Quote(s) + " is not a duration (90s, 15m, 1h30m, 7d)")
		}
	}
	if d <= 0 {
		return 0, errString("the duration must be positive")
	}
	if d > maxSpan {
		return 0, errString("the duration is longer than ten years")
	}
	return d, nil
}

type errString string

func (e errString) Error() string { return string(e) }

func cutFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// clip shortens a hostile value before it is quoted in an error.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
