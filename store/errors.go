package store

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/logmart/logmart/fault"
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

// ClickHouse's error codes by class. Nearly every code a statement can
// raise is about the statement: its syntax, names, types, values or what it
// asks of functions (throwIf, a division by zero, an unknown alias). So a
// code is the user's to fix unless it is listed here as a limit, a refusal,
// a dependency that cannot answer, or a failure of the engine itself; those
// alone become 5xx (internal, unavailable) at the server.
var (
	limitCodes = codes(
		158, // TOO_MANY_ROWS
		159, // TIMEOUT_EXCEEDED
		160, // TOO_SLOW
		161, // TOO_MANY_COLUMNS
		162, // TOO_DEEP_SUBQUERIES
		241, // MEMORY_LIMIT_EXCEEDED
		306, // TOO_DEEP_RECURSION
		307, // TOO_MANY_BYTES
		396, // TOO_MANY_ROWS_OR_BYTES
	)
	forbiddenCodes = codes(
		164, // READONLY
		291, // DATABASE_ACCESS_DENIED
		452, // SETTING_CONSTRAINT_VIOLATION
		497, // ACCESS_DENIED
		516, // AUTHENTICATION_FAILED
	)
	unavailableCodes = codes(
		202, // TOO_MANY_SIMULTANEOUS_QUERIES
		209, // SOCKET_TIMEOUT
		210, // NETWORK_ERROR
		225, // NO_ZOOKEEPER
		242, // TABLE_IS_READ_ONLY
		243, // NOT_ENOUGH_SPACE
		279, // ALL_CONNECTION_TRIES_FAILED
		394, // QUERY_WAS_CANCELLED
		999, // KEEPER_EXCEPTION
	)
	internalCodes = codes(
		0,    // not a ClickHouse exception
		1,    // UNSUPPORTED_METHOD
		3,    // UNEXPECTED_END_OF_FILE
		32,   // ATTEMPT_TO_READ_AFTER_EOF
		33,   // CANNOT_READ_ALL_DATA
		40,   // CHECKSUM_DOESNT_MATCH
		49,   // LOGICAL_ERROR
		74,   // CANNOT_READ_FROM_FILE_DESCRIPTOR
		75,   // CANNOT_WRITE_TO_FILE_DESCRIPTOR
		76,   // CANNOT_OPEN_FILE
		77,   // CANNOT_CLOSE_FILE
		107,  // FILE_DOESNT_EXIST
		173,  // CANNOT_ALLOCATE_MEMORY
		246,  // CORRUPTED_DATA
		271,  // CANNOT_DECOMPRESS
		318,  // INVALID_CONFIG_PARAMETER
		1000, // POCO_EXCEPTION
		1001, // STD_EXCEPTION
		1002, // UNKNOWN_EXCEPTION
	)
)

func codes(c ...int) map[int]bool {
	m := make(map[int]bool, len(c))
	for _, x := range c {
		m[x] = true
	}
	return m
}

// Kind classifies the error by its ClickHouse code's class.
func (e *Error) Kind() fault.Kind {
	switch c := e.Code; {
	case limitCodes[c]:
		return fault.Limit
	case forbiddenCodes[c]:
		return fault.Forbidden
	case unavailableCodes[c]:
		return fault.Unavailable
	case internalCodes[c], c >= 1000:
		return fault.Internal
	}
	return fault.BadInput
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
