package authn_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mifmaroc/mif/authn"
	"github.com/mifmaroc/mif/config"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/poll"
	"github.com/mifmaroc/mif/internal/testdb"
	"github.com/mifmaroc/mif/storage"
)

// BenchmarkPrincipal times the check of a request's access token (signature, then the principal
// lookup) with and without the principal cache, in one run:
//
//	go test -run '^$' -bench BenchmarkPrincipal -benchmem ./authn/
func BenchmarkPrincipal(b *testing.B) {
	ctx := context.Background()
	url := testdb.NewURL(b, testdb.Conns(3))
	db, err := storage.Open(ctx, url, 2)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	st := storage.New(db)
	jwt := config.JWT{Algorithm: "HS256", Secret: strings.Repeat("k", 32), Issuer: "mif", Audience: "mif-api",
		AccessTTL: 15 * time.Minute, RefreshTTL: 7 * 24 * time.Hour}
	tokens, err := authn.NewTokens(jwt, "")
	if err != nil {
		b.Fatal(err)
	}
	h, err := goodHash()
	if err != nil {
		b.Fatal(err)
	}
	u, err := st.CreateUser(ctx, storage.NewUser{Email: "bench@mif.ma", PasswordHash: &h, Nom: "Bench", Role: domain.RoleResponsable}, nil)
	if err != nil {
		b.Fatal(err)
	}
	tok, err := tokens.Issue(u)
	if err != nil {
		b.Fatal(err)
	}
	cache := authn.NewPrincipalCache(url, nil)
	b.Cleanup(cache.Close)
	for _, c := range []struct {
		name  string
		cache *authn.PrincipalCache
	}{{"uncached", nil}, {"cached", cache}} {
		svc := authn.NewService(authn.ServiceDeps{Store: st, Tokens: tokens, JWT: jwt, Passwords: cheapPasswords(), PrincipalCache: c.cache})
		if c.cache != nil {
			_, _ = svc.Principal(ctx, tok)
			poll.Until(b, "cache live", func() error {
				if !c.cache.Live() {
					return context.DeadlineExceeded
				}
				return nil
			})
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := svc.Principal(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
