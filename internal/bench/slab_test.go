package bench

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

func TestSlabReturnsOnlyWhenEveryRecordIsAcked(t *testing.T) {
	p := newSlabPool()
	s := p.get()
	var recs []*kgo.Record
	for range 3 {
		r := s.next()
		r.Value = []byte("v")
		recs = append(recs, r)
	}
	s.release() // the producer moves on
	releaseRecord(recs[0])
	releaseRecord(recs[1])
	if len(p.free) != 0 {
		t.Fatal("the slab was returned with a record still unacknowledged")
	}
	releaseRecord(recs[2])
	if len(p.free) != 1 {
		t.Fatal("the slab was not returned after its last record was acknowledged")
	}
	again := p.get()
	if again != s || again.used != 0 || len(again.arena) != 0 {
		t.Fatalf("get did not hand back the returned slab, reset: used %d, arena %d bytes", again.used, len(again.arena))
	}
	if r := again.next(); r.Value != nil || r.Context == nil {
		t.Fatalf("a reused record was not reset: %+v", r)
	}
}

func TestSlabStaysWhileTheProducerFillsIt(t *testing.T) {
	p := newSlabPool()
	s := p.get()
	r := s.next()
	releaseRecord(r) // acknowledged before the producer has moved on
	if len(p.free) != 0 {
		t.Fatal("the slab was returned while the producer still fills it")
	}
	s.release()
	if len(p.free) != 1 {
		t.Fatal("the slab was not returned once the producer moved on")
	}
}
