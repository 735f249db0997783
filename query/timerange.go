package query

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	// Zone names resolve the same on every host, including containers
	// without /usr/share/zoneinfo.
	_ "time/tzdata"

	"github.com/logmart/logmart/fault"
)

// TimeForms names the forms ParseTime reads, for flag help and error
// messages.
const TimeForms = `RFC 3339 (2026-11-21T10:00:00Z), unix seconds or milliseconds, "now", "now-1h", "now-1d/d", a span ago such as "15m", or "last 1h", optionally followed by a zone such as "Europe/Paris"`

// ParseTime reads one time. It is the only time grammar of logmart: the log
// search, template ranges and time parameters, and links read times through
// it, so the CLI and the UI send times as text.
//
//   - RFC 3339, "T" or a space between date and time: "2026-11-21T10:00:00Z",
//     "2026-11-21 10:00:00.250+01:00". Without an offset ("2026-11-21
//     10:00", "2026-11-21") the time is in the zone, UTC unless one is named.
//   - Unix time: seconds, or milliseconds when its magnitude is above 1e11.
//   - "now", then any number of steps applied left to right: "+<span>" or
//     "-<span>" moves, "/<unit>" rounds down to the start of the second (s),
//     minute (m), hour (h), day (d), week from Monday (w), month (M) or year
//     (y) in the zone. "now-1d/d" to "now/d" is yesterday.
//   - "<span>" or "last <span>": that long before now ("15m", "last 1h").
//   - Any of these followed by a space and an IANA zone name
//     ("now/d Europe/Paris"). The zone applies to snapping and to times
//     written without an offset; an explicit offset wins.
//
// A span is a sum of whole numbers with units ms, s, m, h, d (24h) and w
// (7d): "90s", "1h30m", "2d". It is positive and at most ten years, checked
// before it is computed, so no span wraps around. Every time lies in the
// years 1900 to 2299, the range the engine's DateTime64 stores. "now" and
// "last" may be in any case; units may not ("m" is a minute, "M" a month).
// Errors quote the value and say what is wrong with it.
func ParseTime(s string, now time.Time) (time.Time, error) {
	w := splitZone(s)
	return w.parse(now.UTC(), time.UTC)
}

// RangeRule is how one caller fills in and rounds a [from, to) range. The
// grammar of each end is ParseTime's; the rule only adds defaults and
// precision.
type RangeRule struct {
	// DefaultFrom is used when from is empty; empty makes from required.
	DefaultFrom string
	// DefaultTo is used when to is empty.
	DefaultTo string
	// Align rounds now down before relative ends are resolved, so one
	// relative range maps to one absolute range for that long (the
	// template cache's lifetime, or the second a link is pinned to).
	// Zero: now as given.
	Align time.Duration
	// Precision cuts both ends after they are resolved. Zero: none.
	Precision time.Duration
}

// The range rules of the callers. Each end is anything ParseTime reads.
var (
	// TemplateRange is a template run's range (POST /api/v1/query).
	TemplateRange = RangeRule{DefaultFrom: "now-1h", DefaultTo: "now"}
	// LogRange is the log search's range (GET /api/v1/logs).
	LogRange = RangeRule{DefaultFrom: "now-15m", DefaultTo: "now"}
	// LinkRange pins a shared link: from is required, relative ends are cut
	// to whole seconds and every end to the milliseconds links keep.
	LinkRange = RangeRule{DefaultTo: "now", Align: time.Second, Precision: time.Millisecond}
)

// Resolve turns from and to into an absolute UTC range against now. A zone
// named on one end applies to the other unless that names its own, so
// "now-1d/d Europe/Paris" to "now/d" is yesterday in Paris. Errors are bad
// input and name the end at fault ("from: …"); from must be before to.
func (r RangeRule) Resolve(from, to string, now time.Time) (time.Time, time.Time, error) {
	from, to = strings.TrimSpace(from), strings.TrimSpace(to)
	if from == "" {
		if r.DefaultFrom == "" {
			return time.Time{}, time.Time{}, fault.New(fault.BadInput, `from is required: an RFC 3339 time, "now-1h" or "last 1h"`)
		}
		from = r.DefaultFrom
	}
	if to == "" {
		to = r.DefaultTo
	}
	now = now.UTC()
	if r.Align > 0 {
		now = now.Truncate(r.Align)
	}
	fromText, toText := splitZone(from), splitZone(to)
	zone := time.UTC
	if fromText.zone != nil {
		zone = fromText.zone
	} else if toText.zone != nil {
		zone = toText.zone
	}
	f, err := fromText.parse(now, zone)
	if err != nil {
		return time.Time{}, time.Time{}, fault.New(fault.BadInput, "from: %v", err)
	}
	t, err := toText.parse(now, zone)
	if err != nil {
		return time.Time{}, time.Time{}, fault.New(fault.BadInput, "to: %v", err)
	}
	if r.Precision > 0 {
		f, t = f.Truncate(r.Precision), t.Truncate(r.Precision)
	}
	if !f.Before(t) {
		return f, t, fault.New(fault.BadInput, "from (%s) must be before to (%s)", f.Format(time.RFC3339Nano), t.Format(time.RFC3339Nano))
	}
	return f, t, nil
}

