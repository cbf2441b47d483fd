package authn_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mifmaroc/mif/authn"
	"github.com/mifmaroc/mif/config"
	"github.com/mifmaroc/mif/domain"
)

// TestVerifiedTokensStillExpireAndMatchExactly: a token verified once is remembered, but it is
// still refused once expired, and a token differing in one byte of its signature is checked
// afresh (and refused).
func TestVerifiedTokensStillExpireAndMatchExactly(t *testing.T) {
	t.Parallel()
	c := &clock{}
	tokens, err := authn.NewTokens(config.JWT{Algorithm: "RS256", Issuer: "mif", Audience: "mif-api", AccessTTL: 15 * time.Minute},
		t.TempDir()+"/jwt.pem")
	if err != nil {
		t.Fatal(err)
	}
	tokens = tokens.WithClock(c.Now)
	tok, err := tokens.Issue(domain.User{ID: 7, Role: domain.RoleResponsable, IsActive: true, PasswordChangedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if cl, err := tokens.Verify(tok); err != nil || cl.UserID != 7 {
			t.Fatalf("verification %d: %+v %v", i, cl, err)
		}
	}
	last := tok[len(tok)-2:]
	swapped := "AA"
	if last == swapped {
		swapped = "BB"
	}
	forged := strings.TrimSuffix(tok, last) + swapped
	if _, err := tokens.Verify(forged); !errors.Is(err, authn.ErrInvalidToken) {
		t.Fatalf("altered signature: %v", err)
	}
	c.Add(16 * time.Minute)
	if _, err := tokens.Verify(tok); !errors.Is(err, authn.ErrInvalidToken) {
		t.Fatalf("expired token verified before: %v", err)
	}
}
