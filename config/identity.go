package config

import (
	"net/url"
	"time"
)

// Identity configures what the identity issue adds around the JWT settings: OIDC single sign-on,
// brute-force protection of the login and the Casbin policy files.
type Identity struct {
	OIDC       OIDC
	BruteForce BruteForce
	Casbin     Casbin
	Sessions   Sessions
}

// Sessions bounds a signed-in session (a refresh-token family): it ends MaxLifetime after its
// login whatever its refreshes, and after IdleTimeout without a refresh.
type Sessions struct {
	MaxLifetime time.Duration
	IdleTimeout time.Duration
}

// OIDC configures login through an external OpenID Connect provider. An empty Issuer disables it.
type OIDC struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	RedirectURL  string
	// Scopes asked from the provider ("openid" is always included).
	Scopes []string
	// RoleClaim names the ID-token claim that carries the role of a provisioned account. A missing
	// or unknown value gives "client"; "admin" is never granted by provisioning.
	RoleClaim string
	// FrontendURL, when set, receives the token pair in the URL fragment after the callback
	// instead of a JSON answer.
	FrontendURL string
	// AcceptProviderTokens lets API calls authenticate with access tokens issued by the provider.
	AcceptProviderTokens bool
	// StateTTL bounds how long a login started at the provider may take to come back.
	StateTTL time.Duration
}

// Enabled reports whether OIDC login is configured.
func (o OIDC) Enabled() bool { return o.Issuer != "" }

// BruteForce configures login throttling (kept in PostgreSQL so that it holds across replicas).
// After FreeAttempts failures in Window, each new attempt must wait a delay that doubles from
// BaseDelay up to MaxDelay; after LockThreshold failures the account (or IPLockThreshold for an
// address) is locked for LockDuration.
type BruteForce struct {
	Window          time.Duration
	FreeAttempts    int
	BaseDelay       time.Duration
	MaxDelay        time.Duration
	LockThreshold   int
	IPFreeAttempts  int
	IPLockThreshold int
	LockDuration    time.Duration
}

// Casbin names the RBAC files watched for changes. Empty names use casbin/model.conf and
// casbin/policy.csv when they exist in the working directory, else the copies embedded in the
// binary.
type Casbin struct {
	ModelFile      string
	PolicyFile     string
	ReloadInterval time.Duration
}

