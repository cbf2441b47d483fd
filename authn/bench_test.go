package authn

import (
	"strings"
	"testing"
	"time"

	"github.com/mifmaroc/mif/domain"
)

// Run with: go test -run '^$' -bench . -benchmem ./authn/
// The figures are in the README ("Identity and access").

func BenchmarkBcryptHash(b *testing.B) {
	for b.Loop() {
		if _, err := HashPassword("Atlas#Presse2026"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBcryptVerify(b *testing.B) {
	h, err := HashPassword("Atlas#Presse2026")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if !CheckPassword(&h, "Atlas#Presse2026") {
			b.Fatal("mismatch")
		}
	}
}

func benchTokens(b *testing.B, alg string) *Tokens {
	b.Helper()
	if alg == "HS256" {
		return testTokens(b)
	}
	tk, err := NewTokens(configRS256(), b.TempDir()+"/jwt.pem")
	if err != nil {
		b.Fatal(err)
	}
	return tk
}

var benchUser = domain.User{ID: 1, Email: "technicien@mif.ma", Role: domain.RoleTechnicien, IsActive: true, PasswordChangedAt: time.Now()}

func BenchmarkTokenIssue(b *testing.B) {
	for _, alg := range []string{"RS256", "HS256"} {
		b.Run(alg, func(b *testing.B) {
			tk := benchTokens(b, alg)
			for b.Loop() {
				if _, err := tk.Issue(benchUser); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkTokenVerify(b *testing.B) {
	for _, alg := range []string{"RS256", "HS256"} {
		b.Run(alg, func(b *testing.B) {
			tk := benchTokens(b, alg)
			raw, err := tk.Issue(benchUser)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := tk.Verify(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRefreshTokenNew(b *testing.B) {
	for b.Loop() {
		NewRefreshToken()
	}
}

// BenchmarkValidatePassword: the whole policy, breached corpus and variants included, on a
// password that passes (the longest path: every variant is looked up).
func BenchmarkValidatePassword(b *testing.B) {
	breachedList() // the one-time split of the embedded corpus is not what is measured
	for b.Loop() {
		if err := ValidatePassword("Atlas#Presse2026", "k.alaoui@mif.ma"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBreachedCorpusLoad: the first check's cost (splitting the embedded corpus).
func BenchmarkBreachedCorpusLoad(b *testing.B) {
	for b.Loop() {
		_ = strings.Split(strings.TrimSuffix(breachedText, "\n"), "\n")
	}
}
