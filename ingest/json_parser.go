package ingest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// The JSON scanner under jsonDecoder: it reads strings, numbers and
// literals at a position in the record and checks the syntax of the values
// it skips, and hands out strings that point into the record or into an
// arena, so that decoding a record allocates nothing.

// maxDepth bounds how deeply objects and arrays may nest.
const maxDepth = 32

type parser struct {
	data  []byte
	pos   int
	arena *arena
	alias bool // see jsonDecoder.alias
}

func (p *parser) peek() byte {
	if p.pos < len(p.data) {
		return p.data[p.pos]
	}
	return 0
}

func (p *parser) skipWS() {
	// Most records are compact: no space between tokens.
	if p.pos < len(p.data) && p.data[p.pos] > ' ' {
		return
	}
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// str reads a JSON string at pos and returns it unescaped. The result is
// copied into the parser's arena (or the heap without one) unless the
// parser may alias data and the string has no escapes.
func (p *parser) str(scratch *[]byte) (string, error) {
	b, escaped, err := p.strBytes(scratch)
	if err != nil {
		return "", err
	}
	if p.alias && !escaped {
		return unsafeString(b), nil
	}
	return p.arena.str(b), nil
}

// raw returns the data from start to pos, a number or an array, as str
// returns a string.
func (p *parser) raw(start int) string {
	if p.alias {
		return unsafeString(p.data[start:p.pos])
	}
	return p.arena.str(p.data[start:p.pos])
}

// unsafeString returns b as a string without a copy. The caller must not
// change b while the string is in use: it is only called on the record
// being decoded, when the decoder's caller promised as much (alias).
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// strBytes is str without the copy: the bytes are data's, or scratch's when
// the string has escapes, which it reports (then valid until the next call
// with the same scratch). It checks the string is valid UTF-8, which costs
// next to nothing for ASCII: JSON allows non-ASCII bytes only in strings,
// so a record that parses is valid UTF-8 when its strings are.
func (p *parser) strBytes(scratch *[]byte) ([]byte, bool, error) {
	if p.peek() != '"' {
		return nil, false, fmt.Errorf("expected a string at byte %d", p.pos)
	}
	p.pos++
	start := p.pos
	// Fast path: no escapes. Eight bytes at a time up to the first quote,
	// backslash or control character; high collects the bytes passed over,
	// for their top bits.
	var high uint64
	for p.pos+8 <= len(p.data) {
		w := binary.LittleEndian.Uint64(p.data[p.pos:])
		if m := specialBytes(w); m != 0 {
			n := uint(bits.TrailingZeros64(m)) / 8
			high |= w & (1<<(8*n) - 1)
			p.pos += int(n)
			break
		}
		high |= w
		p.pos += 8
	}
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		if c == '"' {
			s := p.data[start:p.pos]
			p.pos++
			if high&highs != 0 && !utf8.Valid(s) {
				return nil, false, errBadUTF8
			}
			return s, false, nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return nil, false, fmt.Errorf("control character in string at byte %d", p.pos)
		}
		high |= uint64(c)
		p.pos++
	}
	b := append((*scratch)[:0], p.data[start:p.pos]...)
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			*scratch = b
			// Escapes decode to whole, valid characters: b is valid
			// exactly when the raw bytes between them are.
			if high&highs != 0 && !utf8.Valid(b) {
				return nil, false, errBadUTF8
			}
			return b, true, nil
		case c == '\\':
			if p.pos+1 >= len(p.data) {
				return nil, false, errors.New("unterminated escape")
			}
			e := p.data[p.pos+1]
			p.pos += 2
			if c, ok := simpleEscape(e); ok {
				b = append(b, c)
				continue
			}
			switch e {
			case 'u':
				r, ok := p.hex4()
				if !ok {
					return nil, false, fmt.Errorf("bad \\u escape at byte %d", p.pos)
				}
				if utf16.IsSurrogate(r) {
					// A high surrogate takes a low one that follows; any
					// other escape there is read on its own next round.
					lo := utf8.RuneError
					if r < 0xdc00 && p.pos+1 < len(p.data) && p.data[p.pos] == '\\' && p.data[p.pos+1] == 'u' {
						save := p.pos
						p.pos += 2
						if x, ok := p.hex4(); ok && x >= 0xdc00 && x <= 0xdfff {
							lo = x
						} else {
							p.pos = save
						}
					}
					r = utf16.DecodeRune(r, lo) // U+FFFD unless a pair
				}
				b = utf8.AppendRune(b, r)
			default:
				return nil, false, fmt.Errorf("bad escape \\%c at byte %d", e, p.pos-1)
			}
		case c < 0x20:
			return nil, false, fmt.Errorf("control character in string at byte %d", p.pos)
		default:
			b = append(b, c)
			high |= uint64(c)
			p.pos++
		}
	}
	return nil, false, errors.New("unterminated string")
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// specialBytes flags, in its top bit, each byte of w (little-endian) that
// is '"', '\\' or below 0x20, or zero for none. Only the lowest flag is
// exact: a borrow out of a flagged byte may flag the one above it too, which
// is why callers look only at the first.
func specialBytes(w uint64) uint64 {
	zero := func(x uint64) uint64 { return (x - ones) & ^x & highs } // a zero byte
	quote, backslash := zero(w^(ones*'"')), zero(w^(ones*'\\'))
	control := (w - ones*0x20) & ^w & highs // a byte below 0x20
	return quote | backslash | control
}

