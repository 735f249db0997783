package query

import (
	"strings"
	"testing"
	"time"

	"github.com/logmart/logmart/fault"
)

// grammarNow is a Saturday, 10:17:42.5 UTC (11:17:42.5 in Paris).
var grammarNow = time.Date(2026, 11, 21, 10, 17, 42, 500_000_000, time.UTC)

// TestTimeGrammar holds every form ParseTime reads and every way a time can
// be wrong. want is the time in UTC RFC 3339, or the exact error.
func TestTimeGrammar(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		got, err := ParseTime(in, grammarNow)
		if err != nil {
			if err.Error() != want {
				t.Fatalf("%q: error\n%s\nwant\n%s", in, err, want)
			}
			return
		}
		if g := got.Format(time.RFC3339Nano); g != want {
			t.Fatalf("%q: %s, want %s", in, g, want)
		}
		if got.Location() != time.UTC {
			t.Fatalf("%q: in %s, want UTC", in, got.Location())
		}
	}
	notATime := ` is not a time: use ` + TimeForms

	// RFC 3339, with an offset or in the zone (UTC unless named).
	f("2026-11-21T08:00:00Z", "2026-11-21T08:00:00Z")
	f("2026-11-21T08:00:00.25+02:00", "2026-11-21T06:00:00.25Z")
	f("2026-11-21t08:00:00z", "2026-11-21T08:00:00Z")
	f("2026-11-21 08:00:00.123", "2026-11-21T08:00:00.123Z") // pasted from a result cell
	f("2026-11-21 08:00", "2026-11-21T08:00:00Z")
	f("2026-11-21T08:00+05:30", "2026-11-21T02:30:00Z")
	f("2026-11-21", "2026-11-21T00:00:00Z")
	f("2026-11-21 Europe/Paris", "2026-11-20T23:00:00Z")
	f("2026-11-21 08:00 America/New_York", "2026-11-21T13:00:00Z")
	f("2026-03-29 03:30 Europe/Paris", "2026-03-29T01:30:00Z")        // first hour of summer time
	f("2026-11-21T08:00:00Z Asia/Tokyo", "2026-11-21T08:00:00Z")      // the offset wins
	f("  2026-11-21T08:00:00Z\t", "2026-11-21T08:00:00Z")             // trimmed
	f("1900-01-01T00:00:00Z", "1900-01-01T00:00:00Z")                 // the engine's first
	f("2299-12-31T23:59:59.999Z", "2299-12-31T23:59:59.999Z")         // and last
	f("2026-13-01", `"2026-13-01" is not a time: month out of range`) // nearly a date
	f("2026-02-30T10:00:00Z", `"2026-02-30T10:00:00Z" is not a time: day out of range`)
	f("2026-11-21T25:00:00Z", `"2026-11-21T25:00:00Z" is not a time: hour out of range`)
	f("2026-11-21T10:00:00+25:00", `"2026-11-21T10:00:00+25:00" is not a time: time zone offset hour out of range`)
	f("2026-11-21T10", `"2026-11-21T10" is not an RFC 3339 time such as 2026-11-21T10:00:00Z or 2026-11-21 10:00`)
	f("1899-12-31T23:59:59Z", `"1899-12-31T23:59:59Z" is outside the years 1900 to 2299`)
	f("9999-12-31T23:59:59Z", `"9999-12-31T23:59:59Z" is outside the years 1900 to 2299`)

	// Unix seconds, and milliseconds above 1e11 in magnitude.
	f("1795248000", "2026-11-21T08:00:00Z")
	f("1795248000250", "2026-11-21T08:00:00.25Z")
	f("0", "1970-01-01T00:00:00Z")
	f("-86400", "1969-12-31T00:00:00Z")
	f("+1795248000", "2026-11-21T08:00:00Z")
	f("99999999999", `"99999999999" is outside the years 1900 to 2299`) // seconds: year 5138
	f("9999999999999999999999", `"9999999999999999999999" is outside the years 1900 to 2299`)
	f("-9223372036854775808", `"-9223372036854775808" is outside the years 1900 to 2299`)

	// now, and steps after it.
	f("now", "2026-11-21T10:17:42.5Z")
	f("NOW", "2026-11-21T10:17:42.5Z")
	f("now-1h", "2026-11-21T09:17:42.5Z")
	f("now - 1h30m", "2026-11-21T08:47:42.5Z")
	f("now+90s", "2026-11-21T10:19:12.5Z")
	f("now-1w-2d", "2026-11-12T10:17:42.5Z")
	f("now-3650d", "2016-11-23T10:17:42.5Z")
	f("now-1d/d", "2026-11-20T00:00:00Z")
	f("now/d", "2026-11-21T00:00:00Z")
	f("now/d+9h", "2026-11-21T09:00:00Z")
	f("now/s", "2026-11-21T10:17:42Z")
	f("now/m", "2026-11-21T10:17:00Z")
	f("now/h", "2026-11-21T10:00:00Z")
	f("now/w", "2026-11-16T00:00:00Z") // Monday
	f("now/M", "2026-11-01T00:00:00Z")
	f("now/y", "2026-01-01T00:00:00Z")
	f("now-1M", `"now-1M": "1M" is not a span such as 15m, 1h or 7d`) // months only round
	f("now/d Europe/Paris", "2026-11-20T23:00:00Z")
	f("now/h Asia/Kolkata", "2026-11-21T09:30:00Z")
	f("now/w America/Los_Angeles", "2026-11-16T08:00:00Z")
	f("now UTC", "2026-11-21T10:17:42.5Z")
	f("now/x", `"now/x": "x" is not a unit to round to (s, m, h, d, w, M or y)`)
	f("now/", `"now/": the unit to round to is missing after / (s, m, h, d, w, M or y)`)
	f("now/dd", `"now/dd": "dd" is not a unit to round to (s, m, h, d, w, M or y)`)
	f("now-", `"now-": the span is missing (for example 15m, 1h or 7d)`)
	f("now-1x", `"now-1x": "1x" is not a span such as 15m, 1h or 7d`)
	f("now-1.5h", `"now-1.5h": "1.5h" is not a span such as 15m, 1h or 7d`)
	f("now-0s", `"now-0s": "0s" is not a positive span`)
	f("nowish", `"nowish"`+notATime)
	f("now*2", `"now*2"`+notATime)

	// Overflow: each term is checked before it is multiplied. 307445735m
	// is 2^64 ns and a little more, which used to wrap to "26 s ago".
	f("now-307445735m", `"now-307445735m": "307445735m" is longer than ten years`)
	f("307445735m", `"307445735m" is longer than ten years`)
	f("last 307445735m", `"last 307445735m": "307445735m" is longer than ten years`)
	f("now-9223372036854775807ms", `"now-9223372036854775807ms": "9223372036854775807ms" is longer than ten years`)
	f("now-99999999999999999999w", `"now-99999999999999999999w": "99999999999999999999w" is longer than ten years`)
	f("now-3661d", `"now-3661d": "3661d" is longer than ten years`)
	f("now-3660d1ms", `"now-3660d1ms": "3660d1ms" is longer than ten years`)
	f("now+3660d+3660d+3660d+3660d+3660d+3660d+3660d+3660d+3660d+3660d+3660d+3660d+3660d+3660d+3660d+3660d+3660d+3660d+3660d+3660d+3660d+3660d+3660d+3660d+3660d+3660d+3660d+3660d",
		`"now+3660d+3660d+3660d+3660d+3660d+3660d+3660d+36"… (171 bytes) is outside the years 1900 to 2299`)

	// A span ago, and "last".
	f("15m", "2026-11-21T10:02:42.5Z")
	f("1h30m", "2026-11-21T08:47:42.5Z")
	f("2w", "2026-11-07T10:17:42.5Z")
	f("500ms", "2026-11-21T10:17:42Z")
	f("last 1h", "2026-11-21T09:17:42.5Z")
	f("Last 15m", "2026-11-21T10:02:42.5Z")
	f("last 1d Europe/Paris", "2026-11-20T10:17:42.5Z")
	f("1x", `"1x" is not a span such as 15m, 1h or 7d`)
	f("1H", `"1H" is not a span such as 15m, 1h or 7d`)
	f("0m", `"0m" is not a positive span`)
	f("last", `"last": the span is missing (for example 15m, 1h or 7d)`)
	f("last -1h", `"last -1h": "-1h" is not a span such as 15m, 1h or 7d`)
	f("lastly", `"lastly"`+notATime)

	// Zones.
	f("now/d Europe/Pari", `"now/d Europe/Pari": "Europe/Pari" is not a time zone: use an IANA name such as "Europe/Paris" or "UTC"`)
	f("now/d Local", `"now/d Local": "Local" is not a time zone: use an IANA name such as "Europe/Paris" or "UTC"`)
	f("now utc", `"now utc": "utc" is not a time zone: use an IANA name such as "Europe/Paris" or "UTC"`)
	f("now Europe/../../etc/passwd", `"now Europe/../../etc/passwd": "Europe/../../etc/passwd" is not a time zone: use an IANA name such as "Europe/Paris" or "UTC"`)
	f("now /etc/passwd", `"now /etc/passwd": "etc" is not a unit to round to (s, m, h, d, w, M or y)`)
	f("Europe/Paris", `"Europe/Paris"`+notATime)

	// Empty, garbage and hostile text.
	f("", "is empty")
	f("   ", "is empty")
	f("yesterday", `"yesterday"`+notATime)
	f("1h; DROP TABLE logs", `"1h; DROP TABLE logs"`+notATime)
	f("now-1h'; --", `"now-1h'; --": "1h';" is not a span such as 15m, 1h or 7d`)
	f("{from:DateTime}", `"{from:DateTime}"`+notATime)
	f("now\x00-1h", `"now\x00-1h"`+notATime)
	f("\u202enow", `"\u202enow"`+notATime)
	f("now-1h\u200b", `"now-1h\u200b": "1h\u200b" is not a span such as 15m, 1h or 7d`)
	f("٣h", `"\u0663h"`+notATime)
	f(strings.Repeat("A", 10000), `"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"… (10000 bytes)`+notATime)
	f("now"+strings.Repeat("/d", 100000), "2026-11-21T00:00:00Z")
}

