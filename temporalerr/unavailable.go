package temporalerr

import (
	"context"
	"errors"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Unavailable reports whether err means the workflow could not be reached in time: the Temporal
// frontend is down or overloaded, or no worker took the request before the caller's bound
// (MIF_WORKFLOW_WAIT) ran out. Nothing tells whether the request will still be applied later, so
// the client retries with the same Idempotency-Key.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	var unavailable *serviceerror.Unavailable
	var exhausted *serviceerror.ResourceExhausted
	if errors.As(err, &unavailable) || errors.As(err, &exhausted) || TimedOut(err) {
		return true
	}
	if s, ok := status.FromError(err); ok {
		switch s.Code() {
		case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted:
			return true
		}
	}
	return false
}

// TimedOut reports whether err is the caller's bound running out (the frontend answered, but no
// worker completed the request in time), as opposed to the frontend being unreachable.
func TimedOut(err error) bool {
	var deadline *serviceerror.DeadlineExceeded
	var update *client.WorkflowUpdateServiceTimeoutOrCanceledError
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &deadline) || errors.As(err, &update)
}
