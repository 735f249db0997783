package ingest

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// specialBytes finds the first byte of a word that ends the fast path of a
// string, as a byte-by-byte look does, whatever byte sits where.
func TestSpecialBytes(t *testing.T) {
	naive := func(b []byte) int {
		for i, c := range b {
			if c == '"' || c == '\\' || c < 0x20 {
				return i
			}
		}
		return 8
	}
	first := func(w uint64) int {
		if m := specialBytes(w); m != 0 {
			return bits.TrailingZeros64(m) / 8
		}
		return 8
	}
	check := func(b []byte) {
		t.Helper()
		if got, want := first(binary.LittleEndian.Uint64(b)), naive(b); got != want {
			t.Fatalf("%q: first special byte %d, want %d", b, got, want)
		}
	}
	base := []byte("abcdefgh")
	for pos := 0; pos < 8; pos++ {
		for c := 0; c < 256; c++ {
			b := append([]byte(nil), base...)
			b[pos] = byte(c)
			check(b)
			// A special byte below it must win over whatever is above.
			for low := 0; low < pos; low++ {
				for _, s := range []byte{'"', '\\', 0, 0x1f} {
					b2 := append([]byte(nil), b...)
					b2[low] = s
					check(b2)
				}
			}
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 100000; i++ {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], r.Uint64())
		check(b[:])
		// Words made of the bytes around the special ones.
		for j := range b {
			b[j] = []byte{0, 1, 0x1f, 0x20, 0x21, '"', '#', '[', '\\', ']', 0x7f, 0x80, 0xff}[r.IntN(13)]
		}
		check(b[:])
	}
}

// isInteger accepts only numbers strconv.ParseFloat reads, so skipping it
// refuses no fewer numbers.
func TestIsInteger(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for i := range 20000 {
		n := r.IntN(420)
		if i < 420 {
			n = i
		}
		b := make([]byte, 0, n+1)
		if r.IntN(2) == 0 {
			b = append(b, '-')
		}
		for range n {
			b = append(b, "0123456789"[r.IntN(10)])
		}
		if r.IntN(50) == 0 && n > 0 {
			b[r.IntN(len(b))] = "+-.eE"[r.IntN(5)]
		}
		_, err := strconv.ParseFloat(string(b), 64)
		if isInteger(b) && err != nil {
			t.Fatalf("%q: isInteger, but ParseFloat says %v", b, err)
		}
	}
	d := newDecoder(TopicConfig{Format: "json"})
	for in, want := range map[string]string{
		`{"a":` + strings.Repeat("9", 100) + `}`:   `@a="` + strings.Repeat("9", 100) + `"`,
		`{"a":-` + strings.Repeat("0", 400) + `7}`: `@a="-` + strings.Repeat("0", 400) + `7"`,
		`{"a":-0,"b":007}`:                         `@a="-0" @b="007"`,
	} {
		if got, err := decodeString(d, in); err != nil || got != want {
			t.Errorf("%.40s…: got %s %v, want %s", in, got, err, want)
		}
	}
	for _, in := range []string{`{"a":` + strings.Repeat("9", 400) + `}`, `{"a":-}`, `{"a":--1}`, `{"a":1-}`} {
		if _, err := decodeString(d, in); err == nil || !strings.Contains(err.Error(), "bad number") {
			t.Errorf("%.40s…: err %v, want a bad number", in, err)
		}
	}
}
