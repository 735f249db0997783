package store

import (
	"bytes"
	"fmt"
	"testing"
	"unsafe"
)

// WriteNative streams the same bytes AppendNative builds in one buffer.
func TestWriteNativeMatchesAppendNative(t *testing.T) {
	m := &MapColumn{Name: "attrs"}
	m.Add("k", "v\nwith a newline")
	m.EndRow()
	m.EndRow() // an empty map
	m.Add("a", "")
	m.Add("b", "ü")
	m.EndRow()
	b := &Block{Cols: []BlockColumn{
		Strings("s", "x", "", "zz"),
		m,
		&Int64Column{Name: "ts", Type: "DateTime64(3)", Data: []int64{1, -2, 3}},
		&UInt64Column{Name: "u", Data: []uint64{1, 2, 3}},
		&UInt32Column{Name: "u32", Data: []uint32{4, 5, 6}},
		&Int32Column{Name: "i32", Data: []int32{-1, 0, 1}},
		&Float64Column{Name: "f", Data: []float64{0.5, -1, 2}},
	}}
	if err := b.Check(); err != nil {
		t.Fatal(err)
	}
	var w bytes.Buffer
	if err := b.WriteNative(&w); err != nil {
		t.Fatal(err)
	}
	want := b.AppendNative(nil)
	if !bytes.Equal(w.Bytes(), want) {
		t.Fatalf("WriteNative wrote %d bytes that differ from AppendNative's %d", w.Len(), len(want))
	}
	if n := b.NativeSize(); n < len(want)-64 {
		t.Fatalf("NativeSize %d underestimates %d bytes", n, len(want))
	}
}

// Drivers that take Go values get the strings back in row order.
func TestLowCardinalityValues(t *testing.T) {
	c := LowCardinality("lc", "a", "b", "a", "", "b")
	if got := fmt.Sprint(c.Values()); got != "[a b a  b]" {
		t.Fatalf("values %s", got)
	}
	m := &MapColumn{Name: "m"}
	m.Add("k", "1")
	m.EndRow()
	m.EndRow()
	m.Add("k", "2")
	m.Add("j", "3")
	m.EndRow()
	if got := fmt.Sprint(m.Values()); got != "[map[k:1] map[] map[j:3 k:2]]" {
		t.Fatalf("map values %s", got)
	}
	c.Reset()
	c.Append("z")
	if got := fmt.Sprint(c.Values()); got != "[z]" || c.Len() != 1 {
		t.Fatalf("after Reset: %s", got)
	}
}

// A value is copied when first seen: the caller may reuse its memory, and a
// later value that happens to sit in the same bytes is still told apart.
func TestLowCardinalityDoesNotKeepCallersMemory(t *testing.T) {
	buf := []byte("info")
	c := &LowCardinalityColumn{Name: "level"}
	c.Append(unsafe.String(&buf[0], len(buf)))
	copy(buf, "warn")
	c.Append(unsafe.String(&buf[0], len(buf)))
	copy(buf, "info")
	c.Append(unsafe.String(&buf[0], len(buf)))
	copy(buf, "warn")
	c.Append(unsafe.String(&buf[0], len(buf)))
	if got := fmt.Sprint(c.Values()); got != "[info warn info warn]" {
		t.Fatalf("values %s", got)
	}
}

func TestAppendByAddrMatchesAppend(t *testing.T) {
	// The same address holding other bytes, as a caller reusing its
	// memory would pass, must not be taken for the value remembered there.
	buf := []byte("region")
	shared := unsafe.String(&buf[0], len(buf))
	keys := []string{"region", "user", "http.status", "", "user"}
	byAddr, plain := &LowCardinalityColumn{Name: "k"}, &LowCardinalityColumn{Name: "k"}
	for i := range 300 {
		k := keys[i%len(keys)]
		if i%7 == 3 {
			copy(buf, []string{"region", "origin", "legion"}[i%3])
			k = shared
		}
		byAddr.AppendByAddr(k)
		plain.Append(k)
	}
	if got, want := fmt.Sprint(byAddr.Values()), fmt.Sprint(plain.Values()); got != want {
		t.Fatalf("AppendByAddr stored\n %s\nAppend stored\n %s", got, want)
	}
	byAddr.Reset()
	byAddr.AppendByAddr("user")
	if got := fmt.Sprint(byAddr.Values()); got != "[user]" {
		t.Fatalf("after Reset: %s", got)
	}
}
