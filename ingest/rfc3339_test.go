package ingest

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// checkRFC3339UTC fails t when parseRFC3339UTC accepts v and time.Parse
// does not, or reads it differently.
func checkRFC3339UTC(t *testing.T, v string) bool {
	t.Helper()
	got, ok := parseRFC3339UTC(v)
	if !ok {
		return false
	}
	want, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		t.Fatalf("%q: read as %d, but time.Parse says %v", v, got, err)
	}
	if got != want.UnixMilli() {
		t.Fatalf("%q: read as %d, time.Parse reads %d", v, got, want.UnixMilli())
	}
	return true
}

func TestParseRFC3339UTC(t *testing.T) {
	for _, v := range []string{
		"2025-03-14T15:09:26.535897932Z", "2023-11-14T22:13:20Z", "2023-11-14T22:13:20.1Z", "2023-11-14T22:13:20.12Z",
		"2023-11-14T22:13:20.123456789123Z", "1970-01-01T00:00:00Z", "1969-12-31T23:59:59.999Z",
		"0000-01-01T00:00:00Z", "0000-02-29T12:00:00Z", "0001-03-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z",
		"2024-02-29T00:00:00Z", "2000-02-29T00:00:00Z", "1600-02-29T00:00:00Z",
	} {
		if !checkRFC3339UTC(t, v) {
			t.Errorf("%q: not read", v)
		}
	}
	// Left to time.Parse (which reads some of them, some not).
	for _, v := range []string{
		"2023-11-14T22:13:20", "2023-11-14T22:13:20+01:00", "2023-11-14 22:13:20Z", "2023-11-14t22:13:20Z",
		"2023-11-14T22:13:20z", "2023-11-14T22:13:20.Z", "2023-11-14T22:13:20,5Z", "2023-11-14T22:13:20.5xZ",
		"2023-11-14T24:00:00Z", "2023-11-14T22:60:00Z", "2023-11-14T22:13:60Z", "2023-02-29T00:00:00Z",
		"1900-02-29T00:00:00Z", "2023-04-31T00:00:00Z", "2023-00-10T00:00:00Z", "2023-13-10T00:00:00Z",
		"2023-11-00T00:00:00Z", "+023-11-14T22:13:20Z", "2023-1-14T22:13:20ZZ", "2023-11-14T22:13:2Z",
		"2023-11-14T22:13:20.-5Z", "２023-11-14T22:13:20Z", "2023-11-14T22:13:20.5/Z", "2023-11-14T22:13:20.:Z",
	} {
		if checkRFC3339UTC(t, v) {
			t.Errorf("%q: read, want it left to time.Parse", v)
		}
	}
	// Every day of a few centuries, at random times.
	r := rand.New(rand.NewPCG(9, 10))
	for d := time.Date(1599, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < 2401; d = d.AddDate(0, 0, 1) {
		ts := d.Add(time.Duration(r.Int64N(int64(24 * time.Hour))))
		for _, layout := range []string{time.RFC3339, time.RFC3339Nano, "2006-01-02T15:04:05.000Z07:00"} {
			if v := ts.Format(layout); !checkRFC3339UTC(t, v) {
				t.Fatalf("%q: not read", v)
			}
		}
	}
}

func FuzzParseRFC3339UTC(f *testing.F) {
	for _, s := range []string{"2025-03-14T15:09:26.535897932Z", "0000-02-29T00:00:00Z", "2023-11-14T22:13:20.Z", "2023-11-14T22:13:20.123456789012Z"} {
		f.Add(s, uint16(0), uint8(0), uint8(0), uint8(0), uint8(0), uint8(0), "")
	}
	f.Add("", uint16(2024), uint8(2), uint8(29), uint8(23), uint8(59), uint8(59), ".5")
	f.Add("", uint16(1900), uint8(2), uint8(29), uint8(24), uint8(0), uint8(60), ".")
	f.Fuzz(func(t *testing.T, v string, year uint16, month, day, hour, minute, sec uint8, frac string) {
		checkRFC3339UTC(t, v)
		// Near misses of the accepted shape, field by field.
		checkRFC3339UTC(t, fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d%sZ", year, month, day, hour, minute, sec, frac))
	})
}
