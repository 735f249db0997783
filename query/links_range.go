package query

import (
	"strings"
	"time"

	"github.com/logmart/logmart/fault"
)

// ResolveLinkRange pins a link's range. Each end is anything ParseTime
// reads (RFC 3339, unix time, "now", "now-1h", a span ago such as "15m"),
// and from may also be "last <span>" ("last 1h"). from is required; an
// empty to means now. Ends given relative to now are cut to whole seconds,
// absolute ones to milliseconds, the precision links keep. The error names
// the end at fault.
func ResolveLinkRange(from, to string, now time.Time) (time.Time, time.Time, error) {
	now = now.UTC().Truncate(time.Second)
	from, to = strings.TrimSpace(from), strings.TrimSpace(to)
	if from == "" {
		return time.Time{}, time.Time{}, fault.New(fault.BadInput, `from is required: an RFC 3339 time, "now-1h" or "last 1h"`)
	}
	if len(from) >= 4 && strings.EqualFold(from[:4], "last") && (len(from) == 4 || from[4] == ' ') {
		span := strings.TrimSpace(from[4:])
		if _, err := parseSpan(span); err != nil {
			return time.Time{}, time.Time{}, fault.New(fault.BadInput, "from: %s: %v", show(from), err)
		}
		from = "now-" + span
	}
	if to == "" {
		to = "now"
	}
	f, err := ParseTime(from, now)
	if err != nil {
		return time.Time{}, time.Time{}, fault.New(fault.BadInput, "from: %v", err)
	}
	t, err := ParseTime(to, now)
	if err != nil {
		return time.Time{}, time.Time{}, fault.New(fault.BadInput, "to: %v", err)
	}
	f, t = f.UTC().Truncate(time.Millisecond), t.UTC().Truncate(time.Millisecond)
	if !f.Before(t) {
		return f, t, fault.New(fault.BadInput, "from (%s) must be before to (%s)", f.Format(time.RFC3339Nano), t.Format(time.RFC3339Nano))
	}
	return f, t, nil
}