// ResolveLinkRange is LinkRange.Resolve, the range Links.Create pins.
func ResolveLinkRange(from, to string, now time.Time) (time.Time, time.Time, error) {
	return LinkRange.Resolve(from, to, now)
}

// Bounds of a time: DateTime64's range in the engine.
var (
	minTime = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)
)

// maxSpan bounds a span; ten years is more than any retention.
const maxSpan = 3660 * 24 * time.Hour

// writtenTime is one time as written, its zone name cut off.
type writtenTime struct {
	whole   string         // as written, trimmed
	expr    string         // whole without the zone name
	zone    *time.Location // the named zone, or nil
	zoneErr error          // why the last word is not a zone
}

// splitZone cuts a trailing zone name from s: the last space-separated
// word, when it starts with a letter.
func splitZone(s string) writtenTime {
	s = strings.TrimSpace(s)
	w := writtenTime{whole: s, expr: s}
	i := strings.LastIndexByte(s, ' ')
	if i < 0 {
		return w
	}
	name := s[i+1:]
	if c := name[0] | 0x20; c < 'a' || c > 'z' {
		return w
	}
	w.expr = strings.TrimSpace(s[:i])
	w.zone, w.zoneErr = loadZone(name)
	return w
}

// parse reads the time in its own zone, or else in zone. Errors quote the
// time as written.
func (w writtenTime) parse(now time.Time, zone *time.Location) (time.Time, error) {
	if w.zoneErr != nil {
		// The last word is a zone only if what comes before it is a time.
		if _, err := parseExpr(w.expr, w.whole, now, time.UTC); err != nil {
			return time.Time{}, notATime(w.whole)
		}
		return time.Time{}, fmt.Errorf("%s: %w", show(w.whole), w.zoneErr)
	}
	if w.zone != nil {
		zone = w.zone
	}
	t, err := parseExpr(w.expr, w.whole, now, zone)
	if err != nil {
		return time.Time{}, err
	}
	if err := checkBounds(t, w.whole); err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

// parseExpr reads a time without its zone name; whole is quoted in errors.
func parseExpr(expr, whole string, now time.Time, zone *time.Location) (time.Time, error) {
	if expr == "" {
		if whole == "" {
			return time.Time{}, fmt.Errorf("is empty")
		}
		return time.Time{}, notATime(whole)
	}
	// part wraps an error about part of whole so that both are quoted.
	part := func(p string, err error) error {
		if p == whole {
			return err
		}
		return fmt.Errorf("%s: %w", show(whole), err)
	}
	if len(expr) >= 3 && strings.EqualFold(expr[:3], "now") {
		return nowSteps(strings.ReplaceAll(expr[3:], " ", ""), whole, now, zone)
	}
	if len(expr) >= 4 && strings.EqualFold(expr[:4], "last") && (len(expr) == 4 || expr[4] == ' ') {
		span := strings.TrimSpace(expr[4:])
		d, err := parseSpan(span)
		if err != nil {
			return time.Time{}, part(span, err)
		}
		return now.Add(-d), nil
	}
	if isInteger(expr) {
		return unixTime(expr, whole)
	}
	if isDate(expr) {
		return parseDate(expr, whole, zone)
	}
	if isSpan(expr) {
		d, err := parseSpan(expr)
		if err != nil {
			return time.Time{}, part(expr, err)
		}
		return now.Add(-d), nil
	}
	return time.Time{}, notATime(whole)
}

func notATime(whole string) error {
	return fmt.Errorf("%s is not a time: use %s", show(whole), TimeForms)
}

// nowSteps applies the steps after "now" ("-1d/d") left to right.
func nowSteps(steps, whole string, now time.Time, zone *time.Location) (time.Time, error) {
	t := now
	for steps != "" {
		op := steps[0]
		end := 1 + strings.IndexAny(steps[1:], "+-/")
		if end == 0 {
			end = len(steps)
		}
		arg := steps[1:end]
		steps = steps[end:]
		switch op {
		case '+', '-':
			d, err := parseSpan(arg)
			if err != nil {
				return time.Time{}, fmt.Errorf("%s: %w", show(whole), err)
			}
			if op == '-' {
				d = -d
			}
			t = t.Add(d)
		case '/':
			var err error
			if t, err = snap(t.In(zone), arg); err != nil {
				return time.Time{}, fmt.Errorf("%s: %w", show(whole), err)
			}
		default:
			return time.Time{}, notATime(whole)
		}
		// A long chain of steps could walk out of any range; stop at once.
		if err := checkBounds(t, whole); err != nil {
			return time.Time{}, err
		}
	}
	return t, nil
}

// snap rounds t down to the start of unit in t's zone.
func snap(t time.Time, unit string) (time.Time, error) {
	y, mo, d := t.Date()
	loc := t.Location()
	switch unit {
	case "s":
		return time.Date(y, mo, d, t.Hour(), t.Minute(), t.Second(), 0, loc), nil
	case "m":
		return time.Date(y, mo, d, t.Hour(), t.Minute(), 0, 0, loc), nil
	case "h":
		return time.Date(y, mo, d, t.Hour(), 0, 0, 0, loc), nil
	case "d":
		return time.Date(y, mo, d, 0, 0, 0, 0, loc), nil
	case "w":
		back := (int(t.Weekday()) + 6) % 7 // days since Monday
		return time.Date(y, mo, d-back, 0, 0, 0, 0, loc), nil
	case "M":
		return time.Date(y, mo, 1, 0, 0, 0, 0, loc), nil
	case "y":
		return time.Date(y, 1, 1, 0, 0, 0, 0, loc), nil
	}
	if unit == "" {
		return time.Time{}, fmt.Errorf("the unit to round to is missing after / (s, m, h, d, w, M or y)")
	}
	return time.Time{}, fmt.Errorf("%s is not a unit to round to (s, m, h, d, w, M or y)", show(unit))
}

// parseSpan reads a positive span of at most maxSpan. Each term is checked
// against what is left of maxSpan before it is multiplied, so a span never
// wraps around.
func parseSpan(s string) (time.Duration, error) {
	if s == "" {
		return 0, fmt.Errorf("the span is missing (for example 15m, 1h or 7d)")
	}
	var total time.Duration
	rest := s
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("%s is not a span such as 15m, 1h or 7d", show(s))
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
		n, err := strconv.ParseInt(rest[:i], 10, 64)
		if err != nil || n > int64((maxSpan-total)/unit) {
			return 0, fmt.Errorf("%s is longer than ten years", show(s))
		}
		total += time.Duration(n) * unit
		rest = rest[j:]
	}
	if total <= 0 {
		return 0, fmt.Errorf("%s is not a positive span", show(s))
	}
	return total, nil
}

