// Package authn authenticates callers: password hashing and policy, our JWT access tokens, and
// the session rules behind Service (login with brute-force protection, refresh-token rotation,
// logout, password change, OIDC login and account linking, the check of every request's access
// token). The HTTP handlers only decode, call and encode; the rules are tested here, without HTTP.
package authn

import (
	_ "embed"
	"errors"
	"slices"
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

// PassphraseLength is the length from which no character class is demanded (ASVS: length over
// composition): a passphrase of 15 characters or more is accepted as typed, and still checked
// against the breached corpus and the e-mail.
const PassphraseLength = 15

// PasswordSymbols are the symbols the seed's policy accepts.
const PasswordSymbols = "!@#$%^&*()-_+=[]{};:,.?/|"

// maxPasswordBytes is bcrypt's input limit; longer passwords would be silently truncated.
const maxPasswordBytes = 72

// breachedText is the breached-password corpus: lower-case, sorted, one a line (source, licence
// and how it was built: breached_passwords.NOTICE).
//
//go:embed breached_passwords.txt
var breachedText string

// contextText lists words particular to this platform, checked like the corpus.
//
//go:embed context_passwords.txt
var contextText string

// breachedList is the corpus as a sorted slice over the embedded text (no copy of the strings).
var breachedList = sync.OnceValue(func() []string {
	return strings.Split(strings.TrimSuffix(breachedText, "\n"), "\n")
})

var contextWords = sync.OnceValue(func() map[string]struct{} {
	m := map[string]struct{}{}
	for _, l := range strings.Split(contextText, "\n") {
		if l = strings.TrimSpace(strings.ToLower(l)); l != "" && !strings.HasPrefix(l, "#") {
			m[l] = struct{}{}
		}
	}
	return m
})

func known(s string) bool {
	if _, ok := contextWords()[s]; ok {
		return true
	}
	_, found := slices.BinarySearch(breachedList(), s)
	return found
}

// leet undoes the substitutions password crackers try first; '1' stands for 'i' or 'l'.
var leetI = strings.NewReplacer("0", "o", "1", "i", "3", "e", "4", "a", "5", "s", "7", "t", "8", "b", "@", "a", "$", "s", "!", "i", "|", "l", "+", "t")
var leetL = strings.NewReplacer("0", "o", "1", "l", "3", "e", "4", "a", "5", "s", "7", "t", "8", "b", "@", "a", "$", "s", "!", "i", "|", "l", "+", "t")

// maxAround bounds how many of the digits and symbols around a word are tried as part of it.
const maxAround = 4

// Breached reports whether password is in the breached corpus (or the platform's context words),
// case-insensitively, or is a trivial variant of an entry of 4 characters or more: the entry
// with capitals, with digits and symbols before or after it (Password@1, 2024Welcome!), with the
// usual letter substitutions (P@ssw0rd, 4dm1n).
func Breached(password string) bool {
	l := strings.ToLower(password)
	if known(l) {
		return true
	}
	rs := []rune(l)
	first, last := -1, -1
	for i, r := range rs {
		if unicode.IsLetter(r) {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		return false // no word to vary: only the exact match above applies
	}
	// The word is the letters' span, with up to maxAround of the characters next to it on each
	// side (a leading '@' may be an 'a', a trailing '1' part of "trustno1").
	for i := first; i >= max(0, first-maxAround); i-- {
		for j := last + 1; j <= min(len(rs), last+1+maxAround); j++ {
			if j-i < 4 {
				continue
			}
			w := string(rs[i:j])
			if known(w) || known(leetI.Replace(w)) || known(leetL.Replace(w)) {
				return true
			}
		}
	}
	return false
}

// ValidatePassword checks the password policy and returns a *domain.ValidationError listing
// every rule that failed (field "password"), or nil: at least 10 characters and at most 72 bytes
// (bcrypt's limit: refused, never truncated); below 15 characters an upper-case letter, a
// lower-case letter, a digit and a symbol; not in the breached corpus nor a trivial variant of
// one of its entries (case-insensitive); not containing the e-mail's local part; no control
// character (NUL included) and valid UTF-8.
func ValidatePassword(password, email string) error {
	var v domain.Validator
	const f = "password"
	if !validText(password) {
		v.Add(f, invalidText)
		return v.Err()
	}
	n := utf8.RuneCountInString(password)
	v.Check(n >= MinPasswordLength, f, "au moins %d caractères", MinPasswordLength)
	v.Check(len(password) <= maxPasswordBytes, f, "au plus %d octets", maxPasswordBytes)
	if n < PassphraseLength {
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
		const orLonger = " (ou au moins 15 caractères)"
		v.Check(upper, f, "au moins une majuscule"+orLonger)
		v.Check(lower, f, "au moins une minuscule"+orLonger)
		v.Check(digit, f, "au moins un chiffre"+orLonger)
		v.Check(symbol, f, "au moins un caractère spécial parmi %s"+orLonger, PasswordSymbols)
	}
	if Breached(password) {
		v.Add(f, "mot de passe trop courant : présent dans des fuites de mots de passe, ou variante évidente de l'un d'eux")
	}
	lowerPw := strings.ToLower(password)
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
