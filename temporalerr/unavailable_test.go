package temporalerr_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/temporalerr"
)

// TestUnavailableAndTimedOut classifies the errors a call to Temporal ends with.
func TestUnavailableAndTimedOut(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		err                  error
		unavailable, timeout bool
	}{
		{serviceerror.NewUnavailable("connection refused"), true, false},
		{fmt.Errorf("start: %w", serviceerror.NewUnavailable("x")), true, false},
		{serviceerror.NewResourceExhausted(0, "busy"), true, false},
		{context.DeadlineExceeded, true, true},
		{serviceerror.NewDeadlineExceeded("deadline"), true, true},
		{client.NewWorkflowUpdateServiceTimeoutOrCanceledError(context.DeadlineExceeded), true, true},
		{serviceerror.NewNotFound("no workflow"), false, false},
		{temporalerr.Wrap(domain.Conflictf("non")), false, false},
		{errors.New("boom"), false, false},
		{nil, false, false},
	} {
		if got := temporalerr.Unavailable(c.err); got != c.unavailable {
			t.Errorf("Unavailable(%v) = %v, want %v", c.err, got, c.unavailable)
		}
		if got := temporalerr.TimedOut(c.err); got != c.timeout {
			t.Errorf("TimedOut(%v) = %v, want %v", c.err, got, c.timeout)
		}
	}
}
