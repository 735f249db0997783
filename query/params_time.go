package query

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/logmart/logmart/fault"
)

// Default time range of a template run when the request gives none.
const (
	DefaultFrom = "now-1h"
	DefaultTo   = "now"
)

// ParseTime reads a time as the API accepts it:
//
//   - RFC 3339 ("2026-11-21T10:00:00Z", fractions allowed);
//   - "now", or "now-<span>" / "now+<span>";
//   - a bare span ("1h", "15m", "7d"), meaning that long before now;
//   - unix seconds or milliseconds.
//
// A span is a Go duration with d (24h) and w (7d) allowed too: "90s",
// "1h30m", "2d". Relative forms are resolved against now.
func ParseTime(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, fmt.Errorf("is empty")
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if s == "now" {
		return now, nil
	}
	if rest, ok := strings.CutPrefix(s, "now"); ok && len(rest) > 1 && (rest[0] == '-' || rest[0] == '+') {
		d, err := parseSpan(strings.TrimSpace(rest[1:]))
		if err != nil {
			return time.Time{}, err
		}
		if rest[0] == '-' {
			d = -d
		}
		return now.Add(d), nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		if n > 1e11 {
			return time.UnixMilli(n).UTC(), nil
		}
		return time.Unix(n, 0).UTC(), nil
	}
	if d, err := parseSpan(s); err == nil {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf(`%s is not a time: use RFC 3339 (2026-11-21T10:00:00Z), "now", "now-1h" or a span ago such as "15m"`, show(s))
}

// maxSpan bounds a relative time; ten years is more than any retention.
const maxSpan = 3660 * 24 * time.Hour

// parseSpan reads a positive Go duration that may also use d and w units.
func parseSpan(s string) (time.Duration, error) {
	var total time.Duration
	rest := s
	if rest == "" {
		return 0, fmt.Errorf("the span is missing (for example 15m, 1h or 7d)")
	}
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("%s is not a span such as 15m, 1h or 7d", show(s))
		}
		n, err := strconv.ParseInt(rest[:i], 10, 64)
		if err != nil || n > 1e9 {
			return 0, fmt.Errorf("%s is too long a span", show(s))
		}
		j := i
		for j < len(rest) && (rest[j] < '0' || rest[j] > '9') {
			j++
		}
		var unit time.Duration
		switch rest[i:j] {
		case "ms":
			unit = time.Millisecond
		case "s":
			unit = time.Second
		case "m":
			unit = time.Minute
		case "h":
			unit = time.Hour
		case "d":
			unit = 24 * time.Hour
		case "w":
			unit = 7 * 24 * time.Hour
		default:
			return 0, fmt.Errorf("%s is not a span such as 15m, 1h or 7d", show(s))
		}
		total += time.Duration(n) * unit
		if total > maxSpan {
			return 0, fmt.Errorf("%s is longer than ten years", show(s))
		}
		rest = rest[j:]
	}
	if total <= 0 {
		return 0, fmt.Errorf("%s is not a positive span", show(s))
	}
	return total, nil
}

// ResolveRange turns a request's from and to (empty: DefaultFrom and
// DefaultTo), in any form ParseTime reads, into an absolute range. Relative
// forms resolve against now; Catalog.Run rounds now down to the result
// cache's lifetime, so one relative range maps to one absolute range (and
// one cache entry) for that long. from must be before to.
func ResolveRange(from, to string, now time.Time) (time.Time, time.Time, error) {
	if strings.TrimSpace(from) == "" {
		from = DefaultFrom
	}
	if strings.TrimSpace(to) == "" {
		to = DefaultTo
	}
	f, err := ParseTime(from, now)
	if err != nil {
		return time.Time{}, time.Time{}, fault.New(fault.BadInput, "from: %v", err)
	}
	t, err := ParseTime(to, now)
	if err != nil {
		return time.Time{}, time.Time{}, fault.New(fault.BadInput, "to: %v", err)
	}
	if !f.Before(t) {
		return time.Time{}, time.Time{}, fault.New(fault.BadInput, "from (%s) must be before to (%s)", f.Format(time.RFC3339Nano), t.Format(time.RFC3339Nano))
	}
	return f, t, nil
}
