package authn

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/mifmaroc/mif/config"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/storage"
)

// Service holds the session rules: password login behind the brute-force throttle, refresh-token
// rotation with reuse detection, logout, password change, OIDC account linking, and the check of
// every request's access token. The HTTP handlers only decode, call and encode, so these rules
// are tested without HTTP, against the real database.
type Service struct {
	store    *storage.Store
	tokens   *Tokens
	pw       *Passwords
	oidc     *OIDC // nil when OIDC is not configured
	throttle Throttle
	jwt      config.JWT
	sessions config.Sessions
	log      *zap.Logger
	now      func() time.Time
	cache    *PrincipalCache // nil: every request reads its principal from the database
}

// ServiceDeps are what the Service is built from.
type ServiceDeps struct {
	Store    *storage.Store
	Tokens   *Tokens
	JWT      config.JWT
	Identity config.Identity
	Log      *zap.Logger // nil: no logs
	// OIDC overrides the relying party built from Identity.OIDC (tests with a clock).
	OIDC *OIDC
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Passwords hashes and checks passwords (nil: DefaultPasswords, bcrypt at BcryptCost).
	Passwords *Passwords
	// PrincipalCache spares the per-request principal lookup while the account does not change
	// (nil: none).
	PrincipalCache *PrincipalCache
}

// NewService builds the service.
func NewService(d ServiceDeps) *Service {
	s := &Service{store: d.Store, tokens: d.Tokens, pw: d.Passwords, oidc: d.OIDC, throttle: NewThrottle(d.Identity.BruteForce),
		jwt: d.JWT, sessions: d.Identity.Sessions, log: d.Log, now: d.Now, cache: d.PrincipalCache}
	if s.sessions.MaxLifetime <= 0 {
		s.sessions.MaxLifetime = d.JWT.RefreshTTL
	}
	if s.sessions.IdleTimeout <= 0 || s.sessions.IdleTimeout > d.JWT.RefreshTTL {
		s.sessions.IdleTimeout = d.JWT.RefreshTTL
	}
	if s.oidc == nil {
		s.oidc = NewOIDC(d.Identity.OIDC)
	}
	if s.log == nil {
		s.log = zap.NewNop()
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.pw == nil {
		s.pw = DefaultPasswords()
	}
	return s
}

// OIDC returns the relying party, or nil when OIDC is not configured.
func (s *Service) OIDC() *OIDC { return s.oidc }

// Client is the other end of a request: the address the brute-force limits count against (as
// resolved from the peer and the trusted proxies), and its user agent, kept with the session.
type Client struct {
	IP        string
	UserAgent string
}

// Pair is a signed-in session: an access token, a refresh token (empty when none is issued) and
// the account.
type Pair struct {
	AccessToken  string
	RefreshToken string
	// ExpiresIn is the access token's lifetime.
	ExpiresIn time.Duration
	User      domain.User
}

// Credentials are a password login: Login is an e-mail or a username.
type Credentials struct {
	Login    string
	Password string
	// LoginField names the input Login came from ("email" or "username"), for validation errors.
	// Empty means "email".
	LoginField string
}

// Login checks a password. Unknown and known accounts take the same path: one lookup, the
// throttle keyed on the account (its e-mail, so that its e-mail and its username share one
// counter) or on the name typed, and one bcrypt comparison either way.
//
// Errors: *domain.ValidationError, *ThrottledError, ErrWrongCredentials (also for a deactivated
// account, which must look like a wrong password).
func (s *Service) Login(ctx context.Context, c Credentials, cl Client) (Pair, error) {
	field := c.LoginField
	if field == "" {
		field = "email"
	}
	login := strings.TrimSpace(c.Login)
	var v domain.Validator
	v.Check(login != "", "email", "obligatoire (ou username)")
	v.Check(len(login) <= 254, field, "254 caractères au maximum")
	// The name goes to PostgreSQL, which refuses NUL and invalid UTF-8 in text; no account name
	// or password (ValidatePassword) holds a control character.
	v.Check(validText(login), field, invalidText)
	v.Check(c.Password != "", "password", "obligatoire")
	v.Check(len(c.Password) <= 1024, "password", "1024 caractères au maximum")
	v.Check(validText(c.Password), "password", invalidText)
	if err := v.Err(); err != nil {
		return Pair{}, err
	}
	u, err := s.store.GetUserByLogin(ctx, login)
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return Pair{}, err
	}
	found := err == nil
	key := strings.ToLower(login)
	if found {
		key = u.Email
	}
	attempt, err := s.reservePasswordAttempt(ctx, key, cl)
	if err != nil {
		return Pair{}, err
	}
	var hash *string
	if found {
		hash = u.PasswordHash
	}
	// The same bcrypt comparison runs whether or not the account exists.
	if !s.pw.Check(hash, c.Password) || !u.IsActive {
		return Pair{}, ErrWrongCredentials
	}
	if err := s.store.MarkLoginSucceeded(ctx, attempt); err != nil {
		return Pair{}, err
	}
	if err := s.store.TouchLogin(ctx, u.ID, s.now()); err != nil {
		s.log.Warn("last login not recorded", zap.Int64("user_id", u.ID), zap.Error(err))
	}
	return s.startSession(ctx, u, cl)
}

