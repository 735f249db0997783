package ingest

// Keys of JSON records: interned, so that a batch's keys are a few shared
// strings, and predicted from the previous record, whose keys most records
// repeat in the same order.

// maxInternedKeys bounds the key table: records with ever-new keys (ids as
// keys) stop being interned past it rather than growing it.
const maxInternedKeys = 4096

// jsonKey is an interned key with its built-in field as a top-level key,
// worked out once rather than per record.
type jsonKey struct {
	s string
	f field
}

// intern returns a shared string for a key seen before; keys repeat across
// records, values do not.
func (d *jsonDecoder) intern(b []byte) jsonKey {
	var slot *jsonKey
	if n := len(b); n > 0 {
		slot = &d.recent[(uint(n)*31+uint(b[0])*7+uint(b[n-1]))&255]
		if slot.s == string(b) {
			return *slot
		}
	}
	if k, ok := d.keys[string(b)]; ok {
		if slot != nil {
			*slot = k
		}
		return k
	}
	if d.keys == nil {
		d.keys = make(map[string]jsonKey, 64)
	}
	s := string(b)
	k := jsonKey{s, fieldOf(s)}
	if len(d.keys) < maxInternedKeys {
		d.keys[s] = k
	}
	return k
}

// maxShape bounds the keys remembered of a record.
const maxShape = 64

// shapeKey is one key of the previous record: the bytes between its quotes
// (raw, which has no escapes), the prefix of the object it was in, and the
// key interned.
type shapeKey struct {
	raw    string
	prefix string
	key    jsonKey
	ok     bool // false for a key with escapes, which is not predicted
}

// key reads the key at pos of an object under prefix ("" at the top). When
// the previous record had the same raw key in the same place under the same
// prefix, a comparison of bytes stands in for scanning, checking and
// interning it: those bytes hold no quote, backslash or control character
// and are valid UTF-8 (they were checked when first read), so the string
// at pos is exactly that key.
func (d *jsonDecoder) key(p *parser, prefix string) (jsonKey, error) {
	i := d.nkey
	d.nkey++
	if i < len(d.shape) {
		if e := &d.shape[i]; e.ok && e.prefix == prefix && p.hasRaw(e.raw) {
			p.pos += len(e.raw) + 2
			return e.key, nil
		}
	}
	kb, escaped, err := p.strBytes(&d.buf)
	if err != nil {
		return jsonKey{}, err
	}
	var key jsonKey
	if prefix == "" {
		key = d.intern(kb)
	} else {
		d.kbuf = append(append(append(d.kbuf[:0], prefix...), '.'), kb...)
		key = d.intern(d.kbuf)
		key.f = fieldNone // the built-in names are top-level only
	}
	if i < maxShape {
		// The raw bytes are the end of the interned key: no copy.
		e := shapeKey{raw: key.s[len(key.s)-len(kb):], prefix: prefix, key: key, ok: !escaped}
		if i < len(d.shape) {
			d.shape[i] = e
		} else if i == len(d.shape) {
			d.shape = append(d.shape, e)
		}
	}
	return key, nil
}
