package authn

import (
	"time"

	"github.com/mifmaroc/mif/config"
)

// Failures is what the store knows about recent failed logins for one key (an account name or an
// IP address): how many in the window, and when the last one happened.
type Failures struct {
	Count int
	Last  time.Time
}

// Throttle turns failure counts into a decision. It is pure, so its rules are tested without a
// database; the counts come from PostgreSQL, so the limits hold across API replicas.
type Throttle struct {
	cfg config.BruteForce
}

// NewThrottle builds the throttle from its configuration.
func NewThrottle(cfg config.BruteForce) Throttle { return Throttle{cfg: cfg} }

// Config returns the thresholds.
func (t Throttle) Config() config.BruteForce { return t.cfg }

// Wait returns how long the caller must wait before the next attempt may be checked (0: now).
// Both the account and the IP address count; the longer wait wins.
func (t Throttle) Wait(account, ip Failures, now time.Time) time.Duration {
	w := t.wait(account, t.cfg.FreeAttempts, t.cfg.LockThreshold, now)
	if iw := t.wait(ip, t.cfg.IPFreeAttempts, t.cfg.IPLockThreshold, now); iw > w {
		w = iw
	}
	return w
}

func (t Throttle) wait(f Failures, free, lock int, now time.Time) time.Duration {
	if f.Count < free {
		return 0
	}
	var hold time.Duration
	if f.Count >= lock {
		hold = t.cfg.LockDuration
	} else {
		// The delay doubles with every failure past the free ones: 1s, 2s, 4s... up to MaxDelay.
		hold = t.cfg.BaseDelay
		for i := free; i < f.Count && hold < t.cfg.MaxDelay; i++ {
			hold *= 2
		}
		hold = min(hold, t.cfg.MaxDelay)
	}
	if left := f.Last.Add(hold).Sub(now); left > 0 {
		return left
	}
	return 0
}
