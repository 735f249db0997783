package store

import (
	"encoding/binary"
	"slices"
	"strings"
	"unsafe"
)

// LowCardinality serialization in the Native format: a state prefix (the key
// serialization version), then per block a flags word with the width of the
// positions, the block's dictionary, and a position per row.
const (
	lcSharedDictionariesWithAdditionalKeys = 1
	lcHasAdditionalKeys                    = 1 << 9
	lcNeedUpdateDictionary                 = 1 << 10
	lcPositionUInt8                        = 0
	lcPositionUInt16                       = 1
	lcPositionUInt32                       = 2
)

// LowCardinalityColumn holds a LowCardinality(String) column the way the
// Native format carries it: the distinct values once, and per row the
// position of its value among them. A batch of log lines names a few
// streams, services, hosts and levels over and over; as positions they take
// a byte a row instead of the string, and the engine is spared building the
// dictionary itself.
type LowCardinalityColumn struct {
	Name string
	pos  map[string]uint32
	vals []string // the distinct values, copied, in order of first use
	dict []byte   // the same, Native-encoded
	rows []uint32
	// last is the value appended last (one of vals, never the caller's
	// memory), at position lastPos: columns such as a batch's stream or topic
	// repeat one value, and a comparison is cheaper than a map lookup.
	last    string
	lastPos uint32
	// byAddr remembers positions by the address of the caller's string,
	// for AppendByAddr.
	byAddr [64]addrPos
}

type addrPos struct {
	addr uintptr
	n    int
	pos  uint32
}

// LowCardinality returns a LowCardinalityColumn holding vals.
func LowCardinality(name string, vals ...string) *LowCardinalityColumn {
	c := &LowCardinalityColumn{Name: name}
	for _, v := range vals {
		c.Append(v)
	}
	return c
}

// Grow makes room for n more rows without reallocating.
func (c *LowCardinalityColumn) Grow(n int) { c.rows = slices.Grow(c.rows, n) }

func (c *LowCardinalityColumn) ColName() string { return c.Name }
func (c *LowCardinalityColumn) ColType() string { return "LowCardinality(String)" }
func (c *LowCardinalityColumn) Len() int        { return len(c.rows) }

func (c *LowCardinalityColumn) Reset() {
	clear(c.pos)
	clear(c.vals)
	c.vals, c.dict, c.rows, c.last = c.vals[:0], c.dict[:0], c.rows[:0], ""
	c.byAddr = [64]addrPos{}
}

// AppendByAddr adds one value, like Append, for callers that pass the same
// few strings again and again, such as interned map keys: the position is
// looked up by the string's address, and the map only on a miss. A hit is
// still checked against the column's own copy of the value, so a caller
// that passes other bytes at a remembered address gets the right answer,
// only slower.
func (c *LowCardinalityColumn) AppendByAddr(s string) {
	if len(s) == 0 {
		c.Append(s)
		return
	}
	addr := uintptr(unsafe.Pointer(unsafe.StringData(s)))
	e := &c.byAddr[(addr>>3^addr>>9)&63]
	if e.addr == addr && e.n == len(s) && int(e.pos) < len(c.vals) && c.vals[e.pos] == s {
		c.rows = append(c.rows, e.pos)
		return
	}
	c.Append(s)
	*e = addrPos{addr, len(s), c.lastPos}
}

// Append adds one value. s is not retained: a value seen for the first time
// is copied.
func (c *LowCardinalityColumn) Append(s string) {
	if len(c.rows) > 0 && s == c.last {
		c.rows = append(c.rows, c.lastPos)
		return
	}
	i, ok := c.pos[s]
	if !ok {
		if c.pos == nil {
			c.pos = make(map[string]uint32)
		}
		i = uint32(len(c.vals))
		v := strings.Clone(s)
		c.pos[v] = i
		c.vals = append(c.vals, v)
		c.dict = appendString(c.dict, v)
	}
	c.rows = append(c.rows, i)
	c.last, c.lastPos = c.vals[i], i
}

// Values decodes the column into strings, for drivers that take Go values.
func (c *LowCardinalityColumn) Values() any {
	out := make([]string, len(c.rows))
	for i, p := range c.rows {
		out[i] = c.vals[p]
	}
	return out
}

func (c *LowCardinalityColumn) AppendNative(dst []byte) []byte {
	return c.appendData(c.appendPrefix(dst))
}

// appendPrefix appends the state prefix, which precedes the column's data
// and, in a Map, the whole Map's.
func (c *LowCardinalityColumn) appendPrefix(dst []byte) []byte {
	return binary.LittleEndian.AppendUint64(dst, lcSharedDictionariesWithAdditionalKeys)
}

// appendData appends the dictionary and the positions; nothing when the
// column is empty, as the engine reads nothing then.
func (c *LowCardinalityColumn) appendData(dst []byte) []byte {
	if len(c.rows) == 0 {
		return dst
	}
	width := lcPositionUInt32
	switch {
	case len(c.vals) <= 1<<8:
		width = lcPositionUInt8
	case len(c.vals) <= 1<<16:
		width = lcPositionUInt16
	}
	dst = binary.LittleEndian.AppendUint64(dst, uint64(width|lcHasAdditionalKeys|lcNeedUpdateDictionary))
	dst = binary.LittleEndian.AppendUint64(dst, uint64(len(c.vals)))
	dst = append(dst, c.dict...)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(len(c.rows)))
	switch width {
	case lcPositionUInt8:
		for _, p := range c.rows {
			dst = append(dst, byte(p))
		}
	case lcPositionUInt16:
		for _, p := range c.rows {
			dst = binary.LittleEndian.AppendUint16(dst, uint16(p))
		}
	default:
		for _, p := range c.rows {
			dst = binary.LittleEndian.AppendUint32(dst, p)
		}
	}
	return dst
}
