package store

import (
	"errors"
	"fmt"
	"github.com/logmart/logmart/fault"
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

// ErrUnavailable is returned when the engine is closed or unreachable.
var ErrUnavailable = fault.Wrap(fault.Unavailable, errors.New("clickhouse is unavailable"))

var codeKinds = map[int]fault.Kind{
	6: fault.BadInput, 26: fault.BadInput, 27: fault.BadInput, 36: fault.BadInput, 41: fault.BadInput,
	42: fault.BadInput, 43: fault.BadInput, 44: fault.BadInput, 46: fault.BadInput, 47: fault.BadInput,
	48: fault.BadInput, 53: fault.BadInput, 60: fault.BadInput, 62: fault.BadInput, 69: fault.BadInput,
	70: fault.BadInput, 72: fault.BadInput, 73: fault.BadInput, 81: fault.BadInput, 115: fault.BadInput,
	117: fault.BadInput, 130: fault.BadInput, 184: fault.BadInput, 215: fault.BadInput, 352: fault.BadInput,
	386: fault.BadInput, 403: fault.BadInput, 440: fault.BadInput, 456: fault.BadInput, 457: fault.BadInput,
	164: fault.Forbidden, 497: fault.Forbidden, 516: fault.Forbidden,
	158: fault.Limit, 159: fault.Limit, 160: fault.Limit, 241: fault.Limit, 307: fault.Limit, 396: fault.Limit,
	209: fault.Unavailable, 210: fault.Unavailable, 394: fault.Unavailable,
}

// Kind classifies the error by its ClickHouse code.
func (e *Error) Kind() fault.Kind {
	if k, ok := codeKinds[e.Code]; ok {
		return k
	}
	return fault.Internal
}

// KindOf classifies err; see fault.KindOf.
func KindOf(err error) fault.Kind { return fault.KindOf(err) }

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
