package fileload

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Input as files come: gzip-compressed or not, and for the JSON formats
// whole documents as well as one object per line.
//
// A gzip file (told by its magic bytes, whatever its name) is read
// decompressed. With format json or cloudtrail, the input is read as JSON
// documents rather than lines when it starts with '[' (an array: one record
// per element), with an object whose only key is Records or records holding
// an array (an envelope, as CloudTrail delivers to S3: one record per
// element), or with an object that does not end on its first line (a
// pretty-printed document: one record per top-level value). Documents may
// follow one another, as NDJSON lines do. Each record is sent compact, on
// one line. Anything else is read line by line.

// peekBytes is how much of the input is looked at to tell documents from
// lines.
const peekBytes = 256 << 10

// utf8BOM may start a file written on Windows.
var utf8BOM = []byte("\xef\xbb\xbf")

// gzipMagic starts every gzip member.
var gzipMagic = []byte{0x1f, 0x8b}

// readInput sends the records of r: decompressed if gzip, split into
// documents' elements or into lines.
func (s *sender) readInput(ctx context.Context, r io.Reader) error {
	br := bufio.NewReaderSize(r, peekBytes)
	if head, _ := br.Peek(2); bytes.Equal(head, gzipMagic) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("cannot read the gzip input: %w", err)
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, peekBytes)
	}
	if s.opts.Format == "json" || s.opts.Format == "cloudtrail" {
		head, _ := br.Peek(peekBytes)
		if isDocument(head) {
			if bytes.HasPrefix(head, utf8BOM) {
				_, _ = br.Discard(len(utf8BOM))
			}
			return s.readDocuments(ctx, br)
		}
	}
	return s.readAll(ctx, br)
}

// isDocument reports whether input starting with head is read as JSON
// documents (see above) rather than lines.
func isDocument(head []byte) bool {
	head = bytes.TrimPrefix(head, utf8BOM)
	rest := bytes.TrimLeft(head, " \t\r\n")
	if len(rest) == 0 {
		return false
	}
	switch rest[0] {
	case '[':
		return true
	case '{':
		if isEnvelopeStart(rest) {
			return true
		}
		line, _, ok := bytes.Cut(rest, []byte("\n"))
		// A first line that is not a JSON value by itself, where the
		// peek shows its end: a pretty-printed document. A line longer
		// than the peek is left to the line reader.
		return ok && !json.Valid(line)
	}
	return false
}

// isEnvelopeStart reports whether b starts an object whose first key is
// Records or records and whose value is an array.
func isEnvelopeStart(b []byte) bool {
	b = bytes.TrimLeft(b[1:], " \t\r\n")
	for _, k := range []string{`"Records"`, `"records"`} {
		if rest, ok := bytes.CutPrefix(b, []byte(k)); ok {
			rest = bytes.TrimLeft(rest, " \t\r\n")
			if rest, ok = bytes.CutPrefix(rest, []byte(":")); ok {
				rest = bytes.TrimLeft(rest, " \t\r\n")
				return len(rest) > 0 && rest[0] == '['
			}
		}
	}
	return false
}

// readDocuments sends the elements of the JSON documents in br, each as one
// compact record. A document that is not well-formed JSON stops the read
// with an error naming it and the byte at fault; the records before it are
// sent.
func (s *sender) readDocuments(ctx context.Context, br *bufio.Reader) error {
	dec := json.NewDecoder(br)
	var (
		n    int64 // records
		doc  int
		buf  bytes.Buffer
		elem json.RawMessage
	)
	send := func(raw []byte) {
		n++
		buf.Reset()
		if err := json.Compact(&buf, raw); err != nil {
			buf.Reset()
			buf.Write(raw) // cannot happen: the decoder checked it
		}
		s.sendRecord(ctx, n, buf.Bytes(), buf.Len())
	}
	bad := func(err error) error {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return fmt.Errorf("cannot read JSON document %d: %w (at byte %d of the input)", doc, err, se.Offset)
		}
		return fmt.Errorf("cannot read JSON document %d: %w", doc, err)
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		c, err := nextByte(dec, br)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("cannot read the input: %w", err)
		}
		doc++
		switch c {
		case '[':
			if _, err := dec.Token(); err != nil {
				return bad(err)
			}
			for dec.More() {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if err := dec.Decode(&elem); err != nil {
					return bad(err)
				}
				send(elem)
			}
			if _, err := dec.Token(); err != nil {
				return bad(err)
			}
		case '{':
			if err := dec.Decode(&elem); err != nil {
				return bad(err)
			}
			if records, ok := envelope(elem); ok {
				for _, r := range records {
					send(r)
				}
				continue
			}
			send(elem)
		default:
			return bad(fmt.Errorf("expected '[' or '{', found %q", c))
		}
	}
}

// envelope returns the elements of an object whose only key is Records or
// records, holding an array.
func envelope(obj json.RawMessage) ([]json.RawMessage, bool) {
	if !isEnvelopeStart(obj) {
		return nil, false
	}
	var env map[string]json.RawMessage
	if err := json.Unmarshal(obj, &env); err != nil || len(env) != 1 {
		return nil, false
	}
	var records []json.RawMessage
	for _, v := range env {
		if err := json.Unmarshal(v, &records); err != nil {
			return nil, false
		}
	}
	return records, true
}

// nextByte returns the next byte that is not white space after what dec
// has read, without consuming it: from dec's buffer, or else from br,
// which dec reads next.
func nextByte(dec *json.Decoder, br *bufio.Reader) (byte, error) {
	rest, _ := io.ReadAll(dec.Buffered())
	for _, c := range rest {
		if !isSpace(c) {
			return c, nil
		}
	}
	for {
		b, err := br.Peek(1)
		if err != nil {
			return 0, err
		}
		if !isSpace(b[0]) {
			return b[0], nil
		}
		_, _ = br.ReadByte()
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// sendRecord sends one record of size bytes (line is nil when it was too
// long to keep), numbered n in the input, or counts it as not delivered.
func (s *sender) sendRecord(ctx context.Context, n int64, line []byte, size int) {
	s.lines.Add(1)
	switch {
	case size > s.opts.MaxLineBytes:
		s.undelivered(n, fmt.Sprintf("is %d bytes, longer than the %d-byte limit", size, s.opts.MaxLineBytes))
		return
	case size > serverMaxRecordBytes:
		s.large.Add(1)
	}
	if size > s.batchMax {
		s.sendBig(ctx, n, line)
	} else {
		s.send(ctx, n, line)
	}
}
