// Package fault names whose fault an error is. Capabilities tag the errors a
// user can cause; server/ alone turns a kind into an HTTP status, and the CLI
// into an exit code.
package fault

import (
	"errors"
	"fmt"
	"time"
)

// Kind says whose fault an error is.
type Kind int

const (
	// Internal is a failure of logmart or an engine it runs on.
	Internal Kind = iota
	// BadInput is a request the user can fix; the message names the field or
	// value at fault.
	BadInput
	// NotFound is a named thing that does not exist.
	NotFound
	// Forbidden is a request the caller's role or the engine's read-only mode
	// does not allow.
	Forbidden
	// Limit is work stopped by a configured limit (time, rows, memory).
	Limit
	// Unavailable is a dependency that cannot answer now; retrying may work.
	Unavailable
	// RateLimited is a request over the caller's configured rate or quota
	// (links a minute, links a day). The same request succeeds later; the
	// message says when.
	RateLimited
)

func (k Kind) String() string {
	switch k {
	case BadInput:
		return "bad_input"
	case NotFound:
		return "not_found"
	case Forbidden:
		return "forbidden"
	case Limit:
		return "limit"
	case Unavailable:
		return "unavailable"
	case RateLimited:
		return "rate_limited"
	}
	return "internal"
}

// Kinded is implemented by errors that know their kind.
type Kinded interface {
	error
	Kind() Kind
}

type kindError struct {
	kind  Kind
	err   error
	after time.Duration // RateLimited: when to retry, 0 when unknown
}

func (e *kindError) Error() string { return e.err.Error() }
func (e *kindError) Unwrap() error { return e.err }
func (e *kindError) Kind() Kind    { return e.kind }

// New returns an error of kind k with a formatted message (%w wraps).
func New(k Kind, format string, args ...any) error {
	return &kindError{kind: k, err: fmt.Errorf(format, args...)}
}

// NewRateLimited returns a RateLimited error whose caller may retry after
// the given time; server/ sends it as Retry-After.
func NewRateLimited(after time.Duration, format string, args ...any) error {
	return &kindError{kind: RateLimited, err: fmt.Errorf(format, args...), after: after}
}

// RetryAfter returns how long the caller of a RateLimited error should
// wait, when the error says.
func RetryAfter(err error) (time.Duration, bool) {
	var k *kindError
	if errors.As(err, &k) && k.kind == RateLimited && k.after > 0 {
		return k.after, true
	}
	return 0, false
}

// Wrap tags err with kind k; nil stays nil.
func Wrap(k Kind, err error) error {
	if err == nil {
		return nil
	}
	return &kindError{kind: k, err: err}
}

// KindOf returns the kind of the outermost kinded error in err's chain, or
// Internal.
func KindOf(err error) Kind {
	var k Kinded
	if errors.As(err, &k) {
		return k.Kind()
	}
	return Internal
}
