package ingest

import (
	"errors"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// logfmtDecoder reads one logfmt line per record:
//
//	ts=2025-03-14T15:09:26Z level=info msg="user \"bob\" logged in" cached
//
// Pairs are separated by spaces or tabs. A value is either bare (up to the
// next space; it may hold '=' and '"' verbatim) or double-quoted with the
// escapes \" \\ \/ \b \f \n \r \t and \uXXXX (other backslashes are kept
// verbatim, for hand-written Windows paths). A key without '=' is a flag
// with the value "true", which never fills a column. The common keys fill
// columns as for json (see logRow.setField); the rest become attributes.
//
// Errors: a line with no key=value pair at all (plain text), an empty key,
// a '"' in a key, an unterminated quote, anything but a space after a
// closing quote, a control character other than tab, invalid UTF-8.
type logfmtDecoder struct {
	buf []byte    // scratch for unescaped values
	fm  *fieldMap // the topic's field mapping; nil for none
}

var errNotLogfmt = errors.New("line has no key=value pair")

func (d *logfmtDecoder) decode(data []byte, row *logRow) error {
	d.fm.attach(row)
	line := trimEOL(data)
	if !utf8.Valid(line) {
		return fmt.Errorf("invalid UTF-8 at byte %d: %w", invalidUTF8At(line), errBadUTF8)
	}
	// One copy of the line: keys and values without escapes are substrings
	// of it, so the row never aliases data.
	s := string(line)
	pairs := 0
	i := 0
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i == len(s) {
			break
		}
		start := i
		for i < len(s) {
			c := s[i]
			if c == ' ' || c == '\t' || c == '=' {
				break
			}
			if c == '"' {
				return fmt.Errorf("unexpected '\"' in key at byte %d", i)
			}
			if isControl(c) {
				return fmt.Errorf("control character 0x%02x in key at byte %d", c, i)
			}
			i++
		}
		key := s[start:i]
		if i == len(s) || s[i] != '=' {
			row.setField(key, "true", kindOther, true) // a flag
			continue
		}
		if key == "" {
			return fmt.Errorf("empty key at byte %d", start)
		}
		i++ // =
		var val string
		if i < len(s) && s[i] == '"' {
			var err error
			if val, i, err = d.quoted(s, i, key); err != nil {
				return err
			}
			if i < len(s) && s[i] != ' ' && s[i] != '\t' {
				return fmt.Errorf("unexpected %q after the quoted value of %q at byte %d", s[i], key, i)
			}
		} else {
			vs := i
			for i < len(s) && s[i] != ' ' && s[i] != '\t' {
				if isControl(s[i]) {
					return fmt.Errorf("control character 0x%02x in value of %q at byte %d", s[i], key, i)
				}
				i++
			}
			val = s[vs:i]
		}
		pairs++
		row.setField(key, val, kindString, true)
	}
	if pairs == 0 {
		return errNotLogfmt
	}
	return nil
}

// quoted reads the quoted value at s[i] (the opening quote) and returns it
// unescaped with the index after the closing quote.
func (d *logfmtDecoder) quoted(s string, i int, key string) (string, int, error) {
	i++
	start := i
	for ; i < len(s); i++ {
		c := s[i]
		if c == '"' {
			return s[start:i], i + 1, nil
		}
		if c == '\\' {
			break
		}
		if isControl(c) && c != '\t' {
			return "", i, fmt.Errorf("control character 0x%02x in value of %q at byte %d", c, key, i)
		}
	}
	b := append(d.buf[:0], s[start:i]...)
	defer func() { d.buf = b[:0] }()
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			return string(b), i + 1, nil
		case c == '\\' && i+1 < len(s):
			e := s[i+1]
			if c, ok := simpleEscape(e); ok {
				b = append(b, c)
				i += 2
				continue
			}
			switch e {
			case 'u':
				r, n := unescapeU(s[i:])
				if n == 0 {
					b = append(b, '\\')
					i++
					continue
				}
				b = utf8.AppendRune(b, r)
				i += n
				continue
			default:
				// Not an escape: keep the backslash; the next byte is
				// read on its own (and checked) by the next round.
				b = append(b, '\\')
				i++
				continue
			}
		case isControl(c) && c != '\t':
			return "", i, fmt.Errorf("control character 0x%02x in value of %q at byte %d", c, key, i)
		default:
			b = append(b, c)
			i++
		}
	}
	return "", i, fmt.Errorf("unterminated quote in value of %q", key)
}

// unescapeU reads a \uXXXX escape at the start of s, with the low half of
// a surrogate pair when one follows, and returns the rune and the bytes
// read; 0 bytes when s does not start with a well-formed escape. A lone
// surrogate reads as U+FFFD.
func unescapeU(s string) (rune, int) {
	r, ok := hex4(s, 2)
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' || !ok {
		return 0, 0
	}
	if !utf16.IsSurrogate(r) {
		return r, 6
	}
	if r < 0xdc00 && len(s) >= 12 && s[6] == '\\' && s[7] == 'u' {
		if lo, ok := hex4(s, 8); ok && lo >= 0xdc00 && lo <= 0xdfff {
			return utf16.DecodeRune(r, lo), 12
		}
	}
	return utf8.RuneError, 6
}

// hex4 reads four hex digits at s[i:].
func hex4(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// isControl reports an ASCII control character (tab included).
func isControl(c byte) bool { return c < 0x20 || c == 0x7f }
