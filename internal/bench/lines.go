package bench

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/logmart/logmart/internal/demo"
)

// maxPoolLines bounds the distinct lines a run cycles through: about 40 MB,
// more than a batch of any partition holds, so no batch repeats a line.
const maxPoolLines = 1 << 17

// tsLayout writes a UTC time in exactly tsLen bytes: RFC 3339 with all nine
// fraction digits.
const (
	tsLayout = "2006-01-02T15:04:05.000000000Z07:00"
	tsLen    = len("2026-01-01T00:00:00.123456789Z")
	tsPrefix = `{"timestamp":"`
)

// linePool holds log lines generated before a run, so that the producer
// only copies a line and writes the current time into it: generating a line
// costs several times more, and the load generator should take as little as
// it can of the cores the measured process shares with it.
type linePool struct {
	arena []byte
	ends  []int
}

// lineShapes are the line generators by IngestOptions.Lines.
var lineShapes = map[string]func(*rand.Rand, time.Time, []byte) []byte{
	"compact": demo.CompactLogLine,
	"rich":    demo.LogLine,
}

// newLinePool generates n lines (at most maxPoolLines) of shape gen from
// seed.
func newLinePool(gen func(*rand.Rand, time.Time, []byte) []byte, seed uint64, n int) (*linePool, error) {
	n = min(n, maxPoolLines)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	// A fraction with no trailing zeros prints all nine digits, so every
	// line's timestamp has the width the producer overwrites.
	ref := time.Date(2026, 1, 1, 0, 0, 0, 123456789, time.UTC)
	p := &linePool{arena: make([]byte, 0, n*320), ends: make([]int, 0, n)}
	for range n {
		start := len(p.arena)
		p.arena = gen(rng, ref, p.arena)
		line := p.arena[start:]
		if !bytes.HasPrefix(line, []byte(tsPrefix)) || len(line) < len(tsPrefix)+tsLen+1 || line[len(tsPrefix)+tsLen] != '"' {
			return nil, fmt.Errorf("log line %q does not start with a %d-byte timestamp", line[:min(len(line), 60)], tsLen)
		}
		p.ends = append(p.ends, len(p.arena))
	}
	return p, nil
}

// appendLine appends line i (cycling through the pool) stamped with ts, a
// time formatted by stamp.
func (p *linePool) appendLine(dst []byte, i int, ts []byte) []byte {
	i %= len(p.ends)
	start := 0
	if i > 0 {
		start = p.ends[i-1]
	}
	k := len(dst)
	dst = append(dst, p.arena[start:p.ends[i]]...)
	copy(dst[k+len(tsPrefix):], ts[:tsLen])
	return dst
}

// stamp formats t for appendLine into dst's memory.
func stamp(dst []byte, t time.Time) []byte {
	return t.UTC().AppendFormat(dst[:0], tsLayout)
}

// size is the bytes of all the pool's lines.
func (p *linePool) size() int { return len(p.arena) }
