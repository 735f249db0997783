package remote

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"strings"
	"syscall"

	chproto "github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/logmart/logmart/store"
)

// convertError maps what clickhouse-go returns onto the store's error kinds:
// a server exception becomes *store.Error, a failure to reach or keep a
// connection wraps store.ErrUnavailable, and anything else (a cancelled
// context, a block that does not fit the table) is returned as is.
func convertError(err error) error {
	if err == nil {
		return nil
	}
	var se *store.Error
	if errors.As(err, &se) {
		return err
	}
	var ex *clickhouse.Exception
	if errors.As(err, &ex) {
		return exceptionError(ex)
	}
	if isUnavailable(err) {
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return err
}

// exceptionError turns a server exception into a *store.Error. Over the
// native protocol the message carries neither the "Code: N." prefix nor the
// "(NAME)" suffix clickhouse-client prints, so the name comes from the code;
// a message relayed from another server (a distributed query) may carry
// both, and store.ParseError strips them.
func exceptionError(ex *clickhouse.Exception) *store.Error {
	msg := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(ex.Message), "DB::Exception:"))
	msg = versionSuffixRe.ReplaceAllString(msg, "")
	name := ex.CodeName
	if name == "" {
		name = codeName(int(ex.Code))
	}
	e := store.ParseError(fmt.Sprintf("Code: %d. %s", ex.Code, msg))
	if e.Name != "" && name != "" && e.Name != name {
		// A message that merely ends in a capitalized word in parentheses:
		// that word is not the error's name, so keep the text whole.
		e = store.ParseError(fmt.Sprintf("Code: %d. %s (%s)", ex.Code, msg, name))
	}
	e.Code = int(ex.Code)
	if e.Name == "" {
		e.Name = name
	}
	return e
}

// versionSuffixRe matches the "(version 24.8.4.13 (official build))" a
// relayed message ends with; store.ParseError does not expect the nested
// parentheses, so it goes first.
var versionSuffixRe = regexp.MustCompile(`\s*\(version [^()]*(?:\([^()]*\)[^()]*)*\)\.?\s*$`)

// codeName is ClickHouse's name for an error code (62 is SYNTAX_ERROR), or
// empty for a code the table does not know.
func codeName(code int) string {
	c := chproto.Error(code)
	if !c.IsAError() {
		return ""
	}
	return c.String()
}

// driverUnavailable are clickhouse-go's own errors for "no connection".
var driverUnavailable = []error{
	clickhouse.ErrAcquireConnTimeout,
	clickhouse.ErrAcquireConnNoAddress,
	clickhouse.ErrConnectionClosed,
}

// isUnavailable reports a failure to reach a server or to keep talking to
// it: dial, DNS, TLS handshake, reset or closed connections, timeouts on the
// socket. A cancelled or expired context of the caller's is not one.
func isUnavailable(err error) bool {
	for _, target := range driverUnavailable {
		if errors.Is(err, target) {
			return true
		}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var (
		opErr    *net.OpError
		dnsErr   *net.DNSError
		addrErr  *net.AddrError
		recErr   tls.RecordHeaderError
		verErr   *tls.CertificateVerificationError
		unkAuth  x509.UnknownAuthorityError
		hostErr  x509.HostnameError
		certErr  x509.CertificateInvalidError
		netError net.Error
	)
	switch {
	case errors.As(err, &opErr), errors.As(err, &dnsErr), errors.As(err, &addrErr),
		errors.As(err, &recErr), errors.As(err, &verErr), errors.As(err, &unkAuth),
		errors.As(err, &hostErr), errors.As(err, &certErr):
		return true
	case errors.As(err, &netError) && netError.Timeout():
		return true
	}
	for _, target := range []error{
		syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.ECONNABORTED, syscall.EPIPE,
		syscall.EHOSTUNREACH, syscall.ENETUNREACH, syscall.ETIMEDOUT,
		io.EOF, io.ErrUnexpectedEOF, net.ErrClosed, os.ErrDeadlineExceeded,
	} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}
