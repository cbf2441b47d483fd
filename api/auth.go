package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/mifmaroc/mif/authn"
	"github.com/mifmaroc/mif/authz"
	"github.com/mifmaroc/mif/domain"
)

// authenticate admits requests that carry a valid access token of an active user whose password
// has not changed since the token was issued.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, ok := bearer(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="mif"`)
			problem(w, r, http.StatusUnauthorized, "jeton d'accès manquant (en-tête Authorization: Bearer <token>)")
			return
		}
		claims, err := s.tokens.Verify(raw)
		if err != nil {
			s.log.Info("token refused", zap.String("request_id", requestIDFrom(r.Context())), zap.Error(err))
			w.Header().Set("WWW-Authenticate", `Bearer realm="mif", error="invalid_token"`)
			problem(w, r, http.StatusUnauthorized, "jeton d'accès invalide ou expiré")
			return
		}
		p, u, err := s.store.PrincipalFor(r.Context(), claims.UserID)
		switch {
		case errors.Is(err, domain.ErrNotFound), err == nil && !u.IsActive,
			err == nil && claims.IssuedAt.Time.Before(u.PasswordChangedAt.Truncate(time.Second)):
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

// login accepts JSON {email, password} and the OAuth2 password form (username + password, where
// username may be a username or an e-mail).
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if strings.HasPrefix(strings.ToLower(r.Header.Get("Content-Type")), "application/x-www-form-urlencoded") {
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

	u, err := s.store.GetUserByLogin(r.Context(), login)
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		s.fail(w, r, err)
		return
	}
	var hash *string
	if err == nil {
		hash = u.PasswordHash
	}
	// The same bcrypt comparison runs whether or not the account exists.
	if !authn.CheckPassword(hash, req.Password) || !u.IsActive {
		problem(w, r, http.StatusUnauthorized, "identifiants invalides")
		return
	}
	tok, err := s.tokens.Issue(u)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.store.TouchLogin(r.Context(), u.ID, time.Now()); err != nil {
		s.log.Warn("last login not recorded", zap.Int64("user_id", u.ID), zap.Error(err))
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, TokenResponse{
		AccessToken: tok, TokenType: "bearer", ExpiresIn: int(s.tokens.TTL().Seconds()),
		User: UserSummary{ID: u.ID, Email: u.Email, Role: u.Role, Nom: u.Nom, Prenom: u.Prenom},
	})
}

func (s *Server) jwks(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=300")
	writeJSON(w, http.StatusOK, map[string]any{"keys": s.tokens.JWKS()})
}
