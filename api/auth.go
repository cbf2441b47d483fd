package api

import (
	"context"
	"crypto/subtle"
	"errors"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/mifmaroc/mif/authn"
	"github.com/mifmaroc/mif/authz"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/storage"
)

// identity holds what the authentication endpoints need besides the Server's dependencies.
type identity struct {
	oidc     *authn.OIDC // nil when OIDC is not configured
	throttle authn.Throttle
	now      func() time.Time
}

// oidcCookie binds an OIDC login to the browser that started it.
const oidcCookie = "mif_oidc"

// registerAuthRoutes declares the authentication endpoints. The ones that must work without an
// access token (login, refresh, logout, OIDC) are public; the others need the "profile"
// permission every role has.
func (s *Server) registerAuthRoutes() {
	s.ident = &identity{
		oidc:     authn.NewOIDC(s.cfg.Identity.OIDC),
		throttle: authn.NewThrottle(s.cfg.Identity.BruteForce),
		now:      time.Now,
	}
}

// authenticate admits requests that carry a valid access token of an active user whose password
// has not changed since the token was issued (exactly: the token's pwd_at claim must be the
// account's password_changed_at; tokens without the claim fall back to comparing iat) (or, when enabled, a token of the OIDC provider for
// an account linked to it).
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, ok := bearer(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="mif"`)
			problem(w, r, http.StatusUnauthorized, "jeton d'accès manquant (en-tête Authorization: Bearer <token>)")
			return
		}
		var userID int64
		claims, err := s.tokens.Verify(raw)
		if err == nil {
			userID = claims.UserID
		} else if id, perr := s.providerTokenUser(r.Context(), raw); perr == nil {
			userID, claims = id, nil
		} else {
			s.log.Info("token refused", zap.String("request_id", requestIDFrom(r.Context())), zap.Error(err))
			w.Header().Set("WWW-Authenticate", `Bearer realm="mif", error="invalid_token"`)
			problem(w, r, http.StatusUnauthorized, "jeton d'accès invalide ou expiré")
			return
		}
		jti := "" // provider tokens carry no jti of ours
		if claims != nil {
			jti = claims.ID
		}
		p, u, revoked, err := s.store.PrincipalFor(r.Context(), userID, jti)
		switch {
		case errors.Is(err, domain.ErrNotFound), err == nil && (!u.IsActive || revoked),
			err == nil && claims != nil && (claims.IssuedAt.Time.Before(u.PasswordChangedAt.Truncate(time.Second)) ||
				claims.PwdAt != 0 && claims.PwdAt != u.PasswordChangedAt.UnixMicro()):
			w.Header().Set("WWW-Authenticate", `Bearer realm="mif", error="invalid_token"`)
			problem(w, r, http.StatusUnauthorized, "jeton d'accès révoqué")
			return
		case err != nil:
			s.fail(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey, p)))
	})
}

// providerTokenUser accepts an access token of the OIDC provider when MIF_OIDC_ACCEPT_PROVIDER_TOKENS
// is on: verified against the provider's keys and our client ID, for an account already linked to
// that subject (linking happens at the first OIDC login, on a verified e-mail).
func (s *Server) providerTokenUser(ctx context.Context, raw string) (int64, error) {
	if s.ident == nil || s.ident.oidc == nil || !s.ident.oidc.Config().AcceptProviderTokens {
		return 0, authn.ErrInvalidToken
	}
	sub, err := s.ident.oidc.VerifyProviderToken(ctx, raw)
	if err != nil {
		return 0, err
	}
	u, err := s.store.GetUserByOIDCSubject(ctx, s.ident.oidc.SubjectKey(sub))
	if err != nil {
		return 0, err
	}
	return u.ID, nil
}

// authorize checks the route's permission against the Casbin policy.
func (s *Server) authorize(perm authz.Permission, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := principalFrom(r.Context())
		if !s.authz.Allowed(p.Role, perm) {
			problem(w, r, http.StatusForbidden, "action non autorisée pour le rôle "+string(p.Role))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return "", false
	}
	return strings.TrimSpace(token), true
}

// clientIP is the address brute-force limits and sessions count against, as resolved by the
// clientAddress middleware.
func clientIP(r *http.Request) string {
	if ip, ok := r.Context().Value(clientIPKey).(string); ok {
		return ip
	}
	return peerIP(r.RemoteAddr)
}

type loginRequest struct {
	Email    string `json:"email"`
	Username string `json:"username"`
	Password string `json:"password"`
}

// UserSummary is the user embedded in the login answer (seed shape).
type UserSummary struct {
	ID     int64       `json:"id"`
	Email  string      `json:"email"`
	Role   domain.Role `json:"role"`
	Nom    string      `json:"nom"`
	Prenom string      `json:"prenom"`
}

// TokenResponse is the login answer (seed shape).
type TokenResponse struct {
	AccessToken  string      `json:"access_token"`
	RefreshToken string      `json:"refresh_token,omitempty"`
	TokenType    string      `json:"token_type"`
	ExpiresIn    int         `json:"expires_in"`
	User         UserSummary `json:"user"`
}

func isForm(r *http.Request) bool {
	return strings.HasPrefix(strings.ToLower(r.Header.Get("Content-Type")), "application/x-www-form-urlencoded")
}

// login accepts JSON {email, password} and the OAuth2 password form (username + password, where
// username may be a username or an e-mail). Unknown and known accounts take the same path: the
// throttle is keyed on the account (or the name typed, when none), and a bcrypt comparison runs
// either way.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if isForm(r) {
		if err := r.ParseForm(); err != nil {
			s.fail(w, r, bodyError(err))
			return
		}
		req = loginRequest{Username: r.PostForm.Get("username"), Password: r.PostForm.Get("password")}
	} else if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	login := strings.TrimSpace(req.Email)
	if login == "" {
		login = strings.TrimSpace(req.Username)
	}
	var v domain.Validator
	v.Check(login != "", "email", "obligatoire (ou username)")
	v.Check(len(login) <= 254, "email", "254 caractères au maximum")
	v.Check(req.Password != "", "password", "obligatoire")
	v.Check(len(req.Password) <= 1024, "password", "1024 caractères au maximum")
	if err := v.Err(); err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	// One query whether or not the account exists, before the throttle: the account's counter is
	// keyed on its e-mail, so that alternating the e-mail and the username does not double the
	// attempts; an unknown name counts under itself.
	u, err := s.store.GetUserByLogin(ctx, login)
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		s.fail(w, r, err)
		return
	}
	found := err == nil
	key, now := strings.ToLower(login), s.ident.now()
	if found {
		key = u.Email
	}
	attempt, ok := s.reservePasswordAttempt(w, r, key)
	if !ok {
		return
	}

	var hash *string
	if found {
		hash = u.PasswordHash
	}
	// The same bcrypt comparison runs whether or not the account exists.
	if !authn.CheckPassword(hash, req.Password) || !u.IsActive {
		problem(w, r, http.StatusUnauthorized, "identifiants invalides")
		return
	}
	if err := s.store.MarkLoginSucceeded(ctx, attempt); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.store.TouchLogin(ctx, u.ID, now); err != nil {
		s.log.Warn("last login not recorded", zap.Int64("user_id", u.ID), zap.Error(err))
	}
	res, err := s.issuePair(r, u, uuid.New())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, res)
}

// reservePasswordAttempt asks the brute-force throttle whether a password may be checked for the
// account key from this address, and records the attempt as failed until MarkLoginSucceeded. When
// the throttle refuses it answers 429 with Retry-After and returns false.
func (s *Server) reservePasswordAttempt(w http.ResponseWriter, r *http.Request, key string) (int64, bool) {
	now := s.ident.now()
	var wait time.Duration
	attempt, err := s.store.ReserveLoginAttempt(r.Context(), key, clientIP(r), now.Add(-s.ident.throttle.Config().Window), now,
		func(acc, byIP storage.LoginFailures) bool {
			wait = s.ident.throttle.Wait(failures(acc), failures(byIP), now)
			return wait <= 0
		})
	if err != nil {
		s.fail(w, r, err)
		return 0, false
	}
	if attempt == 0 {
		secs := int(math.Ceil(wait.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		problem(w, r, http.StatusTooManyRequests, "trop de tentatives de connexion; réessayez dans "+strconv.Itoa(secs)+" s")
		return 0, false
	}
	return attempt, true
}

func failures(f storage.LoginFailures) authn.Failures {
	out := authn.Failures{Count: f.Count}
	if f.Last != nil {
		out.Last = *f.Last
	}
	return out
}

// issuePair signs an access token and stores a new refresh token in family.
func (s *Server) issuePair(r *http.Request, u domain.User, family uuid.UUID) (TokenResponse, error) {
	access, err := s.tokens.Issue(u)
	if err != nil {
		return TokenResponse{}, err
	}
	refresh, hash := authn.NewRefreshToken()
	err = s.store.CreateRefreshToken(r.Context(), storage.NewRefreshToken{
		UserID: u.ID, TokenHash: hash, FamilyID: family, ExpiresAt: s.ident.now().Add(s.cfg.JWT.RefreshTTL),
		UserAgent: r.UserAgent(), IP: clientIP(r),
	})
	if err != nil {
		return TokenResponse{}, err
	}
	return tokenResponse(access, refresh, s.tokens.TTL(), u), nil
}

func tokenResponse(access, refresh string, ttl time.Duration, u domain.User) TokenResponse {
	return TokenResponse{
		AccessToken: access, RefreshToken: refresh, TokenType: "bearer", ExpiresIn: int(ttl.Seconds()),
		User: UserSummary{ID: u.ID, Email: u.Email, Role: u.Role, Nom: u.Nom, Prenom: u.Prenom},
	}
}

type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

// refreshTokenFrom reads a refresh token from the JSON body {refresh_token}, the OAuth2 form
// field refresh_token, or the Authorization header (seed: "Authorization: Bearer <refresh_token>").
func refreshTokenFrom(r *http.Request) (string, error) {
	var req refreshRequest
	switch {
	case isForm(r):
		if err := r.ParseForm(); err != nil {
			return "", bodyError(err)
		}
		req.RefreshToken = r.PostForm.Get("refresh_token")
	case r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody:
		if err := decodeJSON(r, &req); err != nil {
			var ve *domain.ValidationError
			// An empty body (chunked, no length) is the same as no body.
			if !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Message != "corps de requête vide" {
				return "", err
			}
		}
	}
	tok := strings.TrimSpace(req.RefreshToken)
	if tok == "" {
		if b, ok := bearer(r); ok && authn.LooksLikeRefreshToken(b) {
			tok = b
		}
	}
	if len(tok) > 512 {
		return "", &domain.ValidationError{Fields: []domain.FieldError{{Field: "refresh_token", Message: "512 caractères au maximum"}}}
	}
	return tok, nil
}

// refresh rotates a refresh token: the presented one stops working and a new pair is returned.
// Presenting an already-rotated token revokes its whole family (someone else holds a copy).
func (s *Server) refresh(w http.ResponseWriter, r *http.Request) {
	tok, err := refreshTokenFrom(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if tok == "" {
		s.fail(w, r, &domain.ValidationError{Fields: []domain.FieldError{{Field: "refresh_token", Message: "obligatoire (corps ou en-tête Authorization: Bearer)"}}})
		return
	}
	now := s.ident.now()
	next, nextHash := authn.NewRefreshToken()
	old, err := s.store.RotateRefreshToken(r.Context(), authn.HashRefreshToken(tok), storage.NewRefreshToken{
		TokenHash: nextHash, ExpiresAt: now.Add(s.cfg.JWT.RefreshTTL), UserAgent: r.UserAgent(), IP: clientIP(r),
	}, now)
	switch {
	case errors.Is(err, domain.ErrRefreshTokenReused):
		s.log.Warn("refresh token reuse detected: token family revoked",
			zap.String("request_id", requestIDFrom(r.Context())), zap.Int64("user_id", old.UserID),
			zap.String("family_id", old.FamilyID.String()), zap.String("ip", clientIP(r)))
		problem(w, r, http.StatusUnauthorized, "jeton de rafraîchissement déjà utilisé; toutes les sessions liées sont révoquées")
		return
	case errors.Is(err, domain.ErrUnauthenticated):
		problem(w, r, http.StatusUnauthorized, "jeton de rafraîchissement invalide, expiré ou révoqué")
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	u, err := s.store.GetUser(r.Context(), old.UserID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	access, err := s.tokens.Issue(u)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, tokenResponse(access, next, s.tokens.TTL(), u))
}

// logout revokes the session (refresh-token family) of the given refresh token; with only an
// access token it revokes every session of its account. It answers 204 either way, so it tells
// nothing about the token.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	tok, err := refreshTokenFrom(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	raw, hasBearer := bearer(r)
	var access *authn.Claims
	if hasBearer {
		if c, err := s.tokens.Verify(raw); err == nil {
			access = c
		}
	}
	switch {
	case tok != "":
		// This session: its refresh family, and the access token presented with it.
		if _, err := s.store.RevokeRefreshTokenFamilyByHash(r.Context(), authn.HashRefreshToken(tok)); err != nil {
			s.fail(w, r, err)
			return
		}
		if access != nil {
			if err := s.store.RevokeAccessToken(r.Context(), access.ID, access.UserID, access.ExpiresAt.Time); err != nil {
				s.fail(w, r, err)
				return
			}
		}
	case access != nil:
		// Only an access token: every session of the account ends, access tokens included.
		if err := s.store.EndAllSessions(r.Context(), access.UserID); err != nil {
			s.fail(w, r, err)
			return
		}
	case !hasBearer:
		s.fail(w, r, &domain.ValidationError{Fields: []domain.FieldError{{Field: "refresh_token", Message: "obligatoire (corps ou en-tête Authorization: Bearer)"}}})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// me is the caller's own profile.
func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	u, err := s.store.GetUserProfile(r.Context(), principalFrom(r.Context()).UserID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

type changePasswordRequest struct {
	OldPassword string `json:"old_password"`
	NewPassword string `json:"new_password"`
}

// changePassword checks the current password, applies the policy to the new one, then revokes
// every session: access tokens issued before are refused and refresh tokens revoked. The answer is
// a fresh token pair, so the caller stays signed in while every other device is signed out.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	var req changePasswordRequest
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	u, err := s.store.GetUser(r.Context(), p.UserID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var v domain.Validator
	v.Check(req.OldPassword != "", "old_password", "obligatoire")
	v.Check(req.NewPassword != "", "new_password", "obligatoire")
	if err := v.Err(); err != nil {
		s.fail(w, r, err)
		return
	}
	// The old password is a password guess like a login's: the same throttle holds it back, or a
	// stolen access token would allow unlimited guesses here.
	attempt, ok := s.reservePasswordAttempt(w, r, u.Email)
	if !ok {
		return
	}
	if len(req.OldPassword) > 1024 || !authn.CheckPassword(u.PasswordHash, req.OldPassword) {
		s.fail(w, r, &domain.ValidationError{Fields: []domain.FieldError{{Field: "old_password", Message: "mot de passe actuel incorrect"}}})
		return
	}
	if err := s.store.MarkLoginSucceeded(r.Context(), attempt); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := newPasswordError(req.NewPassword, u.Email, "new_password"); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.NewPassword == req.OldPassword {
		s.fail(w, r, &domain.ValidationError{Fields: []domain.FieldError{{Field: "new_password", Message: "doit différer du mot de passe actuel"}}})
		return
	}
	hash, err := authn.HashPassword(req.NewPassword)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	u, err = s.store.ChangePassword(r.Context(), u.ID, hash, &p.UserID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.issuePair(r, u, uuid.New())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, res)
}

// newPasswordError applies the password policy, reporting under field.
func newPasswordError(password, email, field string) error {
	err := authn.ValidatePassword(password, email)
	var ve *domain.ValidationError
	if errors.As(err, &ve) {
		for i := range ve.Fields {
			ve.Fields[i].Field = field
		}
	}
	return err
}

// routePattern strips the regular expressions of path variables ({id:[0-9]+} → {id}), so that
// the paths read as in the OpenAPI document.
var routePattern = regexp.MustCompile(`\{([^}:]+):[^}]*\}`)

// PermissionsResponse is the caller's effective permissions.
type PermissionsResponse struct {
	Role        domain.Role        `json:"role"`
	Permissions []authz.Permission `json:"permissions"`
	Endpoints   []EndpointGrant    `json:"endpoints"`
}

// EndpointGrant is one endpoint the caller may call.
type EndpointGrant struct {
	Method     string           `json:"method"`
	Path       string           `json:"path"`
	Permission authz.Permission `json:"permission"`
}

// permissions shows the policy lines of the caller's role and the endpoints they open, as the
// policy in force now says (it may have been reloaded since start-up).
func (s *Server) permissions(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	res := PermissionsResponse{Role: p.Role, Permissions: s.authz.Permissions(p.Role), Endpoints: []EndpointGrant{}}
	for _, rt := range s.routes {
		if !rt.Public && s.authz.Allowed(p.Role, rt.Perm) {
			res.Endpoints = append(res.Endpoints, EndpointGrant{Method: rt.Method, Path: routePattern.ReplaceAllString(rt.Path, "{$1}"), Permission: rt.Perm})
		}
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) jwks(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=300")
	writeJSON(w, http.StatusOK, map[string]any{"keys": s.tokens.JWKS()})
}

// oidcLogin starts a login at the OIDC provider: authorization code flow with PKCE. The state,
// nonce and PKCE verifier are stored server-side (any replica can finish the login, and a state
// works once); the state is bound to this browser by a random value in an HttpOnly cookie.
func (s *Server) oidcLogin(w http.ResponseWriter, r *http.Request) {
	o := s.ident.oidc
	if o == nil {
		problem(w, r, http.StatusNotFound, "connexion OIDC non configurée (MIF_OIDC_ISSUER)")
		return
	}
	state, nonce, verifier, browser := authn.RandomString(32), authn.RandomString(32), authn.RandomString(48), authn.RandomString(32)
	ttl := o.Config().StateTTL
	err := s.store.SaveOIDCLoginState(r.Context(), storage.OIDCLoginState{
		StateHash: authn.HashRefreshToken(state), BrowserHash: authn.HashRefreshToken(browser),
		Nonce: nonce, CodeVerifier: verifier, ExpiresAt: s.ident.now().Add(ttl),
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	target, err := o.AuthCodeURL(r.Context(), state, nonce, verifier)
	if err != nil {
		s.log.Error("oidc provider unreachable", zap.Error(err))
		problem(w, r, http.StatusServiceUnavailable, "fournisseur d'identité injoignable; réessayez plus tard")
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: oidcCookie, Value: browser, Path: "/api/v1/auth/oidc", MaxAge: int(ttl.Seconds()),
		HttpOnly: true, Secure: s.secureCookies(r),
		// Lax: the cookie must come back on the provider's top-level redirect to the callback.
		SameSite: http.SameSiteLaxMode,
	})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusFound)
}

func (s *Server) secureCookies(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(s.cfg.PublicURL, "https://")
}

// oidcCallback finishes an OIDC login: checks the state (known, unexpired, unused, same browser),
// exchanges the code with the PKCE verifier, verifies the ID token (signature, issuer, audience,
// expiry, nonce), then finds or provisions the account and answers our own token pair.
func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request) {
	o := s.ident.oidc
	if o == nil {
		problem(w, r, http.StatusNotFound, "connexion OIDC non configurée (MIF_OIDC_ISSUER)")
		return
	}
	q := r.URL.Query()
	// The state is single-use: clear the cookie whatever happens next.
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: "", Path: "/api/v1/auth/oidc", MaxAge: -1,
		HttpOnly: true, Secure: s.secureCookies(r), SameSite: http.SameSiteLaxMode})
	if e := q.Get("error"); e != "" {
		s.log.Info("oidc provider refused the login", zap.String("error", e), zap.String("description", q.Get("error_description")))
		problem(w, r, http.StatusUnauthorized, "connexion refusée par le fournisseur d'identité")
		return
	}
	code, state := q.Get("code"), q.Get("state")
	var v domain.Validator
	v.Check(code != "" && len(code) <= 2048, "code", "obligatoire (2048 caractères au maximum)")
	v.Check(state != "" && len(state) <= 512, "state", "obligatoire (512 caractères au maximum)")
	if err := v.Err(); err != nil {
		s.fail(w, r, err)
		return
	}
	st, err := s.store.ConsumeOIDCLoginState(r.Context(), authn.HashRefreshToken(state), s.ident.now())
	if errors.Is(err, domain.ErrNotFound) {
		problem(w, r, http.StatusBadRequest, "état OIDC inconnu, expiré ou déjà utilisé; recommencez la connexion")
		return
	} else if err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := r.Cookie(oidcCookie)
	if err != nil || subtle.ConstantTimeCompare([]byte(authn.HashRefreshToken(c.Value)), []byte(st.BrowserHash)) != 1 {
		s.log.Warn("oidc callback from another browser than the login's", zap.String("request_id", requestIDFrom(r.Context())))
		problem(w, r, http.StatusBadRequest, "la connexion OIDC n'a pas été commencée depuis ce navigateur; recommencez")
		return
	}
	id, err := o.Exchange(r.Context(), code, st.CodeVerifier, st.Nonce)
	switch {
	case errors.Is(err, authn.ErrOIDC):
		s.log.Warn("oidc login refused", zap.String("request_id", requestIDFrom(r.Context())), zap.Error(err))
		problem(w, r, http.StatusUnauthorized, "jeton d'identité refusé")
		return
	case err != nil:
		s.log.Error("oidc provider unreachable", zap.String("request_id", requestIDFrom(r.Context())), zap.Error(err))
		problem(w, r, http.StatusServiceUnavailable, "fournisseur d'identité injoignable; réessayez plus tard")
		return
	}
	u, err := s.oidcUser(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.store.TouchLogin(r.Context(), u.ID, s.ident.now()); err != nil {
		s.log.Warn("last login not recorded", zap.Int64("user_id", u.ID), zap.Error(err))
	}
	res, err := s.issuePair(r, u, uuid.New())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	if front := o.Config().FrontendURL; front != "" {
		// The tokens travel in the fragment: browsers never send it to a server or a log.
		frag := url.Values{
			"access_token": {res.AccessToken}, "refresh_token": {res.RefreshToken},
			"token_type": {res.TokenType}, "expires_in": {strconv.Itoa(res.ExpiresIn)},
		}
		http.Redirect(w, r, strings.SplitN(front, "#", 2)[0]+"#"+frag.Encode(), http.StatusFound)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// oidcUser finds the account of a verified OIDC identity: the one linked to its subject, else the
// one with its e-mail (only when the provider verified it), else a new account with the role of
// the configured claim (never admin). A deactivated account stays out.
func (s *Server) oidcUser(ctx context.Context, id authn.Identity) (domain.User, error) {
	key := s.ident.oidc.SubjectKey(id.Subject)
	u, err := s.store.GetUserByOIDCSubject(ctx, key)
	switch {
	case err == nil:
	case !errors.Is(err, domain.ErrNotFound):
		return domain.User{}, err
	case id.Email == "" || !id.EmailVerified || !domain.ValidEmail(id.Email):
		s.log.Warn("oidc login without a verified e-mail", zap.String("subject", id.Subject))
		return domain.User{}, domain.ErrUnauthenticated
	default:
		u, err = s.store.GetUserByLogin(ctx, id.Email)
		switch {
		case err == nil && u.Email == id.Email:
			// A deactivated account is neither linked nor signed in.
			if !u.IsActive {
				return domain.User{}, domain.ErrUnauthenticated
			}
			err := s.store.LinkOIDCSubject(ctx, u.ID, key)
			if errors.Is(err, domain.ErrConflict) {
				// The account is bound to another identity of the provider: a second identity
				// claiming the same e-mail must not take it over.
				s.log.Warn("oidc login for an account linked to another subject", zap.Int64("user_id", u.ID),
					zap.String("subject", id.Subject))
				return domain.User{}, domain.ErrUnauthenticated
			} else if err != nil {
				return domain.User{}, err
			}
		case err == nil || errors.Is(err, domain.ErrNotFound):
			u, err = s.store.CreateOIDCUser(ctx, storage.NewUser{Email: id.Email, Nom: id.Nom, Prenom: id.Prenom, Role: id.Role}, key)
			if err != nil {
				return domain.User{}, err
			}
			s.log.Info("account provisioned by oidc", zap.Int64("user_id", u.ID), zap.String("role", string(u.Role)),
				zap.String("claimed_role", id.RequestedRole))
		default:
			return domain.User{}, err
		}
	}
	if !u.IsActive {
		return domain.User{}, domain.ErrUnauthenticated
	}
	return u, nil
}