// reservePasswordAttempt asks the throttle whether a password may be checked for the account key
// from this address and records the attempt as failed until MarkLoginSucceeded.
func (s *Service) reservePasswordAttempt(ctx context.Context, key string, cl Client) (int64, error) {
	now := s.now()
	var wait time.Duration
	attempt, err := s.store.ReserveLoginAttempt(ctx, key, cl.IP, now.Add(-s.throttle.Config().Window), now,
		func(acc, byIP storage.LoginFailures) bool {
			wait = s.throttle.Wait(failures(acc), failures(byIP), now)
			return wait <= 0
		})
	if err != nil {
		return 0, err
	}
	if attempt == 0 {
		return 0, &ThrottledError{RetryAfter: wait}
	}
	return attempt, nil
}

func failures(f storage.LoginFailures) Failures {
	out := Failures{Count: f.Count}
	if f.Last != nil {
		out.Last = *f.Last
	}
	return out
}

// startSession signs an access token and stores the first refresh token of a new family.
func (s *Service) startSession(ctx context.Context, u domain.User, cl Client) (Pair, error) {
	access, err := s.tokens.Issue(u)
	if err != nil {
		return Pair{}, err
	}
	refresh, hash := NewRefreshToken()
	now := s.now()
	err = s.store.CreateRefreshToken(ctx, storage.NewRefreshToken{
		UserID: u.ID, TokenHash: hash, FamilyID: uuid.New(), ExpiresAt: s.refreshExpiry(now, now),
		UserAgent: cl.UserAgent, IP: cl.IP, CreatedAt: now, FamilyStartedAt: now,
	})
	if err != nil {
		return Pair{}, err
	}
	return Pair{AccessToken: access, RefreshToken: refresh, ExpiresIn: s.tokens.TTL(), User: u}, nil
}

// refreshExpiry is the expiry of a refresh token issued at now in a session started at started:
// one idle timeout (at most the refresh-token lifetime) from now, never past the session's
// absolute end.
func (s *Service) refreshExpiry(started, now time.Time) time.Time {
	exp, end := now.Add(s.sessions.IdleTimeout), started.Add(s.sessions.MaxLifetime)
	if end.Before(exp) {
		return end
	}
	return exp
}

// sessionRule is applied to the presented token, under its row lock, before a rotation: the
// session ends MaxLifetime after its login, and IdleTimeout after its last refresh, whatever the
// token's stored expiry says (the limits may have been lowered since it was issued).
func (s *Service) sessionRule(now time.Time) func(storage.RefreshToken) (time.Time, error) {
	return func(old storage.RefreshToken) (time.Time, error) {
		if !now.Before(old.FamilyStartedAt.Add(s.sessions.MaxLifetime)) {
			return time.Time{}, &SessionExpiredError{Reason: SessionMaxLifetime, Limit: s.sessions.MaxLifetime}
		}
		if !now.Before(old.CreatedAt.Add(s.sessions.IdleTimeout)) {
			return time.Time{}, &SessionExpiredError{Reason: SessionIdle, Limit: s.sessions.IdleTimeout}
		}
		return s.refreshExpiry(old.FamilyStartedAt, now), nil
	}
}

