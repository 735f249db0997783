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
type fetchPool struct {
	bufs freeList[byte]
	recs freeList[kgo.Record]
}

// maxPooledBytes bounds the memory each of the pool's lists keeps; past it,
// returned memory is left to the garbage collector.
const maxPooledBytes = 32 << 20

// GetDecompressBytes implements kgo.PoolDecompressBytes. It returns a
// pooled buffer large enough for a batch that compressed about fourfold,
// or nil, and the codec then allocates what it needs; that buffer joins
// the pool when its records are recycled.
func (p *fetchPool) GetDecompressBytes(compressed []byte, _ kgo.CompressionCodecType) []byte {
	return p.bufs.get(4 * len(compressed))
}

// PutDecompressBytes implements kgo.PoolDecompressBytes.
func (p *fetchPool) PutDecompressBytes(b []byte) { p.bufs.put(b) }

// GetRecords implements kgo.PoolRecords.
func (p *fetchPool) GetRecords(n int) []kgo.Record {
	if r := p.recs.get(n); r != nil {
		return r[:n]
	}
	return make([]kgo.Record, n)
}

// PutRecords implements kgo.PoolRecords. The client zeroed the records
// when they were recycled.
func (p *fetchPool) PutRecords(r []kgo.Record) { p.recs.put(r) }

// freeList keeps returned slices, up to maxPooledBytes of them.
type freeList[T any] struct {
	mu    sync.Mutex
	list  [][]T
	bytes int
}

// get takes a kept slice with room for n elements, or returns nil.
func (f *freeList[T]) get(n int) []T {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.list) - 1; i >= 0; i-- {
		if s := f.list[i]; cap(s) >= n {
			f.list[i] = f.list[len(f.list)-1]
			f.list = f.list[:len(f.list)-1]
			f.bytes -= sizeOf(s)
			return s
		}
	}
	return nil
}

// put keeps s if the list has room for it.
func (f *freeList[T]) put(s []T) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if size := sizeOf(s); f.bytes+size <= maxPooledBytes {
		f.list = append(f.list, s)
		f.bytes += size
	}
}

func sizeOf[T any](s []T) int {
	var zero T
	return cap(s) * int(unsafe.Sizeof(zero))
}
