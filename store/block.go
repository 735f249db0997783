package store

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"slices"
)

// Block is a batch of rows held column by column, the shape ClickHouse
// stores and the cheapest shape to insert: each engine encodes it in a
// binary columnar format (Native) rather than text.
//
// A Block is not safe for concurrent use. Reset keeps the allocated memory
// for the next batch.
type Block struct {
	Cols []BlockColumn
}

// BlockColumn is one column of a Block.
type BlockColumn interface {
	// ColName is the table column this data goes to.
	ColName() string
	// ColType is the ClickHouse type the data is encoded as; the engine
	// converts it to the table's type when they differ (String to
	// LowCardinality(String), for example).
	ColType() string
	// Len is the number of rows held.
	Len() int
	// AppendNative appends the column's data in ClickHouse Native encoding.
	AppendNative(dst []byte) []byte
	// Values returns the data as a slice for drivers that take Go values.
	Values() any
	// Reset empties the column and keeps its memory.
	Reset()
}

// Rows is the number of rows in the block; every column must agree.
func (b *Block) Rows() int {
	if len(b.Cols) == 0 {
		return 0
	}
	return b.Cols[0].Len()
}

// Check reports a block whose columns disagree on the row count.
func (b *Block) Check() error {
	n := b.Rows()
	for _, c := range b.Cols {
		if c.Len() != n {
			return fmt.Errorf("column %q has %d rows, want %d", c.ColName(), c.Len(), n)
		}
	}
	return nil
}

// Reset empties every column.
func (b *Block) Reset() {
	for _, c := range b.Cols {
		c.Reset()
	}
}

// Names lists the column names, in order.
func (b *Block) Names() []string {
	names := make([]string, len(b.Cols))
	for i, c := range b.Cols {
		names[i] = c.ColName()
	}
	return names
}

// AppendNative encodes the whole block as one ClickHouse Native block.
func (b *Block) AppendNative(dst []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b.Cols)))
	dst = binary.AppendUvarint(dst, uint64(b.Rows()))
	for _, c := range b.Cols {
		dst = appendString(dst, c.ColName())
		dst = appendString(dst, c.ColType())
		dst = c.AppendNative(dst)
	}
	return dst
}