func (p *parser) hex4() (rune, bool) {
	if p.pos+4 > len(p.data) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(p.data[p.pos:p.pos+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	p.pos += 4
	return rune(v), true
}

// skipValue moves past one JSON value, checking its syntax.
func (p *parser) skipValue(depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("JSON nested deeper than %d levels", maxDepth)
	}
	p.skipWS()
	switch c := p.peek(); {
	case c == '"':
		return p.skipStr()
	case c == '{' || c == '[':
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		p.pos++
		p.skipWS()
		if p.peek() == closer {
			p.pos++
			return nil
		}
		for {
			p.skipWS()
			if c == '{' {
				if err := p.skipStr(); err != nil {
					return err
				}
				p.skipWS()
				if p.peek() != ':' {
					return fmt.Errorf("expected ':' at byte %d", p.pos)
				}
				p.pos++
			}
			if err := p.skipValue(depth + 1); err != nil {
				return err
			}
			p.skipWS()
			switch p.peek() {
			case ',':
				p.pos++
			case closer:
				p.pos++
				return nil
			default:
				return fmt.Errorf("expected ',' or '%c' at byte %d", closer, p.pos)
			}
		}
	case c == 't':
		return p.lit("true")
	case c == 'f':
		return p.lit("false")
	case c == 'n':
		return p.lit("null")
	case c == '-' || (c >= '0' && c <= '9'):
		start := p.pos
		for p.pos < len(p.data) && strings.IndexByte("+-0123456789.eE", p.data[p.pos]) >= 0 {
			p.pos++
		}
		if num := p.data[start:p.pos]; !isInteger(num) {
			if _, err := strconv.ParseFloat(string(num), 64); err != nil {
				return fmt.Errorf("bad number %q", num)
			}
		}
		return nil
	default:
		return fmt.Errorf("unexpected character %q at byte %d", c, p.pos)
	}
}

// isInteger reports whether b is at most 100 digits after an optional
// minus sign: a number strconv.ParseFloat always reads (it refuses only
// numbers past ±1.8e308), as most in logs are, checked without it.
func isInteger(b []byte) bool {
	if len(b) > 0 && b[0] == '-' {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 100 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// skipStr moves past one string, checking it.
func (p *parser) skipStr() error {
	var scratch []byte
	_, _, err := p.strBytes(&scratch)
	return err
}

func (p *parser) lit(s string) error {
	if p.pos+len(s) > len(p.data) || string(p.data[p.pos:p.pos+len(s)]) != s {
		return fmt.Errorf("bad literal at byte %d", p.pos)
	}
	p.pos += len(s)
	return nil
}

// hasRaw reports whether the string at pos is `"` + raw + `"`.
func (p *parser) hasRaw(raw string) bool {
	end := p.pos + len(raw) + 1
	return end < len(p.data) && p.data[p.pos] == '"' && p.data[end] == '"' && string(p.data[p.pos+1:end]) == raw
}

// arena hands out strings copied into a reusable chunk, so decoding a
// record allocates nothing. The strings are valid until the next record is
// decoded: callers copy them (into the batch's columns) before that.
type arena struct {
	buf []byte
}

const arenaChunk = 256 << 10

func (a *arena) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if a == nil || len(b) > arenaChunk/4 {
		return string(b)
	}
	if cap(a.buf)-len(a.buf) < len(b) {
		// Strings already handed out keep the old chunk alive; a record's
		// strings live until the next record, so chunks are rarely replaced.
		a.buf = make([]byte, 0, arenaChunk)
	}
	start := len(a.buf)
	a.buf = append(a.buf, b...)
	return unsafe.String(&a.buf[start], len(b))
}
