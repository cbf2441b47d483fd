package authn

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/mifmaroc/mif/config"
	"github.com/mifmaroc/mif/domain"
)

func TestPasswordPolicyListsEveryFailedRule(t *testing.T) {
	t.Parallel()
	err := ValidatePassword("abc", "x@y.ma")
	var ve *domain.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want a validation error, got %v", err)
	}
	msgs := []string{}
	for _, f := range ve.Fields {
		if f.Field != "password" {
			t.Fatalf("field %q", f.Field)
		}
		msgs = append(msgs, f.Message)
	}
	all := strings.Join(msgs, "|")
	for _, want := range []string{"10 caractères", "majuscule", "chiffre", "caractère spécial"} {
		if !strings.Contains(all, want) {
			t.Errorf("missing rule %q in %q", want, all)
		}
	}
	if strings.Contains(all, "minuscule") {
		t.Errorf("lower case is present, yet reported: %q", all)
	}
	cases := map[string]string{
		"common":      "Password123!",
		"email local": "Karim.Alaoui#2026",
	}
	for name, pw := range cases {
		if err := ValidatePassword(pw, "karim.alaoui@mif.ma"); err == nil {
			t.Errorf("%s: %q accepted", name, pw)
		}
	}
	if err := ValidatePassword("Atlas#Presse2026", "karim.alaoui@mif.ma"); err != nil {
		t.Fatalf("good password refused: %v", err)
	}
}

func TestHashUsesCost12(t *testing.T) {
	t.Parallel()
	h, err := HashPassword("Atlas#Presse2026")
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := bcrypt.Cost([]byte(h)); c < 12 {
		t.Fatalf("cost %d", c)
	}
	if !CheckPassword(&h, "Atlas#Presse2026") || CheckPassword(&h, "atlas#presse2026") || CheckPassword(nil, "x") {
		t.Fatal("CheckPassword answers wrongly")
	}
	if _, err := HashPassword(strings.Repeat("a", 73)); err == nil {
		t.Fatal("a password longer than 72 bytes must be refused, not truncated")
	}
}