// unixTime reads unix seconds, or milliseconds above 1e11 in magnitude.
func unixTime(s, whole string) (time.Time, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, outOfBounds(whole)
	}
	if n > 1e11 || n < -1e11 {
		return time.UnixMilli(n), nil
	}
	return time.Unix(n, 0), nil
}

// Layouts of a date after a space between date and time became "T". The
// offset, when there is one, is RFC 3339's.
var (
	offsetLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00"}
	localLayouts  = []string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02"}
)

func parseDate(s, whole string, zone *time.Location) (time.Time, error) {
	if len(s) > 10 && (s[10] == ' ' || s[10] == 't') {
		s = s[:10] + "T" + s[11:]
	}
	if strings.HasSuffix(s, "z") {
		s = s[:len(s)-1] + "Z"
	}
	for _, layout := range offsetLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	for _, layout := range localLayouts {
		if t, err := time.ParseInLocation(layout, s, zone); err == nil {
			return t, nil
		}
	}
	_, err := time.Parse(time.RFC3339Nano, s)
	if pe := (*time.ParseError)(nil); errors.As(err, &pe) && pe.Message != "" {
		return time.Time{}, fmt.Errorf("%s is not a time%s", show(whole), pe.Message)
	}
	return time.Time{}, fmt.Errorf("%s is not an RFC 3339 time such as 2026-11-21T10:00:00Z or 2026-11-21 10:00", show(whole))
}

func checkBounds(t time.Time, whole string) error {
	if t.Before(minTime) || !t.Before(maxTime) {
		return outOfBounds(whole)
	}
	return nil
}

func outOfBounds(whole string) error {
	return fmt.Errorf("%s is outside the years 1900 to 2299", show(whole))
}

// isInteger: an optional sign and digits only.
func isInteger(s string) bool {
	if s[0] == '-' || s[0] == '+' {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isDate: four digits and a dash, the start of every date form.
func isDate(s string) bool {
	return len(s) >= 5 && isInteger(s[:4]) && s[0] != '-' && s[0] != '+' && s[4] == '-'
}

// isSpan: a digit, then digits and letters only.
func isSpan(s string) bool {
	if s[0] < '0' || s[0] > '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if !(s[i] >= '0' && s[i] <= '9' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

// zones caches loaded zones by name. Only names that load are kept, and
// there are a few hundred of those.
var zones sync.Map

func loadZone(name string) (*time.Location, error) {
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location), nil
	}
	bad := fmt.Errorf(`%s is not a time zone: use an IANA name such as "Europe/Paris" or "UTC"`, show(name))
	// "Local" is the server's own zone, which a caller cannot know.
	if len(name) > 64 || name == "Local" {
		return nil, bad
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '/' || c == '_' || c == '-' || c == '+') {
			return nil, bad
		}
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, bad
	}
	zones.Store(name, loc)
	return loc, nil
}