// WriteNative writes the block as one ClickHouse Native block, column by
// column, without first gathering it in one buffer.
func (b *Block) WriteNative(w io.Writer) error {
	// Scratch holds one column's fixed-width data at a time: sized once for
	// the largest, not grown column by column.
	most := 64
	for _, c := range b.Cols {
		switch c := c.(type) {
		case *StringColumn: // written from its own buffer
		case *MapColumn: // only the head goes through scratch
			most = max(most, nativeSize(c)-c.vals.Len())
		default:
			most = max(most, nativeSize(c))
		}
	}
	scratch := make([]byte, 0, most)
	scratch = binary.AppendUvarint(scratch, uint64(len(b.Cols)))
	scratch = binary.AppendUvarint(scratch, uint64(b.Rows()))
	if _, err := w.Write(scratch); err != nil {
		return err
	}
	for _, c := range b.Cols {
		scratch = appendString(scratch[:0], c.ColName())
		scratch = appendString(scratch, c.ColType())
		if _, err := w.Write(scratch); err != nil {
			return err
		}
		// The large buffers go out as they are; only fixed-width data is
		// encoded into scratch first.
		var err error
		switch c := c.(type) {
		case *StringColumn:
			err = c.buf.writeTo(w)
		case *MapColumn:
			scratch = c.appendHead(scratch[:0])
			if _, err = w.Write(scratch); err == nil {
				err = c.vals.writeTo(w)
			}
		default:
			scratch = c.AppendNative(scratch[:0])
			_, err = w.Write(scratch)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// NativeSize estimates the encoded size, to size buffers once.
func (b *Block) NativeSize() int {
	n := 32
	for _, c := range b.Cols {
		n += nativeSize(c)
	}
	return n
}

// nativeSize is at least the encoded size of c's data, less a map's values.
func nativeSize(c BlockColumn) int {
	switch c := c.(type) {
	case *StringColumn:
		return c.buf.Len()
	case *MapColumn:
		return 8*len(c.Offsets) + len(c.keys.dict) + 4*c.keys.Len() + c.vals.Len() + 64
	case *LowCardinalityColumn:
		return len(c.dict) + 4*c.Len() + 64
	default:
		return 8 * c.Len()
	}
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// StringColumn holds a String column already in Native encoding
// (length-prefixed bytes) in pooled blocks (see chunks), so a batch costs no
// per-value allocation, holds no pointers for the garbage collector to scan
// and reuses the memory of batches written before it. The engine converts
// it where the table says LowCardinality(String).
type StringColumn struct {
	Name string
	buf  chunks
	n    int
}

// Strings returns a StringColumn holding vals.
func Strings(name string, vals ...string) *StringColumn {
	c := &StringColumn{Name: name}
	for _, v := range vals {
		c.Append(v)
	}
	return c
}

func (c *StringColumn) ColName() string { return c.Name }
func (c *StringColumn) ColType() string { return "String" }
func (c *StringColumn) Len() int        { return c.n }

// Reset empties the column and hands its memory to the next columns
// filled, of this batch or any other.
func (c *StringColumn) Reset() { c.buf.reset(); c.n = 0 }

// Size is the bytes the values take, length prefixes included.
func (c *StringColumn) Size() int { return c.buf.Len() }

// Append adds one value.
func (c *StringColumn) Append(s string) {
	appendValue(&c.buf, s)
	c.n++
}

// AppendBytes adds one value from bytes.
func (c *StringColumn) AppendBytes(b []byte) {
	appendValue(&c.buf, b)
	c.n++
}

// Values decodes the column into strings, for drivers that take Go values.
func (c *StringColumn) Values() any { return decodeStrings(c.buf.appendTo(nil), c.n) }

func (c *StringColumn) AppendNative(dst []byte) []byte { return c.buf.appendTo(dst) }

func decodeStrings(buf []byte, n int) []string {
	out := make([]string, 0, n)
	for len(buf) > 0 {
		l, k := binary.Uvarint(buf)
		out = append(out, string(buf[k:k+int(l)]))
		buf = buf[k+int(l):]
	}
	return out
}

// Int64Column holds Int64 values, or DateTime64 ticks when Type says so
// (for example "DateTime64(3)" with milliseconds since the epoch).
type Int64Column struct {
	Name string
	Type string
	Data []int64
}

func (c *Int64Column) ColName() string { return c.Name }
func (c *Int64Column) ColType() string {
	if c.Type == "" {
		return "Int64"
	}
	return c.Type
}
func (c *Int64Column) Len() int       { return len(c.Data) }
func (c *Int64Column) Values() any    { return c.Data }
func (c *Int64Column) Reset()         { c.Data = c.Data[:0] }
func (c *Int64Column) Append(v int64) { c.Data = append(c.Data, v) }

func (c *Int64Column) AppendNative(dst []byte) []byte {
	for _, v := range c.Data {
		dst = binary.LittleEndian.AppendUint64(dst, uint64(v))
	}
	return dst
}

// UInt64Column holds UInt64 values.
type UInt64Column struct {
	Name string
	Data []uint64
}

func (c *UInt64Column) ColName() string { return c.Name }
func (c *UInt64Column) ColType() string { return "UInt64" }
func (c *UInt64Column) Len() int        { return len(c.Data) }
func (c *UInt64Column) Values() any     { return c.Data }
func (c *UInt64Column) Reset()          { c.Data = c.Data[:0] }
func (c *UInt64Column) Append(v uint64) { c.Data = append(c.Data, v) }

func (c *UInt64Column) AppendNative(dst []byte) []byte {
	for _, v := range c.Data {
		dst = binary.LittleEndian.AppendUint64(dst, v)
	}
	return dst
}

// UInt32Column holds UInt32 values (also DateTime seconds).
type UInt32Column struct {
	Name string
	Type string
	Data []uint32
}

func (c *UInt32Column) ColName() string { return c.Name }
func (c *UInt32Column) ColType() string {
	if c.Type == "" {
		return "UInt32"
	}
	return c.Type
}
func (c *UInt32Column) Len() int        { return len(c.Data) }
func (c *UInt32Column) Values() any     { return c.Data }
func (c *UInt32Column) Reset()          { c.Data = c.Data[:0] }
func (c *UInt32Column) Append(v uint32) { c.Data = append(c.Data, v) }

func (c *UInt32Column) AppendNative(dst []byte) []byte {
	for _, v := range c.Data {
		dst = binary.LittleEndian.AppendUint32(dst, v)
	}
	return dst
}

// Int32Column holds Int32 values.
type Int32Column struct {
	Name string
	Data []int32
}

func (c *Int32Column) ColName() string { return c.Name }
func (c *Int32Column) ColType() string { return "Int32" }
func (c *Int32Column) Len() int        { return len(c.Data) }
func (c *Int32Column) Values() any     { return c.Data }
func (c *Int32Column) Reset()          { c.Data = c.Data[:0] }
func (c *Int32Column) Append(v int32)  { c.Data = append(c.Data, v) }

func (c *Int32Column) AppendNative(dst []byte) []byte {
	for _, v := range c.Data {
		dst = binary.LittleEndian.AppendUint32(dst, uint32(v))
	}
	return dst
}

// Float64Column holds Float64 values.
type Float64Column struct {
	Name string
	Data []float64
}

func (c *Float64Column) ColName() string  { return c.Name }
func (c *Float64Column) ColType() string  { return "Float64" }
func (c *Float64Column) Len() int         { return len(c.Data) }
func (c *Float64Column) Values() any      { return c.Data }
func (c *Float64Column) Reset()           { c.Data = c.Data[:0] }
func (c *Float64Column) Append(v float64) { c.Data = append(c.Data, v) }

func (c *Float64Column) AppendNative(dst []byte) []byte {
	for _, v := range c.Data {
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(v))
	}
	return dst
}

// MapColumn holds a Map(String, String) column flattened the way ClickHouse
// stores it: all keys and values in order, and per row the end offset. Keys
// travel as LowCardinality(String), the type of every map column in the
// schema: the same few keys come back in nearly every row.
type MapColumn struct {
	Name    string
	Offsets []uint64
	keys    LowCardinalityColumn
	vals    chunks // Native-encoded
}

func (c *MapColumn) ColName() string { return c.Name }
func (c *MapColumn) ColType() string { return "Map(LowCardinality(String), String)" }
func (c *MapColumn) Len() int        { return len(c.Offsets) }
func (c *MapColumn) Reset() {
	c.Offsets = c.Offsets[:0]
	c.vals.reset()
	c.keys.Reset()
}

// Grow makes room for rows more rows holding pairs more pairs. Values take
// pooled blocks as they come.
func (c *MapColumn) Grow(rows, pairs int) {
	c.Offsets = slices.Grow(c.Offsets, rows)
	c.keys.Grow(pairs)
}

// Pairs is the number of key/value pairs, and Size the bytes their values
// take.
func (c *MapColumn) Pairs() int { return c.keys.Len() }
func (c *MapColumn) Size() int  { return c.vals.Len() }

// Add adds one key/value pair to the row being built; EndRow closes it.
func (c *MapColumn) Add(k, v string) {
	c.keys.AppendByAddr(k)
	appendValue(&c.vals, v)
}

// EndRow closes the current row.
func (c *MapColumn) EndRow() { c.Offsets = append(c.Offsets, uint64(c.keys.Len())) }

// Values returns one map per row.
func (c *MapColumn) Values() any {
	keys, vals := c.keys.Values().([]string), decodeStrings(c.vals.appendTo(nil), c.keys.Len())
	out := make([]map[string]string, len(c.Offsets))
	start := uint64(0)
	for i, end := range c.Offsets {
		m := make(map[string]string, end-start)
		for j := start; j < end; j++ {
			m[keys[j]] = vals[j]
		}
		out[i] = m
		start = end
	}
	return out
}

func (c *MapColumn) AppendNative(dst []byte) []byte {
	return c.vals.appendTo(c.appendHead(dst))
}

// appendHead appends all but the values: the keys' state prefix, the
// offsets and the keys.
func (c *MapColumn) appendHead(dst []byte) []byte {
	dst = c.keys.appendPrefix(dst)
	for _, o := range c.Offsets {
		dst = binary.LittleEndian.AppendUint64(dst, o)
	}
	return c.keys.appendData(dst)
}
