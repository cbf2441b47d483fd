package authn

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/storage"
)

// OIDCStart is where to send the browser to log in at the provider, and the secret that binds
// the login to that browser (the API keeps it in an HttpOnly cookie for TTL).
type OIDCStart struct {
	URL           string
	BrowserSecret string
	TTL           time.Duration
}

// OIDCBegin starts a login at the provider: authorization code flow with PKCE. The state, nonce
// and PKCE verifier are stored server-side (any replica can finish the login, and a state works
// once), the state bound to the browser by BrowserSecret.
//
// Errors: ErrOIDCDisabled, ErrProviderUnavailable (wrapped with the cause).
func (s *Service) OIDCBegin(ctx context.Context) (OIDCStart, error) {
	o := s.oidc
	if o == nil {
		return OIDCStart{}, ErrOIDCDisabled
	}
	state, nonce, verifier, browser := RandomString(32), RandomString(32), RandomString(48), RandomString(32)
	ttl := o.Config().StateTTL
	err := s.store.SaveOIDCLoginState(ctx, storage.OIDCLoginState{
		StateHash: HashRefreshToken(state), BrowserHash: HashRefreshToken(browser),
		Nonce: nonce, CodeVerifier: verifier, ExpiresAt: s.now().Add(ttl),
	})
	if err != nil {
		return OIDCStart{}, err
	}
	target, err := o.AuthCodeURL(ctx, state, nonce, verifier)
	if err != nil {
		return OIDCStart{}, fmt.Errorf("%w: %w", ErrProviderUnavailable, err)
	}
	return OIDCStart{URL: target, BrowserSecret: browser, TTL: ttl}, nil
}

// OIDCFinish completes a login: the state must be known, unexpired, unused and come back from the
// browser that started the login; the code is exchanged with the PKCE verifier and the ID token
// verified (signature, issuer, audience, expiry, nonce); then the account is found, linked or
// provisioned (OIDCUser) and a session starts.
//
// Errors: ErrOIDCDisabled, ErrOIDCState, ErrOIDCBrowser, ErrOIDC (the provider's answer is not to
// be trusted), ErrProviderUnavailable, and those of OIDCUser.
func (s *Service) OIDCFinish(ctx context.Context, code, state, browserSecret string, cl Client) (Pair, error) {
	o := s.oidc
	if o == nil {
		return Pair{}, ErrOIDCDisabled
	}
	var v domain.Validator
	v.Check(code != "" && len(code) <= 2048, "code", "obligatoire (2048 caractères au maximum)")
	v.Check(state != "" && len(state) <= 512, "state", "obligatoire (512 caractères au maximum)")
	if err := v.Err(); err != nil {
		return Pair{}, err
	}
	st, err := s.store.ConsumeOIDCLoginState(ctx, HashRefreshToken(state), s.now())
	if errors.Is(err, domain.ErrNotFound) {
		return Pair{}, ErrOIDCState
	} else if err != nil {
		return Pair{}, err
	}
	if browserSecret == "" || subtle.ConstantTimeCompare([]byte(HashRefreshToken(browserSecret)), []byte(st.BrowserHash)) != 1 {
		return Pair{}, ErrOIDCBrowser
	}
	id, err := o.Exchange(ctx, code, st.CodeVerifier, st.Nonce)
	switch {
	case errors.Is(err, ErrOIDC):
		return Pair{}, err
	case err != nil:
		return Pair{}, fmt.Errorf("%w: %w", ErrProviderUnavailable, err)
	}
	u, err := s.OIDCUser(ctx, id)
	if err != nil {
		return Pair{}, err
	}
	if err := s.store.TouchLogin(ctx, u.ID, s.now()); err != nil {
		s.log.Warn("last login not recorded", zap.Int64("user_id", u.ID), zap.Error(err))
	}
	return s.startSession(ctx, u, cl)
}

// OIDCUser finds the account of a verified OIDC identity: the one linked to it (issuer and
// subject together: a subject is unique only within its issuer), else the one with its e-mail —
// only when the provider verified that e-mail, and then the account is linked — else a new
// account with the role of the configured claim (never admin: Identity.Role is never admin). A
// deactivated account is neither linked nor signed in.
//
// Errors: ErrOIDCDisabled, ErrOIDCUnverifiedEmail, ErrOIDCLinkedElsewhere, ErrInactive.
func (s *Service) OIDCUser(ctx context.Context, id Identity) (domain.User, error) {
	if s.oidc == nil {
		return domain.User{}, ErrOIDCDisabled
	}
	key := s.oidc.SubjectKey(id.Subject)
	u, err := s.store.GetUserByOIDCSubject(ctx, key)
	switch {
	case err == nil:
	case !errors.Is(err, domain.ErrNotFound):
		return domain.User{}, err
	case id.Email == "" || !id.EmailVerified || !domain.ValidEmail(id.Email):
		s.log.Warn("oidc login without a verified e-mail", zap.String("subject", id.Subject))
		return domain.User{}, ErrOIDCUnverifiedEmail
	default:
		u, err = s.store.GetUserByLogin(ctx, id.Email)
		switch {
		case err == nil && u.Email == id.Email:
			if !u.IsActive {
				return domain.User{}, ErrInactive
			}
			err := s.store.LinkOIDCSubject(ctx, u.ID, key)
			if errors.Is(err, domain.ErrConflict) {
				s.log.Warn("oidc login for an account linked to another subject", zap.Int64("user_id", u.ID),
					zap.String("subject", id.Subject))
				return domain.User{}, ErrOIDCLinkedElsewhere
			} else if err != nil {
				return domain.User{}, err
			}
		case err == nil || errors.Is(err, domain.ErrNotFound):
			// No account has this e-mail (a username equal to it is not the same person).
			role := id.Role
			if role == domain.RoleAdmin || !role.Valid() {
				role = domain.RoleClient // provisioning never grants admin, whatever the caller built
			}
			u, err = s.store.CreateOIDCUser(ctx, storage.NewUser{Email: id.Email, Nom: id.Nom, Prenom: id.Prenom, Role: role}, key)
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
		return domain.User{}, ErrInactive
	}
	return u, nil
}
