package authn

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"

	"github.com/mifmaroc/mif/config"
	"github.com/mifmaroc/mif/domain"
)

// providerTimeout bounds each HTTP call to the provider (discovery, keys, token endpoint).
const providerTimeout = 15 * time.Second

// ErrOIDC is returned when the provider's answer must not be trusted (bad signature, audience,
// issuer, nonce, expiry) or the exchange failed. The reason is logged, never shown.
var ErrOIDC = errors.New("authn: oidc login refused")

// OIDC is the relying party of the configured OpenID Connect provider. The provider's discovery
// document is fetched on first use (and again after a failure), so an API replica starts even
// while the provider is unreachable.
type OIDC struct {
	cfg config.OIDC
	now func() time.Time

	mu       sync.Mutex
	provider *oidc.Provider
}

// Identity is what a verified ID token tells about the user.
type Identity struct {
	Subject       string
	Email         string
	EmailVerified bool
	Nom, Prenom   string
	// Role is the role to give a provisioned account: from the configured claim, "client" when
	// the claim is missing or unknown, never "admin".
	Role domain.Role
	// RequestedRole is the raw claim value (for the logs).
	RequestedRole string
}

// NewOIDC returns the relying party, or nil when OIDC is not configured.
func NewOIDC(cfg config.OIDC) *OIDC {
	if !cfg.Enabled() {
		return nil
	}
	return &OIDC{cfg: cfg, now: time.Now}
}

// WithClock returns a copy that reads the time from now (tests of expiry).
func (o *OIDC) WithClock(now func() time.Time) *OIDC {
	return &OIDC{cfg: o.cfg, now: now, provider: o.provider}
}

// Config returns the OIDC settings.
func (o *OIDC) Config() config.OIDC { return o.cfg }

// SubjectKey is how an identity of this provider is stored on an account: the issuer with the
// subject, since a subject is unique only within its issuer (a new MIF_OIDC_ISSUER must not
// inherit the links made with the old one).
func (o *OIDC) SubjectKey(subject string) string { return o.cfg.Issuer + "|" + subject }

func (o *OIDC) discover(ctx context.Context) (*oidc.Provider, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider != nil {
		return o.provider, nil
	}
	// The provider keeps the context for fetching its signing keys later: not the request's. Its
	// HTTP client has a timeout, so that a provider that accepts connections but never answers
	// does not hold every login (and the lock above) forever.
	pctx := oidc.ClientContext(context.WithoutCancel(ctx), &http.Client{Timeout: providerTimeout})
	p, err := oidc.NewProvider(pctx, o.cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("authn: oidc discovery: %w", err)
	}
	o.provider = p
	return p, nil
}

func (o *OIDC) oauth2(p *oidc.Provider) *oauth2.Config {
	scopes := []string{oidc.ScopeOpenID}
	for _, s := range o.cfg.Scopes {
		if s != oidc.ScopeOpenID && !slices.Contains(scopes, s) {
			scopes = append(scopes, s)
		}
	}
	return &oauth2.Config{
		ClientID: o.cfg.ClientID, ClientSecret: o.cfg.ClientSecret, RedirectURL: o.cfg.RedirectURL,
		Endpoint: p.Endpoint(), Scopes: scopes,
	}
}

func (o *OIDC) verifier(p *oidc.Provider) *oidc.IDTokenVerifier {
	return p.Verifier(&oidc.Config{ClientID: o.cfg.ClientID, Now: o.now, SupportedSigningAlgs: []string{oidc.RS256, oidc.ES256, oidc.PS256}})
}

// AuthCodeURL is where the browser is sent: authorization code flow with PKCE (S256), state and
// nonce.
func (o *OIDC) AuthCodeURL(ctx context.Context, state, nonce, verifier string) (string, error) {
	p, err := o.discover(ctx)
	if err != nil {
		return "", err
	}
	return o.oauth2(p).AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), nil
}

// Exchange trades the authorization code for tokens and verifies the ID token: signature against
// the provider's keys, issuer, audience (our client ID), expiry, and the nonce of this login.
func (o *OIDC) Exchange(ctx context.Context, code, verifier, nonce string) (Identity, error) {
	p, err := o.discover(ctx)
	if err != nil {
		return Identity{}, err
	}
	ctx = oidc.ClientContext(ctx, &http.Client{Timeout: providerTimeout})
	tok, err := o.oauth2(p).Exchange(ctx, code, oauth2.VerifierOption(verifier))
	var refused *oauth2.RetrieveError
	switch {
	case errors.As(err, &refused):
		return Identity{}, fmt.Errorf("%w: code exchange: %v", ErrOIDC, err)
	case err != nil: // the provider did not answer: not the user's fault
		return Identity{}, fmt.Errorf("authn: oidc token endpoint: %w", err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return Identity{}, fmt.Errorf("%w: no id_token in the token response", ErrOIDC)
	}
	idt, err := o.verifier(p).Verify(ctx, raw)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %v", ErrOIDC, err)
	}
	if idt.Nonce == "" || idt.Nonce != nonce {
		return Identity{}, fmt.Errorf("%w: nonce mismatch", ErrOIDC)
	}
	return o.identity(idt)
}

// VerifyProviderToken checks a bearer token issued by the provider (a JWT signed with its keys,
// for our client ID, not expired) and returns its subject.
func (o *OIDC) VerifyProviderToken(ctx context.Context, raw string) (string, error) {
	// Only a JWT that names our provider as its issuer is worth a trip to the provider: every
	// expired token of ours, and any garbage, would otherwise cost a discovery (and a wait while
	// the provider is down) before its 401.
	var c jwt.RegisteredClaims
	if _, _, err := jwt.NewParser().ParseUnverified(raw, &c); err != nil || c.Issuer != o.cfg.Issuer {
		return "", fmt.Errorf("%w: not a token of the provider", ErrOIDC)
	}
	p, err := o.discover(ctx)
	if err != nil {
		return "", err
	}
	t, err := o.verifier(p).Verify(ctx, raw)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrOIDC, err)
	}
	if t.Subject == "" {
		return "", fmt.Errorf("%w: no subject", ErrOIDC)
	}
	return t.Subject, nil
}

func (o *OIDC) identity(idt *oidc.IDToken) (Identity, error) {
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return Identity{}, fmt.Errorf("%w: claims: %v", ErrOIDC, err)
	}
	id := Identity{Subject: idt.Subject}
	id.Email, _ = claims["email"].(string)
	id.Email = strings.ToLower(strings.TrimSpace(id.Email))
	switch v := claims["email_verified"].(type) {
	case bool:
		id.EmailVerified = v
	case string:
		id.EmailVerified = v == "true"
	}
	id.Nom, _ = claims["family_name"].(string)
	id.Prenom, _ = claims["given_name"].(string)
	id.Role, id.RequestedRole = ProvisioningRole(claims[o.cfg.RoleClaim])
	return id, nil
}

// ProvisioningRole maps the role claim (a string or a list of strings) to the role of a new
// account: the first known non-admin role, else client. Administrators are made by
// administrators, never by an identity provider's claim.
func ProvisioningRole(claim any) (domain.Role, string) {
	var values []string
	switch v := claim.(type) {
	case string:
		values = []string{v}
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok {
				values = append(values, s)
			}
		}
	}
	for _, v := range values {
		r := domain.Role(strings.ToLower(strings.TrimSpace(v)))
		if r.Valid() && r != domain.RoleAdmin {
			return r, strings.Join(values, ",")
		}
	}
	return domain.RoleClient, strings.Join(values, ",")
}