func (r *reader) identity(mode Mode, jwt JWT) Identity {
	id := Identity{
		OIDC: OIDC{
			Issuer:               r.str("MIF_OIDC_ISSUER", ""),
			ClientID:             r.str("MIF_OIDC_CLIENT_ID", ""),
			ClientSecret:         r.secret("MIF_OIDC_CLIENT_SECRET"),
			RedirectURL:          r.str("MIF_OIDC_REDIRECT_URL", ""),
			Scopes:               r.list("MIF_OIDC_SCOPES", "openid,email,profile"),
			RoleClaim:            r.str("MIF_OIDC_ROLE_CLAIM", "mif_role"),
			FrontendURL:          r.str("MIF_OIDC_FRONTEND_URL", ""),
			AcceptProviderTokens: r.boolean("MIF_OIDC_ACCEPT_PROVIDER_TOKENS", false),
			StateTTL:             r.duration("MIF_OIDC_STATE_TTL", 10*time.Minute),
		},
		BruteForce: BruteForce{
			Window:          r.duration("MIF_LOGIN_WINDOW", 15*time.Minute),
			FreeAttempts:    r.intRange("MIF_LOGIN_FREE_ATTEMPTS", 3, 1, 1000),
			BaseDelay:       r.duration("MIF_LOGIN_BASE_DELAY", time.Second),
			MaxDelay:        r.duration("MIF_LOGIN_MAX_DELAY", 60*time.Second),
			LockThreshold:   r.intRange("MIF_LOGIN_LOCK_THRESHOLD", 10, 1, 10000),
			IPFreeAttempts:  r.intRange("MIF_LOGIN_IP_FREE_ATTEMPTS", 20, 1, 100000),
			IPLockThreshold: r.intRange("MIF_LOGIN_IP_LOCK_THRESHOLD", 100, 1, 1000000),
			LockDuration:    r.duration("MIF_LOGIN_LOCK_DURATION", 15*time.Minute),
		},
		Casbin: Casbin{
			ModelFile:      r.str("MIF_CASBIN_MODEL_FILE", ""),
			PolicyFile:     r.str("MIF_CASBIN_POLICY_FILE", ""),
			ReloadInterval: r.duration("MIF_CASBIN_RELOAD_INTERVAL", 5*time.Second),
		},
		Sessions: Sessions{
			MaxLifetime: r.duration("MIF_SESSION_MAX_LIFETIME", 30*24*time.Hour),
			// A refresh token lives MIF_JWT_REFRESH_TTL: unused that long, the session is over
			// anyway; a shorter idle timeout ends it sooner.
			IdleTimeout: r.duration("MIF_SESSION_IDLE_TIMEOUT", jwt.RefreshTTL),
		},
	}
	o := id.OIDC
	if o.Enabled() {
		if u, err := url.Parse(o.Issuer); err != nil || u.Scheme == "" || u.Host == "" {
			r.fail("MIF_OIDC_ISSUER", "must be an absolute URL")
		} else if u.Scheme != "https" && mode != ModeDev && u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost" {
			r.fail("MIF_OIDC_ISSUER", "must use https outside dev")
		}
		if o.ClientID == "" {
			r.fail("MIF_OIDC_CLIENT_ID", "required when MIF_OIDC_ISSUER is set")
		}
		if u, err := url.Parse(o.RedirectURL); err != nil || u.Scheme == "" || u.Host == "" {
			r.fail("MIF_OIDC_REDIRECT_URL", "must be the absolute URL of /api/v1/auth/oidc/callback when MIF_OIDC_ISSUER is set")
		}
		if o.RoleClaim == "" {
			r.fail("MIF_OIDC_ROLE_CLAIM", "must not be empty")
		}
	}
	if o.FrontendURL != "" {
		if u, err := url.Parse(o.FrontendURL); err != nil || u.Scheme == "" || u.Host == "" {
			r.fail("MIF_OIDC_FRONTEND_URL", "must be an absolute URL")
		}
	}
	if o.StateTTL < time.Minute || o.StateTTL > time.Hour {
		r.fail("MIF_OIDC_STATE_TTL", "must be between 1m and 1h")
	}
	b := id.BruteForce
	if b.Window < time.Minute {
		r.fail("MIF_LOGIN_WINDOW", "must be at least 1m")
	}
	if b.BaseDelay <= 0 || b.MaxDelay < b.BaseDelay {
		r.fail("MIF_LOGIN_MAX_DELAY", "must be at least MIF_LOGIN_BASE_DELAY, both positive")
	}
	if b.LockThreshold <= b.FreeAttempts {
		r.fail("MIF_LOGIN_LOCK_THRESHOLD", "must be greater than MIF_LOGIN_FREE_ATTEMPTS")
	}
	if b.IPLockThreshold <= b.IPFreeAttempts {
		r.fail("MIF_LOGIN_IP_LOCK_THRESHOLD", "must be greater than MIF_LOGIN_IP_FREE_ATTEMPTS")
	}
	// A lock counts the failures of the window: a lock longer than the window would end early.
	if b.LockDuration <= 0 || b.LockDuration > b.Window {
		r.fail("MIF_LOGIN_LOCK_DURATION", "must be positive and not longer than MIF_LOGIN_WINDOW")
	}
	if se := id.Sessions; se.MaxLifetime < jwt.AccessTTL || se.MaxLifetime > 366*24*time.Hour {
		r.fail("MIF_SESSION_MAX_LIFETIME", "must be between MIF_JWT_ACCESS_TTL and 366 days")
	}
	if se := id.Sessions; se.IdleTimeout < jwt.AccessTTL || se.IdleTimeout > jwt.RefreshTTL {
		r.fail("MIF_SESSION_IDLE_TIMEOUT", "must be between MIF_JWT_ACCESS_TTL and MIF_JWT_REFRESH_TTL")
	}
	if id.Casbin.ReloadInterval < 100*time.Millisecond {
		r.fail("MIF_CASBIN_RELOAD_INTERVAL", "must be at least 100ms")
	}
	return id
}