// Refresh rotates a refresh token: the presented one stops working and a new pair of the same
// session (family) is returned.
//
// Errors: *domain.ValidationError (no token, or too long), *ReuseError (an already rotated token:
// the whole family is revoked, someone else holds a copy), *SessionExpiredError (the session
// reached its absolute lifetime or its idle timeout), ErrRefreshInvalid.
func (s *Service) Refresh(ctx context.Context, token string, cl Client) (Pair, error) {
	token = strings.TrimSpace(token)
	if token == "" {
		return Pair{}, fieldError("refresh_token", "obligatoire (corps ou en-tête Authorization: Bearer)")
	}
	if len(token) > 512 {
		return Pair{}, fieldError("refresh_token", "512 caractères au maximum")
	}
	now := s.now()
	next, nextHash := NewRefreshToken()
	old, err := s.store.RotateRefreshToken(ctx, HashRefreshToken(token), storage.NewRefreshToken{
		TokenHash: nextHash, UserAgent: cl.UserAgent, IP: cl.IP, CreatedAt: now,
	}, now, s.sessionRule(now))
	var expired *SessionExpiredError
	switch {
	case errors.As(err, &expired):
		return Pair{}, err
	case errors.Is(err, domain.ErrRefreshTokenReused):
		return Pair{}, &ReuseError{UserID: old.UserID, FamilyID: old.FamilyID}
	case errors.Is(err, domain.ErrUnauthenticated):
		return Pair{}, ErrRefreshInvalid
	case err != nil:
		return Pair{}, err
	}
	u, err := s.store.GetUser(ctx, old.UserID)
	if err != nil {
		return Pair{}, err
	}
	access, err := s.tokens.Issue(u)
	if err != nil {
		return Pair{}, err
	}
	return Pair{AccessToken: access, RefreshToken: next, ExpiresIn: s.tokens.TTL(), User: u}, nil
}

// Logout ends sessions. With a refresh token it revokes that session (its family) and, when a
// valid access token comes with it, that access token too (jti denylist); with only a valid
// access token it ends every session of the account, access tokens included. An unknown refresh
// token or an invalid access token ends nothing and is not an error: logout tells nothing about
// the tokens it is given.
//
// Errors: *domain.ValidationError when neither token is given.
func (s *Service) Logout(ctx context.Context, refreshToken, accessToken string) error {
	refreshToken = strings.TrimSpace(refreshToken)
	if len(refreshToken) > 512 {
		return fieldError("refresh_token", "512 caractères au maximum")
	}
	var access *Claims
	if accessToken != "" {
		if c, err := s.tokens.Verify(accessToken); err == nil {
			access = c
		}
	}
	switch {
	case refreshToken != "":
		if _, err := s.store.RevokeRefreshTokenFamilyByHash(ctx, HashRefreshToken(refreshToken)); err != nil {
			return err
		}
		if access != nil {
			defer s.ForgetPrincipal(access.UserID)
			return s.store.RevokeAccessToken(ctx, access.ID, access.UserID, access.ExpiresAt.Time)
		}
		return nil
	case access != nil:
		defer s.ForgetPrincipal(access.UserID)
		return s.store.EndAllSessions(ctx, access.UserID)
	case accessToken == "":
		return fieldError("refresh_token", "obligatoire (corps ou en-tête Authorization: Bearer)")
	}
	return nil
}

// ChangePassword checks the current password (a guess like a login's, held back by the same
// throttle, or a stolen access token would buy unlimited guesses), applies the policy to the new
// one, then ends every session of the account: refresh tokens are revoked and the credentials
// epoch moves, so earlier access tokens are refused. It returns a fresh session, so that the
// caller stays signed in while every other device is signed out.
//
// Errors: *domain.ValidationError (fields old_password, new_password), *ThrottledError,
// ErrWrongCredentials (the current password is wrong).
func (s *Service) ChangePassword(ctx context.Context, userID int64, oldPassword, newPassword string, cl Client) (Pair, error) {
	u, err := s.store.GetUser(ctx, userID)
	if err != nil {
		return Pair{}, err
	}
	var v domain.Validator
	v.Check(oldPassword != "", "old_password", "obligatoire")
	v.Check(newPassword != "", "new_password", "obligatoire")
	if err := v.Err(); err != nil {
		return Pair{}, err
	}
	attempt, err := s.reservePasswordAttempt(ctx, u.Email, cl)
	if err != nil {
		return Pair{}, err
	}
	if len(oldPassword) > 1024 || !s.pw.Check(u.PasswordHash, oldPassword) {
		return Pair{}, ErrWrongCredentials
	}
	if err := s.store.MarkLoginSucceeded(ctx, attempt); err != nil {
		return Pair{}, err
	}
	if err := ValidatePasswordField(newPassword, u.Email, "new_password"); err != nil {
		return Pair{}, err
	}
	if newPassword == oldPassword {
		return Pair{}, fieldError("new_password", "doit différer du mot de passe actuel")
	}
	hash, err := s.pw.Hash(newPassword)
	if err != nil {
		return Pair{}, err
	}
	u, err = s.store.ChangePassword(ctx, u.ID, hash, &userID)
	if err != nil {
		return Pair{}, err
	}
	s.ForgetPrincipal(u.ID)
	return s.startSession(ctx, u, cl)
}

