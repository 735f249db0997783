package ingest

import (
	"sync"
	"unsafe"

	"github.com/twmb/franz-go/pkg/kgo"
)

// fetchPool lets the consumer reuse the memory of fetched records: the
// Record structs and the decompressed batches their keys and values point
// into. Without it every fetched byte is fresh memory, which at full speed
// is hundreds of megabytes a second for the garbage collector to trace and
// for the kernel to zero on first touch. Records go back to the pool when
// cut has copied them into batches (Record.Recycle).
//
// The pool keeps at most maxPooledBytes of each kind; past that, returned
// memory is left to the garbage collector.
type fetchPool struct {
	mu        sync.Mutex
	bufs      [][]byte
	bufBytes  int
	recs      [][]kgo.Record
	recsBytes int
}

const maxPooledBytes = 32 << 20

const recordSize = int(unsafe.Sizeof(kgo.Record{}))

// GetDecompressBytes implements kgo.PoolDecompressBytes. It returns a
// pooled buffer large enough for a batch that compressed about fourfold,
// or nil, and the codec then allocates what it needs; that buffer joins
// the pool when its records are recycled.
func (p *fetchPool) GetDecompressBytes(compressed []byte, _ kgo.CompressionCodecType) []byte {
	want := 4 * len(compressed)
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := len(p.bufs) - 1; i >= 0; i-- {
		if b := p.bufs[i]; cap(b) >= want {
			p.bufs[i] = p.bufs[len(p.bufs)-1]
			p.bufs = p.bufs[:len(p.bufs)-1]
			p.bufBytes -= cap(b)
			return b
		}
	}
	return nil
}

// PutDecompressBytes implements kgo.PoolDecompressBytes.
func (p *fetchPool) PutDecompressBytes(b []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bufBytes+cap(b) <= maxPooledBytes {
		p.bufs = append(p.bufs, b)
		p.bufBytes += cap(b)
	}
}

// GetRecords implements kgo.PoolRecords.
func (p *fetchPool) GetRecords(n int) []kgo.Record {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := len(p.recs) - 1; i >= 0; i-- {
		if r := p.recs[i]; cap(r) >= n {
			p.recs[i] = p.recs[len(p.recs)-1]
			p.recs = p.recs[:len(p.recs)-1]
			p.recsBytes -= cap(r) * recordSize
			return r[:n]
		}
	}
	return make([]kgo.Record, n)
}

// PutRecords implements kgo.PoolRecords. The client zeroed the records
// when they were recycled.
func (p *fetchPool) PutRecords(r []kgo.Record) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if size := cap(r) * recordSize; p.recsBytes+size <= maxPooledBytes {
		p.recs = append(p.recs, r)
		p.recsBytes += size
	}
}
