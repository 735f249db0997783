package pipeline

import (
	"testing"
	"time"
)

// TestPartitionClock: event time is the slowest partition's among those
// with input within the idle time; a quiet or revoked partition stops
// holding it back.
func TestPartitionClock(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	a, b, c := home{"voice-callthread", 0}, home{"voice-callthread", 1}, home{"voice-agentstate", 0}
	clock := newPartitionClock()
	f := func(now time.Time, want int64, wantOK bool) {
		t.Helper()
		if got, ok := clock.watermark(now, 5*time.Second); got != want || ok != wantOK {
			t.Fatalf("watermark = %d %v, want %d %v", got, ok, want, wantOK)
		}
	}
	f(t0, 0, false) // no input yet

	clock.observe(a, 10_000, t0)
	clock.observe(b, 4_000, t0) // b is behind: a backlog being caught up
	clock.observe(a, 9_000, t0) // out of order within a: its newest stays
	f(t0, 4_000, true)

	clock.observe(b, 12_000, t0.Add(time.Second)) // b caught up and passed a
	f(t0.Add(time.Second), 10_000, true)

	// a goes quiet for longer than the idle time: b alone sets event time.
	clock.observe(b, 13_000, t0.Add(6*time.Second))
	f(t0.Add(6*time.Second), 13_000, true)

	// c joins far behind, then its partition is revoked.
	clock.observe(c, 1_000, t0.Add(6*time.Second))
	f(t0.Add(6*time.Second), 1_000, true)
	clock.retain(map[home]bool{a: true, b: true})
	f(t0.Add(6*time.Second), 13_000, true)

	// Everything quiet: none active, the runner moves on with the clock.
	f(t0.Add(time.Minute), 0, false)
}
