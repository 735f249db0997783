package bench

import (
	"context"
	"sync/atomic"

	"github.com/twmb/franz-go/pkg/kgo"
)

// The producer's records and the bytes of their keys and values come from
// slabs that are reused once the broker has acknowledged every record in
// them. Fresh memory for each of a million records was hundreds of
// megabytes for the garbage collector to trace (records hold pointers) and
// for the kernel to zero, on the cores the measured pipeline runs on.

const (
	slabRecords = 1024
	slabBytes   = slabRecords * 352 // lines average about 310 bytes with their keys
)

// slab is a run of records and the bytes they point into.
type slab struct {
	recs  []kgo.Record
	arena []byte
	used  int // records handed out
	// refs counts the records handed out and not yet acknowledged, plus one
	// while the producer still fills the slab; whoever brings it to zero
	// returns the slab to its pool.
	refs atomic.Int32
	ctx  context.Context // carries the slab to the ack callback
	pool *slabPool
}

type slabKey struct{}

// slabPool hands out slabs, new or returned.
type slabPool struct{ free chan *slab }

func newSlabPool() *slabPool { return &slabPool{free: make(chan *slab, 256)} }

func (p *slabPool) get() *slab {
	select {
	case s := <-p.free:
		s.arena, s.used = s.arena[:0], 0
		s.refs.Store(1)
		return s
	default:
	}
	s := &slab{recs: make([]kgo.Record, slabRecords), arena: make([]byte, 0, slabBytes), pool: p}
	s.ctx = context.WithValue(context.Background(), slabKey{}, s)
	s.refs.Store(1)
	return s
}

// fits reports whether a record of up to n key and value bytes fits.
func (s *slab) fits(n int) bool {
	return s.used < len(s.recs) && cap(s.arena)-len(s.arena) >= n
}

// next returns the slab's next record, reset, counted as handed out.
func (s *slab) next() *kgo.Record {
	r := &s.recs[s.used]
	s.used++
	s.refs.Add(1)
	*r = kgo.Record{Context: s.ctx}
	return r
}

// release drops one reference: the producer's when it moves on to the next
// slab, or a record's when the broker has answered for it.
func (s *slab) release() {
	if s.refs.Add(-1) == 0 {
		select {
		case s.pool.free <- s:
		default: // enough spare slabs; this one goes to the collector
		}
	}
}

// releaseRecord releases the slab rec was taken from, if any.
func releaseRecord(rec *kgo.Record) {
	if rec.Context == nil {
		return
	}
	if s, ok := rec.Context.Value(slabKey{}).(*slab); ok {
		s.release()
	}
}
