package poll_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mifmaroc/mif/internal/parallel"
	"github.com/mifmaroc/mif/internal/poll"
)

func TestWaitReturnsOnceTheCheckPasses(t *testing.T) {
	t.Parallel()
	n := 0
	err := poll.Wait(func() error {
		if n++; n < 4 {
			return fmt.Errorf("%d checks", n)
		}
		return nil
	})
	if err != nil || n != 4 {
		t.Fatalf("err %v after %d checks, want nil after 4", err, n)
	}
}

func TestWaitNamesTheLastFailureAtTheDeadline(t *testing.T) {
	t.Parallel()
	want := errors.New("2 notifications, want 3")
	start := time.Now()
	err := poll.Wait(func() error { return want }, poll.Timeout(100*time.Millisecond), poll.Interval(10*time.Millisecond))
	var te *poll.TimeoutError
	if !errors.As(err, &te) || !errors.Is(err, want) || te.Checks < 2 {
		t.Fatalf("err %v (%#v)", err, te)
	}
	if !strings.Contains(err.Error(), "still 2 notifications, want 3 after") {
		t.Fatalf("message %q", err)
	}
	if elapsed := time.Since(start); elapsed < 100*time.Millisecond {
		t.Fatalf("gave up after %s, before the deadline", elapsed)
	}
}

// TestEveryTestIsParallel: the package's tests run in parallel (each has its own database, or
// none); a test that cannot says why in its doc comment.
func TestEveryTestIsParallel(t *testing.T) {
	t.Parallel()
	parallel.Check(t)
}
