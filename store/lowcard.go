package store

import (
	"encoding/binary"
	"slices"
	"strings"
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
