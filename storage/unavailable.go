package storage

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/lib/pq"
)

// Unavailable reports whether err means PostgreSQL could not be reached or is not serving (down,
// starting up, shutting down, out of connections, the connection dropped mid-query) rather than a
// fault of the request or of the code: the API answers 503 with Retry-After, the client retries.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		code := string(pqErr.Code)
		switch {
		case strings.HasPrefix(code, "08"): // connection_exception
			return true
		case code == "57P01", code == "57P02", code == "57P03": // admin/crash shutdown, cannot_connect_now (starting up)
			return true
		case code == "53300", code == "53400": // too_many_connections, configuration_limit_exceeded
			return true
		}
		return false
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false // the caller's own deadline or cancellation: not a verdict on the database
	}
	var opErr *net.OpError
	return errors.As(err, &opErr)
}
