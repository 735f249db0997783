package store

import (
	"encoding/binary"
	"io"
	"sync"
)

// chunkSize is the size of the blocks String data is kept in.
const chunkSize = 256 << 10

// maxFreeChunks bounds the blocks kept for reuse: 64 MiB.
const maxFreeChunks = 256

// chunks is a byte stream kept in fixed-size blocks. It grows without
// copying what it holds, as a slice grown by appending does several times
// over, and a reset hands its blocks to a free list that every column of
// every batch draws on: a batch of any size reuses the memory of the
// batches written before it, instead of the garbage collector and the
// kernel handing out fresh pages. Values may span blocks; the stream is
// only ever read whole, in order.
type chunks struct {
	full [][]byte // filled blocks, each len == cap
	cur  []byte   // the block being filled
	size int      // bytes in full
}

// Len is the number of bytes held.
func (c *chunks) Len() int { return c.size + len(c.cur) }

// appendValue appends v's length as a varint, then v: a String in Native
// encoding.
func appendValue[T string | []byte](c *chunks, v T) {
	if cap(c.cur)-len(c.cur) >= len(v)+binary.MaxVarintLen64 {
		c.cur = binary.AppendUvarint(c.cur, uint64(len(v)))
		c.cur = append(c.cur, v...)
		return
	}
	var n [binary.MaxVarintLen64]byte
	write(c, binary.AppendUvarint(n[:0], uint64(len(v))))
	write(c, v)
}

// write appends p, filling the current block and taking new ones.
func write[T string | []byte](c *chunks, p T) {
	for len(p) > 0 {
		if len(c.cur) == cap(c.cur) {
			if c.cur != nil {
				c.full = append(c.full, c.cur)
				c.size += len(c.cur)
			}
			c.cur = freeChunks.get()
		}
		k := copy(c.cur[len(c.cur):cap(c.cur)], p)
		c.cur = c.cur[:len(c.cur)+k]
		p = p[k:]
	}
}

// reset empties the stream and gives its blocks back to the free list.
func (c *chunks) reset() {
	for i, b := range c.full {
		freeChunks.put(b)
		c.full[i] = nil
	}
	if c.cur != nil {
		freeChunks.put(c.cur)
	}
	c.full, c.cur, c.size = c.full[:0], nil, 0
}

// appendTo appends the whole stream to dst.
func (c *chunks) appendTo(dst []byte) []byte {
	for _, b := range c.full {
		dst = append(dst, b...)
	}
	return append(dst, c.cur...)
}

// writeTo writes the whole stream to w, a block at a time.
func (c *chunks) writeTo(w io.Writer) error {
	for _, b := range c.full {
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	if len(c.cur) == 0 {
		return nil
	}
	_, err := w.Write(c.cur)
	return err
}

// freeChunks is the blocks reset streams gave back. A bounded list rather
// than a sync.Pool, which every garbage collection empties: at full ingest
// speed a collection runs more often than a batch is written.
var freeChunks chunkList

type chunkList struct {
	mu   sync.Mutex
	list [][]byte
}

// get returns an empty block, reused or new.
func (l *chunkList) get() []byte {
	l.mu.Lock()
	if n := len(l.list); n > 0 {
		b := l.list[n-1]
		l.list[n-1] = nil
		l.list = l.list[:n-1]
		l.mu.Unlock()
		return b
	}
	l.mu.Unlock()
	return make([]byte, 0, chunkSize)
}

// put keeps b for reuse if the list has room.
func (l *chunkList) put(b []byte) {
	if cap(b) != chunkSize {
		return
	}
	l.mu.Lock()
	if len(l.list) < maxFreeChunks {
		l.list = append(l.list, b[:0])
	}
	l.mu.Unlock()
}