// TestPasswordsAtAChosenCost: a Passwords hashes at its own cost, and its dummy comparison (for
// unknown accounts) at the same cost as its real hashes; the service and DefaultPasswords are
// at BcryptCost unless told otherwise.
func TestPasswordsAtAChosenCost(t *testing.T) {
	t.Parallel()
	if _, err := NewPasswords(bcrypt.MinCost - 1); err == nil {
		t.Fatal("a cost below bcrypt's minimum was accepted")
	}
	p, err := NewPasswords(bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	h, err := p.Hash("Atlas#Presse2026")
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := bcrypt.Cost([]byte(h)); c != bcrypt.MinCost || p.Cost() != bcrypt.MinCost {
		t.Fatalf("hash cost %d, Cost() %d, want %d", c, p.Cost(), bcrypt.MinCost)
	}
	if c, _ := bcrypt.Cost(p.dummy()); c != bcrypt.MinCost {
		t.Fatalf("dummy hash cost %d, want the real hashes' %d", c, bcrypt.MinCost)
	}
	if !p.Check(&h, "Atlas#Presse2026") || p.Check(&h, "atlas#presse2026") || p.Check(nil, "x") {
		t.Fatal("Check answers wrongly")
	}
	if _, err := p.Hash(strings.Repeat("a", 73)); err == nil {
		t.Fatal("a password longer than 72 bytes must be refused, not truncated")
	}
	if DefaultPasswords().Cost() != BcryptCost || NewService(ServiceDeps{}).pw != DefaultPasswords() {
		t.Fatal("the default (and a service built without Passwords) must hash at BcryptCost")
	}
}

func TestThrottleGrowsThenLocks(t *testing.T) {
	t.Parallel()
	cfg := config.BruteForce{Window: 15 * time.Minute, FreeAttempts: 3, BaseDelay: time.Second, MaxDelay: 8 * time.Second,
		LockThreshold: 10, IPFreeAttempts: 20, IPLockThreshold: 100, LockDuration: 15 * time.Minute}
	th := NewThrottle(cfg)
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	wait := func(n int) time.Duration { return th.Wait(Failures{Count: n, Last: now}, Failures{}, now) }
	want := map[int]time.Duration{0: 0, 2: 0, 3: time.Second, 4: 2 * time.Second, 5: 4 * time.Second, 6: 8 * time.Second,
		9: 8 * time.Second, 10: 15 * time.Minute, 50: 15 * time.Minute}
	for n, w := range want {
		if got := wait(n); got != w {
			t.Errorf("%d failures: wait %v, want %v", n, got, w)
		}
	}
	// The delay runs from the last failure.
	if got := th.Wait(Failures{Count: 4, Last: now.Add(-time.Second)}, Failures{}, now); got != time.Second {
		t.Errorf("elapsed delay: %v", got)
	}
	if got := th.Wait(Failures{Count: 4, Last: now.Add(-time.Minute)}, Failures{}, now); got != 0 {
		t.Errorf("delay over: %v", got)
	}
	// The address counts too, with its own thresholds; the longer wait wins.
	if got := th.Wait(Failures{}, Failures{Count: 100, Last: now}, now); got != 15*time.Minute {
		t.Errorf("ip lock: %v", got)
	}
	if got := th.Wait(Failures{}, Failures{Count: 19, Last: now}, now); got != 0 {
		t.Errorf("ip below its threshold: %v", got)
	}
}

func TestRefreshTokens(t *testing.T) {
	t.Parallel()
	a, ha := NewRefreshToken()
	b, hb := NewRefreshToken()
	if a == b || ha == hb || !strings.HasPrefix(a, RefreshPrefix) || !LooksLikeRefreshToken(a) {
		t.Fatalf("tokens %q %q", a, b)
	}
	if HashRefreshToken(a) != ha || len(ha) != 64 || strings.Contains(ha, a) {
		t.Fatal("hash")
	}
	if LooksLikeRefreshToken("eyJhbGciOiJIUzI1NiJ9.e30.x") {
		t.Fatal("a JWT is not a refresh token")
	}
}

func TestProvisioningRoleNeverAdmin(t *testing.T) {
	t.Parallel()
	cases := []struct {
		claim any
		want  domain.Role
	}{
		{nil, domain.RoleClient},
		{"admin", domain.RoleClient},
		{"Technicien", domain.RoleTechnicien},
		{[]any{"admin", "responsable"}, domain.RoleResponsable},
		{"superuser", domain.RoleClient},
		{42.0, domain.RoleClient},
	}
	for _, c := range cases {
		if got, _ := ProvisioningRole(c.claim); got != c.want {
			t.Errorf("%v: %s, want %s", c.claim, got, c.want)
		}
	}
}

func testTokens(t testing.TB) *Tokens {
	t.Helper()
	tk, err := NewTokens(config.JWT{Algorithm: "HS256", Secret: strings.Repeat("k", 32), Issuer: "mif", Audience: "mif-api", AccessTTL: 15 * time.Minute}, "")
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func TestTokenClaims(t *testing.T) {
	t.Parallel()
	tk := testTokens(t)
	changed := time.Date(2026, 1, 2, 3, 4, 5, 678901000, time.UTC)
	u := domain.User{ID: 7, Email: "a@mif.ma", Role: domain.RoleTechnicien, IsActive: true, PasswordChangedAt: changed}
	raw, err := tk.Issue(u)
	if err != nil {
		t.Fatal(err)
	}
	c, err := tk.Verify(raw)
	if err != nil {
		t.Fatal(err)
	}
	if c.UserID != 7 || c.Role != domain.RoleTechnicien || !c.IsActive || c.Subject != "a@mif.ma" || c.ID == "" ||
		c.Issuer != "mif" || c.PwdAt != changed.UnixMicro() || c.ExpiresAt.Sub(c.IssuedAt.Time) != 15*time.Minute {
		t.Fatalf("claims %+v", c)
	}
	other, _ := tk.Issue(u)
	c2, _ := tk.Verify(other)
	if c2.ID == c.ID {
		t.Fatal("jti must be unique")
	}
	late := tk.WithClock(func() time.Time { return time.Now().Add(16 * time.Minute) })
	if _, err := late.Verify(raw); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("expired token accepted: %v", err)
	}
}

func TestRS256KeyGenerationAndJWKS(t *testing.T) {
	t.Parallel()
	path := t.TempDir() + "/k/jwt.pem"
	cfg := config.JWT{Algorithm: "RS256", Issuer: "mif", Audience: "mif-api", AccessTTL: time.Minute}
	tk, err := NewTokens(cfg, path)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := tk.Issue(domain.User{ID: 1, Email: "a@mif.ma", Role: domain.RoleAdmin, IsActive: true})
	if err != nil {
		t.Fatal(err)
	}
	// A second instance loads the same key: tokens verify across replicas.
	cfg.PrivateKeyFile = path
	tk2, err := NewTokens(cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tk2.Verify(raw); err != nil {
		t.Fatal(err)
	}
	keys := tk2.JWKS()
	if len(keys) != 1 || keys[0].Kty != "RSA" || keys[0].Kid == "" || keys[0].N == "" {
		t.Fatalf("jwks %+v", keys)
	}
	if _, err := NewTokens(config.JWT{Algorithm: "RS256"}, ""); err == nil {
		t.Fatal("RS256 without a key file must fail")
	}
}

func configRS256() config.JWT {
	return config.JWT{Algorithm: "RS256", Issuer: "mif", Audience: "mif-api", AccessTTL: 15 * time.Minute}
}

// TestProviderTokenCheckSkipsForeignTokens: with provider tokens accepted, a token that is not the
// provider's (garbage, or one of ours that failed its own check) is refused without a call to the
// provider — one that accepts connections but never answers would otherwise hold the request.
func TestProviderTokenCheckSkipsForeignTokens(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var calls atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			calls.Add(1)
			defer c.Close() // never answers
		}
	}()
	o := NewOIDC(config.OIDC{Issuer: "http://" + ln.Addr().String(), ClientID: "mif", AcceptProviderTokens: true})
	ours, err := NewTokens(config.JWT{Algorithm: "HS256", Secret: strings.Repeat("s", 32), Issuer: "mif", Audience: "mif-api", AccessTTL: time.Minute}, "")
	if err != nil {
		t.Fatal(err)
	}
	expired, err := ours.WithClock(func() time.Time { return time.Now().Add(-time.Hour) }).Issue(domain.User{ID: 1, Email: "a@b.ma", Role: domain.RoleClient})
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{"not-a-token", expired} {
		if _, err := o.VerifyProviderToken(context.Background(), raw); !errors.Is(err, ErrOIDC) {
			t.Fatalf("%.20s…: %v, want ErrOIDC", raw, err)
		}
	}
	if n := calls.Load(); n != 0 {
		t.Fatalf("%d calls to the provider for tokens that are not its own", n)
	}
}
