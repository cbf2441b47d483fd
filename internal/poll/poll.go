// Package poll waits for state in tests instead of sleeping: Until runs a check until it passes
// or a deadline is reached, then fails the test with what the check last said. A fixed sleep is
// either too short on a loaded machine (a flaky test) or too long everywhere else (a slow one);
// a poll is as fast as the system and as patient as the deadline.
package poll

import (
	"strconv"
	"testing"
	"time"
)

// DefaultTimeout is how long Until waits unless told otherwise. It is generous on purpose: it
// only matters when the test is about to fail, and tests run in parallel on loaded machines.
const DefaultTimeout = 90 * time.Second

// Option adjusts Until.
type Option func(*options)

type options struct {
	timeout  time.Duration
	interval time.Duration
}

// Timeout sets the deadline (DefaultTimeout otherwise).
func Timeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// Interval sets the pause between two checks (from 10 ms, doubling up to 200 ms, otherwise).
func Interval(d time.Duration) Option { return func(o *options) { o.interval = d } }

// Until calls check until it returns nil. When the deadline passes first, it fails t with what
// and the last error check returned, which should say what it saw ("2 notifications, want 3").
// check runs in the test's goroutine, so it may call t.Fatal itself.
func Until(t testing.TB, what string, check func() error, opts ...Option) {
	t.Helper()
	if err := Wait(check, opts...); err != nil {
		t.Fatalf("poll: %s: %v", what, err)
	}
}

// Wait is Until without a test: it returns nil once check passes, or an error naming the last
// failure when the deadline passes.
func Wait(check func() error, opts ...Option) error {
	o := options{timeout: DefaultTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	pause := 10 * time.Millisecond
	if o.interval > 0 {
		pause = o.interval
	}
	start := time.Now()
	deadline := start.Add(o.timeout)
	for n := 1; ; n++ {
		err := check()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return &TimeoutError{Last: err, After: time.Since(start), Checks: n}
		}
		time.Sleep(pause)
		if o.interval == 0 {
			pause = min(2*pause, 200*time.Millisecond)
		}
	}
}

// TimeoutError is what Wait returns when the deadline passed.
type TimeoutError struct {
	Last   error
	After  time.Duration
	Checks int
}

func (e *TimeoutError) Error() string {
	return "still " + e.Last.Error() + " after " + e.After.Round(time.Millisecond).String() + " (" + strconv.Itoa(e.Checks) + " checks)"
}

func (e *TimeoutError) Unwrap() error { return e.Last }
