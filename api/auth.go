package api

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/mifmaroc/mif/authn"
	"github.com/mifmaroc/mif/authz"
	"github.com/mifmaroc/mif/domain"
)

// identity holds what the authentication endpoints need besides the Server's dependencies: the
// session rules live in authn.Service; the handlers below only decode, call and encode.
type identity struct {
	auth  *authn.Service
	cache *authn.PrincipalCache // nil when MIF_PRINCIPAL_CACHE is off
}

// newIdentity builds the session service from the Server's dependencies.
func (s *Server) newIdentity() *identity {
	id := &identity{}
	if s.cfg.PrincipalCache && s.store != nil {
		id.cache = authn.NewPrincipalCache(s.cfg.DatabaseURL, s.log.Named("principals"))
	}
	id.auth = authn.NewService(authn.ServiceDeps{
		Store: s.store, Tokens: s.tokens, JWT: s.cfg.JWT, Identity: s.cfg.Identity, Log: s.log, Passwords: s.pw,
		PrincipalCache: id.cache,
	})
	return id
}

// oidcCookie binds an OIDC login to the browser that started it.
const oidcCookie = "mif_oidc"

// authenticate admits requests that carry a valid access token (the rules are
// authn.Service.Principal's: an active account, a token not ended by a logout and issued under the
// account's current credentials epoch, or, when enabled, a provider token of a linked account).
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, ok := bearer(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="mif"`)
			problemCode(w, r, http.StatusUnauthorized, CodeTokenMissing, "jeton d'accès manquant (en-tête Authorization: Bearer <token>)")
			return
		}
		sess, err := s.ident.auth.Principal(r.Context(), raw)
		switch {
		case errors.Is(err, authn.ErrInvalidToken):
			s.log.Info("token refused", zap.String("request_id", requestIDFrom(r.Context())), zap.Error(err))
			w.Header().Set("WWW-Authenticate", `Bearer realm="mif", error="invalid_token"`)
			problemCode(w, r, http.StatusUnauthorized, CodeTokenInvalid, "jeton d'accès invalide ou expiré")
			return
		case errors.Is(err, authn.ErrTokenRevoked), errors.Is(err, authn.ErrInactive):
			w.Header().Set("WWW-Authenticate", `Bearer realm="mif", error="invalid_token"`)
			problemCode(w, r, http.StatusUnauthorized, CodeTokenRevoked, "jeton d'accès révoqué")
			return
		case err != nil:
			s.fail(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey, sess.Principal)))
	})
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

// requestClient is the request's side of a session: its address (as the brute-force limits count it)
// and its user agent.
func requestClient(r *http.Request) authn.Client {
	return authn.Client{IP: clientIP(r), UserAgent: r.UserAgent()}
}

// authFail answers the session rules' typed errors; anything else goes to fail.
func (s *Server) authFail(w http.ResponseWriter, r *http.Request, err error) {
	var throttled *authn.ThrottledError
	var reuse *authn.ReuseError
	var expired *authn.SessionExpiredError
	rid := zap.String("request_id", requestIDFrom(r.Context()))
	switch {
	case errors.As(err, &throttled):
		secs := int(math.Ceil(throttled.RetryAfter.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		problem(w, r, http.StatusTooManyRequests, "trop de tentatives de connexion; réessayez dans "+strconv.Itoa(secs)+" s")
	case errors.Is(err, authn.ErrWrongCredentials):
		problemCode(w, r, http.StatusUnauthorized, CodeInvalidCredentials, "identifiants invalides")
	case errors.As(err, &reuse):
		s.log.Warn("refresh token reuse detected: token family revoked", rid, zap.Int64("user_id", reuse.UserID),
			zap.String("family_id", reuse.FamilyID.String()), zap.String("ip", clientIP(r)))
		problemCode(w, r, http.StatusUnauthorized, CodeRefreshReused, "jeton de rafraîchissement déjà utilisé; toutes les sessions liées sont révoquées")
	case errors.As(err, &expired):
		detail := "session expirée après " + frenchDuration(expired.Limit) + " sans activité; reconnectez-vous"
		if expired.Reason == authn.SessionMaxLifetime {
			detail = "session expirée : durée maximale de " + frenchDuration(expired.Limit) + " depuis la connexion atteinte; reconnectez-vous"
		}
		problemCode(w, r, http.StatusUnauthorized, CodeSessionExpired, detail)
	case errors.Is(err, authn.ErrRefreshInvalid):
		problemCode(w, r, http.StatusUnauthorized, CodeRefreshInvalid, "jeton de rafraîchissement invalide, expiré ou révoqué")
	case errors.Is(err, authn.ErrOIDCDisabled):
		problemCode(w, r, http.StatusNotFound, CodeOIDCDisabled, "connexion OIDC non configurée (MIF_OIDC_ISSUER)")
	case errors.Is(err, authn.ErrOIDCState):
		problemCode(w, r, http.StatusBadRequest, CodeOIDCState, "état OIDC inconnu, expiré ou déjà utilisé; recommencez la connexion")
	case errors.Is(err, authn.ErrOIDCBrowser):
		s.log.Warn("oidc callback from another browser than the login's", rid)
		problemCode(w, r, http.StatusBadRequest, CodeOIDCState, "la connexion OIDC n'a pas été commencée depuis ce navigateur; recommencez")
	case errors.Is(err, authn.ErrOIDC):
		s.log.Warn("oidc login refused", rid, zap.Error(err))
		problemCode(w, r, http.StatusUnauthorized, CodeOIDCRefused, "jeton d'identité refusé")
	case errors.Is(err, authn.ErrProviderUnavailable):
		s.log.Error("oidc provider unreachable", rid, zap.Error(err))
		problem(w, r, http.StatusServiceUnavailable, "fournisseur d'identité injoignable; réessayez plus tard")
	default:
		s.fail(w, r, err)
	}
}

// frenchDuration writes a configured limit as a reader says it: "30 jours", "12 h", "45 min".
func frenchDuration(d time.Duration) string {
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		if n := int(d / (24 * time.Hour)); n > 1 {
			return strconv.Itoa(n) + " jours"
		}
		return "1 jour"
	case d >= time.Hour && d%time.Hour == 0:
		return strconv.Itoa(int(d/time.Hour)) + " h"
	case d >= time.Minute && d%time.Minute == 0:
		return strconv.Itoa(int(d/time.Minute)) + " min"
	}
	return d.String()
}

// writePair answers a new session (seed shape); tokens are never cached.
func writePair(w http.ResponseWriter, p authn.Pair) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, tokenResponse(p))
}

// login accepts JSON {email, password} and the OAuth2 password form (username + password, where
// username may be a username or an e-mail).
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
	cred := authn.Credentials{Login: req.Email, LoginField: "email", Password: req.Password}
	if strings.TrimSpace(req.Email) == "" {
		cred.Login, cred.LoginField = req.Username, "username"
	}
	p, err := s.ident.auth.Login(r.Context(), cred, requestClient(r))
	if err != nil {
		s.authFail(w, r, err)
		return
	}
	writePair(w, p)
}

func tokenResponse(p authn.Pair) TokenResponse {
	u := p.User
	return TokenResponse{
		AccessToken: p.AccessToken, RefreshToken: p.RefreshToken, TokenType: "bearer", ExpiresIn: int(p.ExpiresIn.Seconds()),
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
	p, err := s.ident.auth.Refresh(r.Context(), tok, requestClient(r))
	if err != nil {
		s.authFail(w, r, err)
		return
	}
	writePair(w, p)
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
	raw, _ := bearer(r)
	if err := s.ident.auth.Logout(r.Context(), tok, raw); err != nil {
		s.authFail(w, r, err)
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

// changePassword changes the caller's password (authn.Service.ChangePassword: every other session
// ends); the answer is a fresh token pair.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) {
	var req changePasswordRequest
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.ident.auth.ChangePassword(r.Context(), principalFrom(r.Context()).UserID, req.OldPassword, req.NewPassword, requestClient(r))
	if errors.Is(err, authn.ErrWrongCredentials) {
		// The caller is authenticated: a wrong current password is an invalid input, not a 401.
		problem(w, r, http.StatusUnprocessableEntity, "données invalides: old_password: mot de passe actuel incorrect",
			domain.FieldError{Field: "old_password", Message: "mot de passe actuel incorrect"})
		return
	} else if err != nil {
		s.authFail(w, r, err)
		return
	}
	writePair(w, p)
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

// oidcLogin starts a login at the OIDC provider (authorization code flow with PKCE); the state is
// bound to this browser by a random value in an HttpOnly cookie.
func (s *Server) oidcLogin(w http.ResponseWriter, r *http.Request) {
	st, err := s.ident.auth.OIDCBegin(r.Context())
	if err != nil {
		s.authFail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: oidcCookie, Value: st.BrowserSecret, Path: "/api/v1/auth/oidc", MaxAge: int(st.TTL.Seconds()),
		HttpOnly: true, Secure: s.secureCookies(r),
		// Lax: the cookie must come back on the provider's top-level redirect to the callback.
		SameSite: http.SameSiteLaxMode,
	})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, st.URL, http.StatusFound)
}

func (s *Server) secureCookies(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(s.cfg.PublicURL, "https://")
}

// oidcCallback finishes an OIDC login (authn.Service.OIDCFinish checks state, browser, code and
// ID token, then finds, links or provisions the account) and answers our own token pair.
func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request) {
	o := s.ident.auth.OIDC()
	if o == nil {
		s.authFail(w, r, authn.ErrOIDCDisabled)
		return
	}
	q := r.URL.Query()
	// The state is single-use: clear the cookie whatever happens next.
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: "", Path: "/api/v1/auth/oidc", MaxAge: -1,
		HttpOnly: true, Secure: s.secureCookies(r), SameSite: http.SameSiteLaxMode})
	if e := q.Get("error"); e != "" {
		s.log.Info("oidc provider refused the login", zap.String("error", e), zap.String("description", q.Get("error_description")))
		problemCode(w, r, http.StatusUnauthorized, CodeOIDCRefused, "connexion refusée par le fournisseur d'identité")
		return
	}
	browser := ""
	if c, err := r.Cookie(oidcCookie); err == nil {
		browser = c.Value
	}
	res, err := s.ident.auth.OIDCFinish(r.Context(), q.Get("code"), q.Get("state"), browser, requestClient(r))
	if err != nil {
		s.authFail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	if front := o.Config().FrontendURL; front != "" {
		// The tokens travel in the fragment: browsers never send it to a server or a log.
		frag := url.Values{
			"access_token": {res.AccessToken}, "refresh_token": {res.RefreshToken},
			"token_type": {"bearer"}, "expires_in": {strconv.Itoa(int(res.ExpiresIn.Seconds()))},
		}
		http.Redirect(w, r, strings.SplitN(front, "#", 2)[0]+"#"+frag.Encode(), http.StatusFound)
		return
	}
	writeJSON(w, http.StatusOK, tokenResponse(res))
}
