package authn

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// RefreshPrefix marks our refresh tokens, so that they are recognisable in logs and never confused
// with a JWT (the seed shows "rt_...").
const RefreshPrefix = "rt_"

// NewRefreshToken returns a new opaque refresh token (256 random bits) and the hash under which
// it is stored. The token itself is never stored.
func NewRefreshToken() (token, hash string) {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	token = RefreshPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return token, HashRefreshToken(token)
}

// HashRefreshToken is the SHA-256 (hex) of a refresh token. A fast hash is enough: the token has
// 256 bits of entropy, so there is nothing to brute-force.
func HashRefreshToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// LooksLikeRefreshToken tells a refresh token from an access token in an Authorization header.
func LooksLikeRefreshToken(s string) bool {
	return strings.HasPrefix(s, RefreshPrefix) && len(s) > len(RefreshPrefix)+16 && len(s) < 200
}

// RandomString returns n random bytes, base64url-encoded (OIDC state, nonce, PKCE verifier).
func RandomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
