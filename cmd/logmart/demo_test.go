package main

import (
	"testing"
	"time"

	"github.com/logmart/logmart/internal/demo"
)

// Issue 13: `logmart demo` ended with a Go struct dump
// ({Logs:1203 Events:96 Metrics:301 Bytes:412345 Elapsed:8.0012s}).
func TestDemoSummary(t *testing.T) {
	f := func(st demo.Stats, want string) {
		t.Helper()
		if got := demoSummary(st); got != want {
			t.Fatalf("got  %q\nwant %q", got, want)
		}
	}
	f(demo.Stats{Logs: 1203, Events: 96, Metrics: 301, Bytes: 412345, Elapsed: 8001234567 * time.Nanosecond},
		"sent 1600 records: 1203 logs, 96 events, 301 metrics; 412.3 kB in 8.001s (200 records/s)")
	f(demo.Stats{}, "sent 0 records: 0 logs, 0 events, 0 metrics; 0 B in 0s")
}
