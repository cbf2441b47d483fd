package config

import "time"

// Webhooks configures the delivery of webhooks (issue 15).
type Webhooks struct {
	// AllowHosts are the host names, addresses or CIDR prefixes webhooks may reach although they
	// are loopback, link-local or private (MIF_WEBHOOK_ALLOW_HOSTS); everything else private is
	// refused (SSRF).
	AllowHosts []string
	// MaxAttempts per event before it is given up (logged), with exponential backoff from
	// InitialBackoff (doubling, at most MaxBackoff).
	MaxAttempts    int
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
	// PauseAfter consecutive failed attempts suspend the subscription and tell its owner.
	PauseAfter int
	// Timeout of one HTTP attempt.
	Timeout time.Duration
}

func (r *reader) webhooks() Webhooks {
	w := Webhooks{
		AllowHosts:     r.list("MIF_WEBHOOK_ALLOW_HOSTS", ""),
		MaxAttempts:    r.intRange("MIF_WEBHOOK_MAX_ATTEMPTS", 8, 1, 100),
		InitialBackoff: r.duration("MIF_WEBHOOK_INITIAL_BACKOFF", 10*time.Second),
		MaxBackoff:     r.duration("MIF_WEBHOOK_MAX_BACKOFF", time.Hour),
		PauseAfter:     r.intRange("MIF_WEBHOOK_PAUSE_AFTER", 20, 1, 10000),
		Timeout:        r.duration("MIF_WEBHOOK_TIMEOUT", 10*time.Second),
	}
	for name, d := range map[string]time.Duration{"MIF_WEBHOOK_INITIAL_BACKOFF": w.InitialBackoff,
		"MIF_WEBHOOK_MAX_BACKOFF": w.MaxBackoff, "MIF_WEBHOOK_TIMEOUT": w.Timeout} {
		if d <= 0 {
			r.fail(name, "must be a positive duration")
		}
	}
	if w.MaxBackoff < w.InitialBackoff {
		r.fail("MIF_WEBHOOK_MAX_BACKOFF", "must not be shorter than MIF_WEBHOOK_INITIAL_BACKOFF")
	}
	return w
}
