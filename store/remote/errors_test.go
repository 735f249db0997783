package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"reflect"
	"syscall"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/store"
)

func TestExceptionsBecomeStoreErrors(t *testing.T) {
	f := func(in error, want store.Error, kind fault.Kind) {
		t.Helper()
		err := convertError(in)
		var got *store.Error
		if !errors.As(err, &got) {
			t.Fatalf("%v became %T %v, want *store.Error", in, err, err)
		}
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("%v became\n%#v\nwant\n%#v", in, *got, want)
		}
		if k := store.KindOf(err); k != kind {
			t.Errorf("%v: kind %v, want %v", in, k, kind)
		}
	}
	ex := func(code int32, msg string) *clickhouse.Exception {
		return &clickhouse.Exception{Code: code, Name: "DB::Exception", Message: msg, StackTrace: "0. DB::Exception::Exception(...)"}
	}

	// As the native protocol delivers them: no code prefix, no name suffix.
	f(ex(62, "Syntax error: failed at position 1 ('SELEC'): SELEC 1. Expected one of: Query, Query with output, EXPLAIN, SELECT query"),
		store.Error{Code: 62, Name: "SYNTAX_ERROR", Message: "Syntax error: failed at position 1 ('SELEC'): SELEC 1. Expected one of: Query, Query with output, EXPLAIN, SELECT query"},
		fault.BadInput)
	f(ex(60, "Table logmart.no_such_table does not exist."),
		store.Error{Code: 60, Name: "UNKNOWN_TABLE", Message: "Table logmart.no_such_table does not exist"},
		fault.BadInput)
	f(ex(164, "Cannot execute query in readonly mode."),
		store.Error{Code: 164, Name: "READONLY", Message: "Cannot execute query in readonly mode"},
		fault.Forbidden)
	f(ex(396, "Limit for result exceeded, max rows: 5.00, current rows: 100.00"),
		store.Error{Code: 396, Name: "TOO_MANY_ROWS_OR_BYTES", Message: "Limit for result exceeded, max rows: 5.00, current rows: 100.00"},
		fault.Limit)
	f(ex(516, "default: Authentication failed: password is incorrect, or there is no user with such name."),
		store.Error{Code: 516, Name: "AUTHENTICATION_FAILED", Message: "default: Authentication failed: password is incorrect, or there is no user with such name"},
		fault.Forbidden)
	// Wrapped by the driver or by us, still found.
	f(fmt.Errorf("cannot insert 3 rows into logs: %w", ex(60, "Table x does not exist")),
		store.Error{Code: 60, Name: "UNKNOWN_TABLE", Message: "Table x does not exist"},
		fault.BadInput)
	// Relayed from another server: the text carries the prefix and the name.
	f(ex(60, "Received from ch-2:9000. DB::Exception: Code: 60. DB::Exception: Table logs.x does not exist. (UNKNOWN_TABLE) (version 24.8.4.13 (official build))."),
		store.Error{Code: 60, Name: "UNKNOWN_TABLE", Message: "Received from ch-2:9000. DB::Exception: Code: 60. DB::Exception: Table logs.x does not exist"},
		fault.BadInput)
	// A message that ends in a capitalized word in parentheses keeps it.
	f(ex(47, "Missing columns: 'x' while processing query: 'SELECT x' (IDENTIFIER)"),
		store.Error{Code: 47, Name: "UNKNOWN_IDENTIFIER", Message: "Missing columns: 'x' while processing query: 'SELECT x' (IDENTIFIER)"},
		fault.BadInput)
	// A code the table does not know keeps its number.
	f(ex(99999, "Something new."), store.Error{Code: 99999, Message: "Something new"}, fault.Internal)
	// Over HTTP the driver names the code itself.
	e := ex(99998, "Newer error")
	e.CodeName = "SOME_NEW_ERROR"
	f(e, store.Error{Code: 99998, Name: "SOME_NEW_ERROR", Message: "Newer error"}, fault.Internal)
}

func TestNetworkErrorsAreUnavailable(t *testing.T) {
	unavailable := []error{
		&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)},
		fmt.Errorf("query processing: %w", &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}),
		&net.DNSError{Err: "no such host", Name: "ch-9.internal", IsNotFound: true},
		clickhouse.ErrAcquireConnTimeout,
		clickhouse.ErrConnectionClosed,
		clickhouse.ErrAcquireConnNoAddress,
		io.EOF,
		fmt.Errorf("read: %w", io.ErrUnexpectedEOF),
		syscall.EPIPE,
		os.ErrDeadlineExceeded,
		net.ErrClosed,
	}
	for _, in := range unavailable {
		err := convertError(in)
		if !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%v: not unavailable: %v", in, err)
		}
		if !errors.Is(err, in) {
			t.Errorf("%v: the cause is lost: %v", in, err)
		}
		if store.KindOf(err) != fault.Unavailable {
			t.Errorf("%v: kind %v", in, store.KindOf(err))
		}
	}

	// The caller's own context and the driver's conversion errors are not
	// the server's fault and stay as they are.
	for _, in := range []error{
		context.Canceled,
		context.DeadlineExceeded,
		fmt.Errorf("clickhouse [Append]: converting []int8 to UInt64 is unsupported"),
	} {
		if err := convertError(in); err != in {
			t.Errorf("%v became %v", in, err)
		}
	}
	if convertError(nil) != nil {
		t.Error("nil became an error")
	}
	// A store.Error passes through untouched.
	se := &store.Error{Code: 62, Name: "SYNTAX_ERROR"}
	if convertError(se) != error(se) {
		t.Error("a store.Error was rewrapped")
	}
}

func TestFailPrefersTheCallersContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// The statement context had no deadline of its own (see
	// statementContext), so the driver saw Canceled even when the caller's
	// deadline passed; the caller gets its own context's error.
	if err := fail(ctx, fmt.Errorf("read: %w", context.Canceled)); err != context.Canceled {
		t.Fatalf("err = %v", err)
	}
	// A server error that arrived anyway is still the server's.
	err := fail(ctx, &clickhouse.Exception{Code: 159, Message: "Timeout exceeded"})
	if store.KindOf(err) != fault.Limit {
		t.Fatalf("err = %v", err)
	}
	if fail(context.Background(), nil) != nil {
		t.Fatal("nil became an error")
	}
}

func TestCodeName(t *testing.T) {
	f := func(code int, want string) {
		t.Helper()
		if got := codeName(code); got != want {
			t.Errorf("codeName(%d) = %q, want %q", code, got, want)
		}
	}
	f(62, "SYNTAX_ERROR")
	f(60, "UNKNOWN_TABLE")
	f(159, "TIMEOUT_EXCEEDED")
	f(164, "READONLY")
	f(457, "BAD_QUERY_PARAMETER")
	f(0, "")
	f(-1, "")
	f(123456, "")
}
