package store

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Error is an error reported by ClickHouse, with its numeric code and name
// (for example 62, SYNTAX_ERROR).
type Error struct {
	Code    int
	Name    string
	Message string
}

func (e *Error) Error() string {
	if e.Name != "" {
		return fmt.Sprintf("clickhouse error %d (%s): %s", e.Code, e.Name, e.Message)
	}
	return fmt.Sprintf("clickhouse error %d: %s", e.Code, e.Message)
}

// Kind says whose fault an error is, for server/ to map to a status code.
type Kind int

const (
	// KindInternal is a failure of logmart or the engine.
	KindInternal Kind = iota
	// KindBadInput is a statement or value the user can fix.
	KindBadInput
	// KindForbidden is a statement refused by the engine's read-only mode or a
	// permission.
	KindForbidden
	// KindLimit is a query stopped by a limit: time, rows, bytes or memory.
	KindLimit
	// KindUnavailable means the engine cannot be reached.
	KindUnavailable
)

// ErrUnavailable is returned when the engine is closed or unreachable.
var ErrUnavailable = errors.New("clickhouse is unavailable")

var codeKinds = map[int]Kind{
	6: KindBadInput, 26: KindBadInput, 27: KindBadInput, 36: KindBadInput, 41: KindBadInput,
	42: KindBadInput, 43: KindBadInput, 44: KindBadInput, 46: KindBadInput, 47: KindBadInput,
	48: KindBadInput, 53: KindBadInput, 60: KindBadInput, 62: KindBadInput, 69: KindBadInput,
	70: KindBadInput, 72: KindBadInput, 73: KindBadInput, 81: KindBadInput, 115: KindBadInput,
	117: KindBadInput, 130: KindBadInput, 184: KindBadInput, 215: KindBadInput, 352: KindBadInput,
	386: KindBadInput, 403: KindBadInput, 440: KindBadInput, 456: KindBadInput, 457: KindBadInput,
	164: KindForbidden, 497: KindForbidden, 516: KindForbidden,
	158: KindLimit, 159: KindLimit, 160: KindLimit, 241: KindLimit, 307: KindLimit, 396: KindLimit,
	210: KindUnavailable, 209: KindUnavailable, 394: KindUnavailable,
}

// KindOf classifies err; errors that are not ClickHouse errors are internal
// unless they wrap ErrUnavailable.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		if k, ok := codeKinds[e.Code]; ok {
			return k
		}
		return KindInternal
	}
	if errors.Is(err, ErrUnavailable) {
		return KindUnavailable
	}
	return KindInternal
}

var (
	codeRe = regexp.MustCompile(`^Code: (\d+)\. (?:DB::Exception: )?`)
	nameRe = regexp.MustCompile(`\(([A-Z_]+)\)(?: \(version [^)]*\))?\.?\s*$`)
)

// ParseError turns the text ClickHouse prints for an exception
// ("Code: 62. DB::Exception: Syntax error: … (SYNTAX_ERROR)") into an *Error.
// Text that does not look like one becomes an *Error with code 0.
func ParseError(text string) *Error {
	text = strings.TrimSpace(text)
	e := &Error{Message: text}
	// Nested exceptions repeat the prefix; the innermost message is the useful one.
	for {
		m := codeRe.FindStringSubmatch(e.Message)
		if m == nil {
			break
		}
		e.Code, _ = strconv.Atoi(m[1])
		e.Message = e.Message[len(m[0]):]
	}
	if m := nameRe.FindStringSubmatchIndex(e.Message); m != nil {
		e.Name = e.Message[m[2]:m[3]]
		e.Message = strings.TrimSpace(e.Message[:m[0]])
	}
	e.Message = strings.TrimSuffix(e.Message, ".")
	return e
}
