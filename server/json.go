package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

func newStrictDecoder(r io.Reader) *json.Decoder {
	d := json.NewDecoder(r)
	d.DisallowUnknownFields()
	return d
}

func startsWith(s, prefix string) bool { return strings.HasPrefix(strings.ToLower(s), prefix) }

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
