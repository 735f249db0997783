package store

import (
	"encoding/json"
	"math"
	"testing"
	"time"
)

func TestCells(t *testing.T) {
	for _, tc := range []struct {
		in  any
		str string
		u64 uint64
		i64 int64
	}{
		{nil, "", 0, 0},
		{"", "", 0, 0},
		{"app-1", "app-1", 0, 0},
		{json.Number("42"), "42", 42, 42},
		{json.Number("1700000000123"), "1700000000123", 1700000000123, 1700000000123},
		{json.Number("18446744073709551615"), "18446744073709551615", 1<<64 - 1, math.MaxInt64}, // saturates
		{json.Number("-3"), "-3", 0, -3},
		{json.Number("1.5"), "1.5", 0, 0},
		{"17", "17", 17, 17},
		{" 17", " 17", 0, 0},
		{uint64(7), "7", 7, 7},
		{int64(-7), "-7", 1<<64 - 7, -7},
		{float64(2.9), "2.9", 2, 2},
		{true, "true", 0, 0},
		{[]any{"a"}, "[a]", 0, 0},
	} {
		if got := CellString(tc.in); got != tc.str {
			t.Errorf("CellString(%#v) = %q, want %q", tc.in, got, tc.str)
		}
		if got := CellUint64(tc.in); got != tc.u64 {
			t.Errorf("CellUint64(%#v) = %d, want %d", tc.in, got, tc.u64)
		}
		if got := CellInt64(tc.in); got != tc.i64 {
			t.Errorf("CellInt64(%#v) = %d, want %d", tc.in, got, tc.i64)
		}
		if got, want := CellUnixMilli(tc.in), time.UnixMilli(tc.i64).UTC(); !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("CellUnixMilli(%#v) = %v, want %v", tc.in, got, want)
		}
		if got, want := CellUnix(tc.in), time.Unix(tc.i64, 0).UTC(); !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("CellUnix(%#v) = %v, want %v", tc.in, got, want)
		}
	}
	// What shared links and stored versions are read with.
	if got, want := CellUnixMilli(json.Number("1700000000123")), time.Date(2023, 11, 14, 22, 13, 20, 123e6, time.UTC); got != want {
		t.Errorf("CellUnixMilli = %v, want %v", got, want)
	}
}
