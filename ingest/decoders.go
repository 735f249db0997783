package ingest

import "errors"

// newDecoder returns the decoder for a topic's format. Formats are checked
// by Config.Validate; metrics topics are decoded separately.
func newDecoder(t TopicConfig) decoder {
	switch t.Format {
	case "logfmt":
		return &logfmtDecoder{fm: newFieldMap(t.Fields, "")}
	case "text":
		return newTextDecoder(t.Text, t.Fields)
	default:
		return &jsonDecoder{fm: newFieldMap(t.Fields, "")}
	}
}

// errWrongType is wrapped by decoders when a known field has a value of the
// wrong type (an object where a timestamp belongs, say).
var errWrongType = errors.New("value has the wrong type")
