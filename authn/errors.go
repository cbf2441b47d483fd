package authn

import (
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/mifmaroc/mif/domain"
)

// The session rules' typed errors. Each matches domain.ErrUnauthenticated (errors.Is) unless said
// otherwise, so that a caller that does not know one still answers 401. The reasons are for logs
// and for the API to choose its words; none carries a secret.
var (
	// ErrWrongCredentials: the login or the password is wrong, or the account is deactivated.
	// Login answers all three alike, so that nobody learns which accounts exist or are active.
	ErrWrongCredentials = fmt.Errorf("authn: wrong credentials: %w", domain.ErrUnauthenticated)
	// ErrRefreshInvalid: the refresh token is unknown, expired or revoked, or its account is
	// deactivated.
	ErrRefreshInvalid = fmt.Errorf("authn: refresh token invalid, expired or revoked: %w", domain.ErrUnauthenticated)
	// ErrRefreshReused: an already rotated refresh token came back; its whole family was revoked.
	// The error returned is a *ReuseError.
	ErrRefreshReused = fmt.Errorf("authn: refresh token reused: %w", domain.ErrUnauthenticated)
	// ErrSessionExpired: the session reached its absolute lifetime or its idle timeout; the error
	// returned is a *SessionExpiredError.
	ErrSessionExpired = fmt.Errorf("authn: session expired: %w", domain.ErrUnauthenticated)
	// ErrTokenRevoked: a well-signed access token that no longer counts (logout, password change,
	// or an account changed since).
	ErrTokenRevoked = fmt.Errorf("authn: access token revoked: %w", domain.ErrUnauthenticated)
	// ErrInactive: the account is deactivated (access tokens, OIDC login).
	ErrInactive = fmt.Errorf("authn: account deactivated: %w", domain.ErrUnauthenticated)
	// ErrOIDCUnverifiedEmail: the provider's identity is linked to no account and its e-mail is
	// missing or not verified by the provider, so it can neither be matched nor provisioned.
	ErrOIDCUnverifiedEmail = fmt.Errorf("authn: oidc identity without a verified e-mail: %w", domain.ErrUnauthenticated)
	// ErrOIDCLinkedElsewhere: the account with this e-mail is linked to another identity of the
	// provider; a second identity claiming the same e-mail must not take it over.
	ErrOIDCLinkedElsewhere = fmt.Errorf("authn: account linked to another oidc identity: %w", domain.ErrUnauthenticated)
	// ErrOIDCDisabled: OIDC is not configured (MIF_OIDC_ISSUER). Does not match ErrUnauthenticated.
	ErrOIDCDisabled = errors.New("authn: oidc not configured")
	// ErrOIDCState: the login's state is unknown, expired or used (matches domain.ErrNotFound).
	ErrOIDCState = fmt.Errorf("authn: unknown, expired or used oidc state: %w", domain.ErrNotFound)
	// ErrOIDCBrowser: the callback comes from another browser than the one that started the
	// login (its binding cookie is missing or different).
	ErrOIDCBrowser = errors.New("authn: oidc callback from another browser")
	// ErrProviderUnavailable: the OIDC provider did not answer; not the user's fault (503).
	ErrProviderUnavailable = errors.New("authn: oidc provider unreachable")
)

// ThrottledError is returned when the brute-force throttle holds a password attempt back.
type ThrottledError struct {
	RetryAfter time.Duration
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("authn: too many attempts, retry after %s", e.RetryAfter)
}

// ReuseError tells which session was revoked because one of its rotated tokens came back.
type ReuseError struct {
	UserID   int64
	FamilyID uuid.UUID
}

func (e *ReuseError) Error() string {
	return fmt.Sprintf("authn: refresh token reused (user %d, family %s): family revoked", e.UserID, e.FamilyID)
}

// Unwrap makes a ReuseError match ErrRefreshReused (and so domain.ErrUnauthenticated).
func (e *ReuseError) Unwrap() error { return ErrRefreshReused }

// SessionEnd says which limit ended a session.
type SessionEnd string

const (
	// SessionMaxLifetime: the session is older than MIF_SESSION_MAX_LIFETIME (counted from its
	// login, whatever its refreshes).
	SessionMaxLifetime SessionEnd = "max_lifetime"
	// SessionIdle: the session was not refreshed for MIF_SESSION_IDLE_TIMEOUT.
	SessionIdle SessionEnd = "idle"
)

// SessionExpiredError is returned by Refresh when the session is over; the user signs in again.
type SessionExpiredError struct {
	Reason SessionEnd
	Limit  time.Duration
}

func (e *SessionExpiredError) Error() string {
	return fmt.Sprintf("authn: session expired (%s, limit %s)", e.Reason, e.Limit)
}

// Unwrap makes a SessionExpiredError match ErrSessionExpired (and so domain.ErrUnauthenticated).
func (e *SessionExpiredError) Unwrap() error { return ErrSessionExpired }