// TestRangeRules: what each caller's rule adds to the grammar: defaults,
// a zone shared by both ends, alignment, precision and order.
func TestRangeRules(t *testing.T) {
	f := func(r RangeRule, from, to, want string) {
		t.Helper()
		a, b, err := r.Resolve(from, to, grammarNow)
		got := ""
		if err != nil {
			if fault.KindOf(err) != fault.BadInput {
				t.Fatalf("%q – %q: %v is %v, want bad input", from, to, err, fault.KindOf(err))
			}
			got = err.Error()
		} else {
			got = a.Format(time.RFC3339Nano) + " " + b.Format(time.RFC3339Nano)
		}
		if got != want {
			t.Fatalf("%q – %q:\n got %s\nwant %s", from, to, got, want)
		}
	}
	f(TemplateRange, "", "", "2026-11-21T09:17:42.5Z 2026-11-21T10:17:42.5Z")
	f(TemplateRange, "7d", "1d", "2026-11-14T10:17:42.5Z 2026-11-20T10:17:42.5Z")
	f(TemplateRange, "2026-11-21T08:00:00+01:00", "1795248000", "2026-11-21T07:00:00Z 2026-11-21T08:00:00Z")
	f(TemplateRange, "yesterday", "", `from: "yesterday" is not a time: use `+TimeForms)
	f(TemplateRange, "now-1h", "now-307445735m", `to: "now-307445735m": "307445735m" is longer than ten years`)
	f(TemplateRange, "now", "1h", "from (2026-11-21T10:17:42.5Z) must be before to (2026-11-21T09:17:42.5Z)")
	f(TemplateRange, "now", "now", "from (2026-11-21T10:17:42.5Z) must be before to (2026-11-21T10:17:42.5Z)")
	f(LogRange, " ", "", "2026-11-21T10:02:42.5Z 2026-11-21T10:17:42.5Z")
	f(LogRange, "0", "", "1970-01-01T00:00:00Z 2026-11-21T10:17:42.5Z")
	f(LogRange, "now/d Local", "", `from: "now/d Local": "Local" is not a time zone: use an IANA name such as "Europe/Paris" or "UTC"`)

	// A zone named on one end is the other's too, unless it names its own.
	f(TemplateRange, "now-1d/d Europe/Paris", "now/d", "2026-11-19T23:00:00Z 2026-11-20T23:00:00Z")
	f(TemplateRange, "now-1d/d", "now/d Europe/Paris", "2026-11-19T23:00:00Z 2026-11-20T23:00:00Z")
	f(TemplateRange, "now-1d/d UTC", "now/d Europe/Paris", "2026-11-20T00:00:00Z 2026-11-20T23:00:00Z")
	f(TemplateRange, "2026-11-20 Asia/Tokyo", "2026-11-21", "2026-11-19T15:00:00Z 2026-11-20T15:00:00Z")

	// Links: from required, now cut to the second, ends to the millisecond.
	f(LinkRange, "last 1h", "", "2026-11-21T09:17:42Z 2026-11-21T10:17:42Z")
	f(LinkRange, "Last 15m", "now-5m", "2026-11-21T10:02:42Z 2026-11-21T10:12:42Z")
	f(LinkRange, "2026-03-01T09:00:00.123456+02:00", "1772359200000", "2026-03-01T07:00:00.123Z 2026-03-01T10:00:00Z")
	f(LinkRange, "", "now", `from is required: an RFC 3339 time, "now-1h" or "last 1h"`)
	f(LinkRange, "last", "", `from: "last": the span is missing (for example 15m, 1h or 7d)`)
	f(LinkRange, "now-1h", "tomorrow", `to: "tomorrow" is not a time: use `+TimeForms)
	f(LinkRange, "2026-03-01T10:00:00.0001Z", "2026-03-01T10:00:00.0009Z", "from (2026-03-01T10:00:00Z) must be before to (2026-03-01T10:00:00Z)")

	// The template catalog aligns now to its cache lifetime.
	aligned := TemplateRange
	aligned.Align = 10 * time.Second
	f(aligned, "now-1h", "now", "2026-11-21T09:17:40Z 2026-11-21T10:17:40Z")
}
