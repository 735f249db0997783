package pipeline

import "fmt"

// Reasons a record becomes a dead letter. They are the values of the reason
// label of logmart_pipeline_invalid_records_total and of the dead letter's
// reason, so an alert and the row it points at use the same word.
const (
	ReasonTooLarge           = "too_large"
	ReasonBadJSON            = "bad_json"
	ReasonSchema             = "schema"
	ReasonUnknownVersion     = "unknown_version"
	ReasonUnknownEvent       = "unknown_event"
	ReasonFieldTooLong       = "field_too_long"
	ReasonBadTime            = "bad_time"
	ReasonImpossibleSequence = "impossible_sequence"
	ReasonTooLate            = "too_late"
	ReasonUnknownTopic       = "unknown_topic"
)

// InvalidError is why one record cannot be used. Field names the JSON path
// at fault when there is one, so a producer can fix its record from the
// message alone.
type InvalidError struct {
	Reason string
	Field  string
	Detail string
}

func (e *InvalidError) Error() string {
	if e.Field == "" {
		return e.Detail
	}
	return fmt.Sprintf("field %q: %s", e.Field, e.Detail)
}

func invalid(reason, field, format string, args ...any) *InvalidError {
	return &InvalidError{Reason: reason, Field: field, Detail: fmt.Sprintf(format, args...)}
}

// DeadLetter is a record set aside: the original bytes (cut to
// maxDeadLetterRaw), where it came from and why. The runner produces it to
// the dead-letter topic; nothing else is lost with it.
type DeadLetter struct {
	Topic     string
	Partition int32
	Offset    int64
	Reason    string
	Error     string
	Raw       []byte
	Truncated bool
}

// maxDeadLetterRaw bounds the raw bytes kept in a dead letter, so a hostile
// multi-megabyte record does not travel on.
const maxDeadLetterRaw = 4096
