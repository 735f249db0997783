package store

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"strings"
	"testing"
)

// Values land across block boundaries, some larger than a block, and the
// stream reads back as the one contiguous Native encoding.
func TestStringColumnAcrossBlocks(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var want []byte
	var vals []string
	c := &StringColumn{Name: "body"}
	for i := range 5000 {
		n := rng.IntN(300)
		switch i % 997 {
		case 5:
			n = chunkSize + 17 // spans a block by itself
		case 6:
			n = 3*chunkSize - 1
		}
		v := strings.Repeat(string(rune('a'+i%26)), n)
		vals = append(vals, v)
		want = binary.AppendUvarint(want, uint64(n))
		want = append(want, v...)
		if i%2 == 0 {
			c.Append(v)
		} else {
			c.AppendBytes([]byte(v))
		}
	}
	if c.Len() != len(vals) || c.Size() != len(want) {
		t.Fatalf("holds %d values in %d bytes, want %d in %d", c.Len(), c.Size(), len(vals), len(want))
	}
	if got := c.AppendNative(nil); !bytes.Equal(got, want) {
		t.Fatal("AppendNative differs from the contiguous encoding")
	}
	var w bytes.Buffer
	if err := c.buf.writeTo(&w); err != nil || !bytes.Equal(w.Bytes(), want) {
		t.Fatalf("writeTo differs from the contiguous encoding (err %v)", err)
	}
	got := c.Values().([]string)
	for i := range vals {
		if got[i] != vals[i] {
			t.Fatalf("value %d: %d bytes back, want %d", i, len(got[i]), len(vals[i]))
		}
	}
}

// A reset column's blocks serve the next column filled, and the reset one
// starts empty; neither sees the other's data.
func TestResetBlocksAreReused(t *testing.T) {
	a := Strings("a", strings.Repeat("x", chunkSize/2), "tail")
	first := a.buf.cur
	a.Reset()
	if a.Len() != 0 || a.Size() != 0 || a.AppendNative(nil) != nil {
		t.Fatal("a reset column still holds data")
	}
	b := Strings("b", "y")
	if &b.buf.cur[:1][0] != &first[:1][0] {
		t.Fatal("the next column did not reuse the freed block")
	}
	a.Append("z")
	if got, want := b.AppendNative(nil), []byte{1, 'y'}; !bytes.Equal(got, want) {
		t.Fatalf("b holds %q, want %q", got, want)
	}
	if got, want := a.AppendNative(nil), []byte{1, 'z'}; !bytes.Equal(got, want) {
		t.Fatalf("a holds %q, want %q", got, want)
	}
	a.Reset()
	a.Reset() // twice is harmless: no block is handed out twice
	b.Reset()
	x, y := freeChunks.get(), freeChunks.get()
	if &x[:1][0] == &y[:1][0] {
		t.Fatal("one block handed out twice")
	}
	freeChunks.put(x)
	freeChunks.put(y)
}

// The free list keeps at most maxFreeChunks blocks.
func TestFreeChunksBounded(t *testing.T) {
	var cols []*StringColumn
	for range maxFreeChunks + 40 {
		cols = append(cols, Strings("s", strings.Repeat("v", chunkSize-8)))
	}
	for _, c := range cols {
		c.Reset()
	}
	freeChunks.mu.Lock()
	n := len(freeChunks.list)
	freeChunks.mu.Unlock()
	if n > maxFreeChunks {
		t.Fatalf("%d free blocks kept, the bound is %d", n, maxFreeChunks)
	}
}
