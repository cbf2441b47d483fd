// Package authn authenticates callers: password hashing and policy, our JWT access tokens, and
// the session rules behind Service (login with brute-force protection, refresh-token rotation,
// logout, password change, OIDC login and account linking, the check of every request's access
// token). The HTTP handlers only decode, call and encode; the rules are tested here, without HTTP.
package authn

import (
	_ "embed"
	"errors"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/mifmaroc/mif/domain"
)

// BcryptCost is the work factor of password hashes (OWASP: at least 10; we use 12).
const BcryptCost = 12

// MinPasswordLength is the seed's OWASP ASVS level 2 minimum.
const MinPasswordLength = 10

// PasswordSymbols are the symbols the seed's policy accepts.
const PasswordSymbols = "!@#$%^&*()-_+=[]{};:,.?/|"

// maxPasswordBytes is bcrypt's input limit; longer passwords would be silently truncated.
const maxPasswordBytes = 72

//go:embed common_passwords.txt
var commonPasswordsText string

var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	m := make(map[string]struct{})
	for _, l := range strings.Split(commonPasswordsText, "\n") {
		if l = strings.TrimSpace(strings.ToLower(l)); l != "" && !strings.HasPrefix(l, "#") {
			m[l] = struct{}{}
		}
	}
	return m
})

// ValidatePassword checks the password policy and returns a *domain.ValidationError listing
// every rule that failed (field "password"), or nil.
func ValidatePassword(password, email string) error {
	var v domain.Validator
	const f = "password"
	v.Check(utf8.RuneCountInString(password) >= MinPasswordLength, f, "au moins %d caractères", MinPasswordLength)
	v.Check(len(password) <= maxPasswordBytes, f, "au plus %d octets", maxPasswordBytes)
	var upper, lower, digit, symbol bool
	for _, r := range password {
		switch {
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsLower(r):
			lower = true
		case unicode.IsDigit(r):
			digit = true
		case strings.ContainsRune(PasswordSymbols, r):
			symbol = true
		}
	}
	v.Check(upper, f, "au moins une majuscule")
	v.Check(lower, f, "au moins une minuscule")
	v.Check(digit, f, "au moins un chiffre")
	v.Check(symbol, f, "au moins un caractère spécial parmi %s", PasswordSymbols)
	lowerPw := strings.ToLower(password)
	if _, common := commonPasswords()[lowerPw]; common {
		v.Add(f, "mot de passe trop courant")
	}
	if local, _, ok := strings.Cut(strings.ToLower(email), "@"); ok && len(local) >= 3 && strings.Contains(lowerPw, local) {
		v.Add(f, "ne doit pas contenir l'identifiant de l'e-mail")
	}
	return v.Err()
}

// HashPassword hashes a password with bcrypt at BcryptCost.
func HashPassword(password string) (string, error) {
	if len(password) > maxPasswordBytes {
		return "", errors.New("authn: password longer than 72 bytes")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), BcryptCost)
	return string(h), err
}

// dummyHash is compared against when the account does not exist, so that a login for an unknown
// e-mail costs the same bcrypt time as one for a known e-mail (no account enumeration by timing).
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("no-such-account-placeholder"), BcryptCost)
	return h
})

// CheckPassword reports whether password matches hash. A nil hash (unknown account, or an
// OIDC-only account) still spends one bcrypt comparison and returns false.
func CheckPassword(hash *string, password string) bool {
	if hash == nil || *hash == "" {
		_ = bcrypt.CompareHashAndPassword(dummyHash(), []byte(password))
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(*hash), []byte(password)) == nil
}
