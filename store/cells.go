package store

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// The Cell functions read one cell of a Result. Both engines return cells
// in the shape Result promises (numbers as json.Number, text and times as
// strings, NULL as nil), so callers read a cell with these and never switch
// on an engine's types themselves. A cell that does not hold what is asked
// for reads as the zero value: a reader that must tell a bad cell from a
// zero parses CellString itself.

// CellString reads a text cell: NULL reads "", a number its digits.
func CellString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	return fmt.Sprint(v)
}

// CellUint64 reads a count cell. Text that is not a whole number from 0 to
// 2^64-1 reads 0.
func CellUint64(v any) uint64 {
	switch x := v.(type) {
	case json.Number:
		n, _ := strconv.ParseUint(string(x), 10, 64)
		return n
	case uint64:
		return x
	case int64:
		return uint64(x)
	case float64:
		return uint64(x)
	case string:
		n, _ := strconv.ParseUint(x, 10, 64)
		return n
	}
	return 0
}

// CellInt64 reads a signed integer cell (an offset, a unix time). Text that
// is not a whole number reads 0; one out of range reads the nearest of
// math.MinInt64 and math.MaxInt64.
func CellInt64(v any) int64 {
	switch x := v.(type) {
	case json.Number:
		n, _ := strconv.ParseInt(string(x), 10, 64)
		return n
	case int64:
		return x
	case uint64:
		return int64(x)
	case float64:
		return int64(x)
	case string:
		n, _ := strconv.ParseInt(x, 10, 64)
		return n
	}
	return 0
}

// CellUnixMilli reads a cell of unix milliseconds (toUnixTimestamp64Milli)
// as a UTC time; a NULL or non-integer cell reads the unix epoch.
func CellUnixMilli(v any) time.Time {
	return time.UnixMilli(CellInt64(v)).UTC()
}

// CellUnix reads a cell of unix seconds (toUnixTimestamp) as a UTC time; a
// NULL or non-integer cell reads the unix epoch.
func CellUnix(v any) time.Time {
	return time.Unix(CellInt64(v), 0).UTC()
}

// CellTime reads a DateTime or DateTime64 cell as the engine writes it
// (zone-less text in the session's zone, which logmart runs in UTC); a
// NULL or unreadable cell reads the zero time.
func CellTime(v any) time.Time {
	s, _ := v.(string)
	t, err := time.ParseInLocation("2006-01-02 15:04:05.999999999", s, time.UTC)
	if err != nil {
		return time.Time{}
	}
	return t
}
