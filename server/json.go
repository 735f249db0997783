package server

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/logmart/logmart/fault"
)

// checkJSONContentType accepts application/json, with parameters or
// without (charset=utf-8), and nothing else: not a missing header, and not
// a type that merely starts with it (application/jsonx).
func checkJSONContentType(ct string) error {
	if ct == "" {
		return echo.NewHTTPError(http.StatusUnsupportedMediaType, "Content-Type is missing: send the body as Content-Type: application/json")
	}
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		return echo.NewHTTPError(http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Type %q is not application/json", ct))
	}
	return nil
}

// decodeJSONBody decodes one JSON value from r into v strictly: unknown
// fields are errors naming the field, and only white space may follow the
// value. A body cut off by the size limit is the limit's 413, whether it
// came with a Content-Length or chunked.
func decodeJSONBody(r io.Reader, v any) error {
	d := json.NewDecoder(r)
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		if tooLarge(err) {
			return echo.ErrStatusRequestEntityTooLarge
		}
		return fault.New(fault.BadInput, "request body is not valid JSON for this call: %s", jsonErrText(err))
	}
	switch _, err := d.Token(); {
	case err == io.EOF:
		return nil
	case tooLarge(err):
		return echo.ErrStatusRequestEntityTooLarge
	}
	return fault.New(fault.BadInput, "request body is not valid JSON for this call: data after the JSON value")
}

// tooLarge reports whether a body read failed at the size limit.
func tooLarge(err error) bool {
	var he *echo.HTTPError
	var mb *http.MaxBytesError
	return errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge || errors.As(err, &mb)
}

// jsonErrText turns encoding/json errors into short messages naming the field.
func jsonErrText(err error) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		return fmt.Sprintf("field %q must be %s, got %s", te.Field, te.Type, te.Value)
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d: %v", se.Offset, se)
	case errors.Is(err, io.EOF):
		return "body is empty"
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return "unknown field " + f
	}
	return msg
}

// streamJSON is the server's JSON encoder. encoding/json builds a whole
// document in memory before writing any of it, which for a query result is
// a second copy of every row, held for as long as the client takes to read
// it. A value with query rows (a field Rows [][]any tagged "rows":
// resultJSON and the answers that embed it) is written instead row by row
// through a buffer of streamRowsBuffer bytes; the output is the same bytes.
type streamJSON struct{}

// streamRowsBuffer is what a result holds between encoding and the client.
const streamRowsBuffer = 64 << 10

// Serialize writes v and a newline, as echo's encoder does.
func (streamJSON) Serialize(c echo.Context, v any, indent string) error {
	head, tail, rows, ok := splitRows(v)
	if !ok || indent != "" {
		enc := json.NewEncoder(c.Response())
		enc.SetIndent("", indent)
		return enc.Encode(v)
	}
	// Nothing reaches the client until the buffer first fills, so a row that
	// cannot be encoded in a small result still becomes an error answer.
	w := bufio.NewWriterSize(c.Response(), streamRowsBuffer)
	w.Write(head)
	w.WriteByte('[')
	var row bytes.Buffer
	enc := json.NewEncoder(&row)
	for i, r := range rows {
		row.Reset()
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("cannot encode result row %d: %w", i, err)
		}
		if i > 0 {
			w.WriteByte(',')
		}
		if _, err := w.Write(row.Bytes()[:row.Len()-1]); err != nil {
			return fmt.Errorf("cannot send result rows: %w", err)
		}
	}
	w.WriteByte(']')
	w.Write(tail)
	w.WriteByte('\n')
	return w.Flush()
}

// Deserialize is echo's; logmart's handlers decode with bindJSON.
func (streamJSON) Deserialize(c echo.Context, v any) error {
	return echo.DefaultJSONSerializer{}.Deserialize(c, v)
}

var (
	rowsType = reflect.TypeFor[[][]any]()
	// rowsMarker stands in for the rows while the rest of a value is
	// encoded; it is random so that no value can contain it by chance.
	rowsMarker     = [][]any{{"logmart-rows-" + rand.Text()}}
	rowsMarkerJSON = []byte(`[["` + rowsMarker[0][0].(string) + `"]]`)
)

// splitRows encodes v with its rows left out: head and tail are the JSON
// before and after the rows array. ok is false when v has no rows to
// stream (no such field, nil rows, or rows reached through a pointer, which
// the copy here would share).
func splitRows(v any) (head, tail []byte, rows [][]any, ok bool) {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return nil, nil, nil, false
	}
	f, found := rv.Type().FieldByName("Rows")
	if !found || f.Type != rowsType || f.Tag.Get("json") != "rows" {
		return nil, nil, nil, false
	}
	for t, i := rv.Type(), 0; i < len(f.Index)-1; i++ {
		if t = t.Field(f.Index[i]).Type; t.Kind() != reflect.Struct {
			return nil, nil, nil, false
		}
	}
	cp := reflect.New(rv.Type()).Elem()
	cp.Set(rv)
	field := cp.FieldByIndex(f.Index)
	if !field.CanSet() {
		return nil, nil, nil, false
	}
	if rows = field.Interface().([][]any); rows == nil {
		return nil, nil, nil, false
	}
	field.Set(reflect.ValueOf(rowsMarker))
	b, err := json.Marshal(cp.Interface())
	if err != nil || bytes.Count(b, rowsMarkerJSON) != 1 {
		return nil, nil, nil, false
	}
	i := bytes.Index(b, rowsMarkerJSON)
	return b[:i], b[i+len(rowsMarkerJSON):], rows, true
}