// ForgetPrincipal drops the cached principal of an account that this replica just changed (the
// other replicas forget it when the change is announced).
func (s *Service) ForgetPrincipal(userID int64) { s.cache.Forget(userID) }

// Session is what a valid access token stands for.
type Session struct {
	Principal domain.Principal
	// ExpiresAt is when the token stops being valid: our token's exp, or one access-token
	// lifetime from now for a provider token, whose expiry we do not read.
	ExpiresAt time.Time
}

// Principal checks an access token: ours (signature, expiry, issuer, audience), or, when
// MIF_OIDC_ACCEPT_PROVIDER_TOKENS is on, one of the OIDC provider for an account linked to it.
// The account must be active, the token not ended by a logout (jti denylist), and issued under
// the account's current credentials epoch (its pwd_at claim must be the account's
// password_changed_at; tokens without the claim fall back to comparing iat).
//
// Errors: ErrInvalidToken, ErrTokenRevoked, ErrInactive; any other error is the database's.
func (s *Service) Principal(ctx context.Context, raw string) (Session, error) {
	var userID int64
	claims, err := s.tokens.Verify(raw)
	if err == nil {
		userID = claims.UserID
	} else if id, perr := s.providerTokenUser(ctx, raw); perr == nil {
		userID, claims = id, nil
	} else {
		return Session{}, err
	}
	jti := "" // provider tokens carry no jti of ours
	if claims != nil {
		jti = claims.ID
	}
	var p domain.Principal
	var u domain.User
	var revoked bool
	if s.cache != nil {
		p, u, revoked, err = s.cache.lookup(ctx, userID, jti, s.store.PrincipalFor)
	} else {
		p, u, revoked, err = s.store.PrincipalFor(ctx, userID, jti)
	}
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return Session{}, ErrTokenRevoked
	case err != nil:
		return Session{}, err
	case !u.IsActive:
		return Session{}, ErrInactive
	case revoked:
		return Session{}, ErrTokenRevoked
	case claims != nil && (claims.IssuedAt.Time.Before(u.PasswordChangedAt.Truncate(time.Second)) ||
		claims.PwdAt != 0 && claims.PwdAt != u.PasswordChangedAt.UnixMicro()):
		return Session{}, ErrTokenRevoked
	}
	exp := s.now().Add(s.tokens.TTL())
	if claims != nil && claims.ExpiresAt != nil {
		exp = claims.ExpiresAt.Time
	}
	return Session{Principal: p, ExpiresAt: exp}, nil
}

// providerTokenUser accepts an access token of the OIDC provider when enabled: verified against
// the provider's keys and our client ID, for an account already linked to that identity (linking
// happens at the first OIDC login, on a verified e-mail).
func (s *Service) providerTokenUser(ctx context.Context, raw string) (int64, error) {
	if s.oidc == nil || !s.oidc.Config().AcceptProviderTokens {
		return 0, ErrInvalidToken
	}
	sub, err := s.oidc.VerifyProviderToken(ctx, raw)
	if err != nil {
		return 0, err
	}
	u, err := s.store.GetUserByOIDCSubject(ctx, s.oidc.SubjectKey(sub))
	if err != nil {
		return 0, err
	}
	return u.ID, nil
}

const invalidText = "caractères invalides (caractère de contrôle ou UTF-8 invalide)"

// validText: valid UTF-8 without control characters (NUL included).
func validText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl)
}

func fieldError(field, msg string) error {
	return &domain.ValidationError{Fields: []domain.FieldError{{Field: field, Message: msg}}}
}

// ValidatePasswordField applies the password policy, reporting under field.
func ValidatePasswordField(password, email, field string) error {
	err := ValidatePassword(password, email)
	var ve *domain.ValidationError
	if errors.As(err, &ve) {
		for i := range ve.Fields {
			ve.Fields[i].Field = field
		}
	}
	return err
}
