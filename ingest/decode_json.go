package ingest

import (
	"errors"
	"fmt"
)

// jsonDecoder reads one JSON object per record into a logRow without
// building a map: the common keys go to their columns, everything else is
// flattened into attributes ("http.status" for {"http":{"status":…}}).
// Arrays are kept as their JSON text.
type jsonDecoder struct {
	buf   []byte    // scratch for unescaped strings
	kbuf  []byte    // scratch for dotted keys
	fm    *fieldMap // the topic's field mapping; nil for none
	arena arena     // values of one batch
	// alias lets values that need no unescaping point into the record
	// rather than be copied: set by callers that copy a row's strings
	// before the record's bytes can change (partBatch, into its columns).
	alias bool
	keys  map[string]jsonKey
	// recent holds interned keys by a cheap hash of their bytes, looked at
	// before the map: a record's few keys come back in every record.
	recent [256]jsonKey
	// shape is the keys of the previous record in the order read, and
	// nkey counts the keys of this one: see key.
	shape []shapeKey
	nkey  int
}

var errNotObject = errors.New("record is not a JSON object")

// decode fills row from data. The strings in row are valid until the next
// call; they alias data only when d.alias is set.
func (d *jsonDecoder) decode(data []byte, row *logRow) error {
	d.fm.attach(row)
	// The previous record's strings were copied into the batch's columns:
	// the arena's memory is reused.
	d.arena.buf = d.arena.buf[:0]
	d.nkey = 0
	p := parser{data: data, arena: &d.arena, alias: d.alias}
	p.skipWS()
	if p.pos >= len(p.data) || p.data[p.pos] != '{' {
		return errNotObject
	}
	if err := d.object(&p, "", row, 0); err != nil {
		return err
	}
	p.skipWS()
	if p.pos != len(p.data) {
		return fmt.Errorf("unexpected data after the JSON object at byte %d", p.pos)
	}
	return nil
}

func (d *jsonDecoder) object(p *parser, prefix string, row *logRow, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("JSON nested deeper than %d levels", maxDepth)
	}
	p.pos++ // {
	p.skipWS()
	if p.peek() == '}' {
		p.pos++
		return nil
	}
	for {
		p.skipWS()
		key, err := d.key(p, prefix)
		if err != nil {
			return fmt.Errorf("bad key: %w", err)
		}
		top := prefix == ""
		full := key.s
		p.skipWS()
		if p.peek() != ':' {
			return fmt.Errorf("expected ':' after key %q at byte %d", full, p.pos)
		}
		p.pos++
		p.skipWS()
		switch p.peek() {
		case '{', '[':
			if top && scalarKey(full) {
				what := "an object"
				if p.peek() == '[' {
					what = "an array"
				}
				return fmt.Errorf("field %q must be a string, got %s: %w", full, what, errWrongType)
			}
			if p.peek() == '{' {
				if err := d.object(p, full, row, depth+1); err != nil {
					return err
				}
				break
			}
			start := p.pos
			if err := p.skipValue(depth + 1); err != nil {
				return err
			}
			row.setKnownField(full, key.f, p.raw(start), kindOther, top)
		case '"':
			v, err := p.str(&d.buf)
			if err != nil {
				return fmt.Errorf("bad value of %q: %w", full, err)
			}
			row.setKnownField(full, key.f, v, kindString, top)
		default:
			start := p.pos
			if err := p.skipValue(depth + 1); err != nil {
				return fmt.Errorf("bad value of %q: %w", full, err)
			}
			raw := p.data[start:p.pos]
			k, lit := kindNumber, ""
			switch string(raw) {
			case "null":
				k, lit = kindNull, "null"
			case "true":
				k, lit = kindOther, "true"
			case "false":
				k, lit = kindOther, "false"
			default:
				lit = p.raw(start)
			}
			row.setKnownField(full, key.f, lit, k, top)
		}
		p.skipWS()
		switch p.peek() {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return nil
		default:
			return fmt.Errorf("expected ',' or '}' at byte %d", p.pos)
		}
	}
}

// scalarKey reports the top-level keys whose value fills a text column and
// so cannot be an object or an array: such a record is a dead letter
// (wrong_type) rather than a row with an empty service or level.
func scalarKey(k string) bool {
	switch k {
	case "level", "severity", "lvl", "service", "host", "hostname", "trace_id", "traceid":
		return true
	}
	return false
}
