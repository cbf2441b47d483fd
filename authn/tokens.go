package authn

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/mifmaroc/mif/config"
	"github.com/mifmaroc/mif/domain"
)

// Claims are the claims of our access tokens (the seed's, plus jti, iss and aud).
type Claims struct {
	UserID   int64       `json:"user_id"`
	Role     domain.Role `json:"role"`
	IsActive bool        `json:"is_active"`
	// PwdAt is the user's password_changed_at (Unix microseconds) when the token was issued: a
	// token whose PwdAt differs from the account's current value predates a password change.
	PwdAt int64 `json:"pwd_at"`
	jwt.RegisteredClaims
}

// Tokens issues and verifies our access tokens.
type Tokens struct {
	method   jwt.SigningMethod
	signKey  any
	verifKey any
	kid      string
	issuer   string
	audience string
	ttl      time.Duration
	now      func() time.Time
	verified *verifiedTokens
}

// maxVerifiedTokens bounds the memory of verified tokens (about 1 KiB each); past it the set
// starts afresh.
const maxVerifiedTokens = 10_000

// verifiedTokens remembers the tokens whose signature and claims were checked, so that the next
// requests carrying the same token skip the signature check (an RS256 verification is ~15 % of
// the CPU of a cheap request). The key is the whole token, signature included: only those exact
// bytes match. Expiry is still checked on every use.
type verifiedTokens struct {
	mu sync.Mutex
	m  map[string]Claims
}

func (v *verifiedTokens) get(raw string) (Claims, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	c, ok := v.m[raw]
	return c, ok
}

func (v *verifiedTokens) put(raw string, c Claims) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.m) >= maxVerifiedTokens {
		v.m = map[string]Claims{}
	}
	v.m[raw] = c
}

// ErrInvalidToken is returned for any token that must not be trusted (forged, expired, wrong
// audience...). The reason is logged, never returned to the caller.
var ErrInvalidToken = errors.New("authn: invalid token")

// NewTokens builds the token service from the configuration. With RS256 the private key comes
// from cfg.PrivateKeyFile; when it is empty, generateKeyAt (used by `mif dev`) names a PEM file
// that is created with a new 2048-bit key if it does not exist yet.
func NewTokens(cfg config.JWT, generateKeyAt string) (*Tokens, error) {
	t := &Tokens{issuer: cfg.Issuer, audience: cfg.Audience, ttl: cfg.AccessTTL, now: time.Now,
		verified: &verifiedTokens{m: map[string]Claims{}}}
	switch cfg.Algorithm {
	case "HS256":
		t.method, t.signKey, t.verifKey = jwt.SigningMethodHS256, []byte(cfg.Secret), []byte(cfg.Secret)
		return t, nil
	case "RS256":
		path := cfg.PrivateKeyFile
		if path == "" {
			if generateKeyAt == "" {
				return nil, errors.New("authn: MIF_JWT_PRIVATE_KEY_FILE is required with RS256")
			}
			path = generateKeyAt
			if err := ensureRSAKey(path); err != nil {
				return nil, err
			}
		}
		key, err := loadRSAKey(path)
		if err != nil {
			return nil, err
		}
		t.method, t.signKey, t.verifKey = jwt.SigningMethodRS256, key, &key.PublicKey
		t.kid = keyID(&key.PublicKey)
		return t, nil
	}
	return nil, fmt.Errorf("authn: unsupported JWT algorithm %q", cfg.Algorithm)
}

// WithClock returns a copy of t that reads the time from now (tests of expiry).
func (t *Tokens) WithClock(now func() time.Time) *Tokens {
	c := *t
	c.now = now
	c.verified = &verifiedTokens{m: map[string]Claims{}} // checked against its own clock
	return &c
}

// TTL is the lifetime of access tokens.
func (t *Tokens) TTL() time.Duration { return t.ttl }

// Issue signs an access token for u.
func (t *Tokens) Issue(u domain.User) (string, error) {
	now := t.now()
	claims := Claims{
		UserID: u.ID, Role: u.Role, IsActive: u.IsActive, PwdAt: u.PasswordChangedAt.UnixMicro(),
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   u.Email,
			Issuer:    t.issuer,
			Audience:  jwt.ClaimStrings{t.audience},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now.Add(-5 * time.Second)),
			ExpiresAt: jwt.NewNumericDate(now.Add(t.ttl)),
			ID:        uuid.NewString(),
		},
	}
	tok := jwt.NewWithClaims(t.method, claims)
	if t.kid != "" {
		tok.Header["kid"] = t.kid
	}
	s, err := tok.SignedString(t.signKey)
	if err != nil {
		return "", fmt.Errorf("authn: sign token: %w", err)
	}
	return s, nil
}

// Verify checks signature, algorithm, expiry, issuer and audience, and returns the claims.
func (t *Tokens) Verify(raw string) (*Claims, error) {
	if t.verified != nil {
		if c, ok := t.verified.get(raw); ok {
			// Checked before; only time can have made it invalid since.
			if c.ExpiresAt == nil || !t.now().Before(c.ExpiresAt.Time.Add(verifyLeeway)) {
				return nil, fmt.Errorf("%w: token is expired", ErrInvalidToken)
			}
			return &c, nil
		}
	}
	var c Claims
	_, err := jwt.ParseWithClaims(raw, &c, func(*jwt.Token) (any, error) { return t.verifKey, nil },
		jwt.WithValidMethods([]string{t.method.Alg()}),
		jwt.WithIssuer(t.issuer),
		jwt.WithAudience(t.audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(t.now),
		jwt.WithLeeway(verifyLeeway),
	)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	if c.UserID <= 0 || c.IssuedAt == nil {
		return nil, fmt.Errorf("%w: missing claims", ErrInvalidToken)
	}
	if t.verified != nil {
		t.verified.put(raw, c)
	}
	return &c, nil
}

// verifyLeeway is the clock skew tolerated on exp and iat.
const verifyLeeway = 5 * time.Second

// JWK is one public key in the JWKS document.
type JWK struct {
	Kty string `json:"kty"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	N   string `json:"n"`
	E   string `json:"e"`
}

// JWKS returns our public keys (none with HS256: a shared secret is never published).
func (t *Tokens) JWKS() []JWK {
	pub, ok := t.verifKey.(*rsa.PublicKey)
	if !ok {
		return []JWK{}
	}
	return []JWK{{
		Kty: "RSA", Use: "sig", Alg: "RS256", Kid: t.kid,
		N: base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		E: base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}
}

func keyID(pub *rsa.PublicKey) string {
	der, _ := x509.MarshalPKIXPublicKey(pub)
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

func ensureRSAKey(path string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("authn: generate key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("authn: encode key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("authn: key directory: %w", err)
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("authn: write key: %w", err)
	}
	return nil
}

func loadRSAKey(path string) (*rsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("authn: read JWT private key: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("authn: %s holds no PEM block", path)
	}
	var parsed any
	switch block.Type {
	case "RSA PRIVATE KEY":
		parsed, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	default:
		parsed, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	}
	if err != nil {
		return nil, fmt.Errorf("authn: parse JWT private key: %w", err)
	}
	key, ok := parsed.(*rsa.PrivateKey)
	if !ok || key.N.BitLen() < 2048 {
		return nil, fmt.Errorf("authn: %s must hold an RSA key of at least 2048 bits", path)
	}
	return key, nil
}
