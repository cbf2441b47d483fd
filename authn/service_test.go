package authn_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/mifmaroc/mif/authn"
	"github.com/mifmaroc/mif/config"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/testdb"
	"github.com/mifmaroc/mif/storage"
)

// The session rules, tested without HTTP against a real PostgreSQL database (internal/testdb)
// and a clock the test moves.

const goodPassword = "Atlas#Presse2026"

// goodHash is a bcrypt hash of goodPassword at the lowest cost: the rules tested here do not
// depend on the cost (TestHashUsesCost12 checks the real one), and cost 12 under the race
// detector would make every login of these tests take seconds.
var goodHash = sync.OnceValues(func() (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(goodPassword), bcrypt.MinCost)
	return string(h), err
})

// clock is the real time plus an offset the test moves forward. It never lags behind the
// database's clock, which stamps password changes and logouts everywhere.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return time.Now().Add(c.offset) }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

type fixture struct {
	st    *storage.Store
	svc   *authn.Service
	clock *clock
	cfg   config.Identity
	jwt   config.JWT
	cl    authn.Client
}

func testBruteForce() config.BruteForce {
	return config.BruteForce{Window: time.Hour, FreeAttempts: 2, BaseDelay: 10 * time.Minute, MaxDelay: 20 * time.Minute,
		LockThreshold: 5, IPFreeAttempts: 8, IPLockThreshold: 12, LockDuration: 30 * time.Minute}
}

func newFixture(t *testing.T, adjust ...func(*config.JWT, *config.Identity)) *fixture {
	t.Helper()
	f := &fixture{
		st:    storage.New(testdb.New(t)),
		clock: &clock{},
		jwt: config.JWT{Algorithm: "HS256", Secret: strings.Repeat("k", 32), Issuer: "mif", Audience: "mif-api",
			AccessTTL: 15 * time.Minute, RefreshTTL: 7 * 24 * time.Hour},
		cfg: config.Identity{BruteForce: testBruteForce(), Sessions: config.Sessions{MaxLifetime: 30 * 24 * time.Hour, IdleTimeout: 7 * 24 * time.Hour},
			OIDC: config.OIDC{Issuer: "https://idp.mif.ma/realms/mif", ClientID: "mif-api", StateTTL: 10 * time.Minute}},
		cl: authn.Client{IP: "192.0.2.10", UserAgent: "test"},
	}
	for _, a := range adjust {
		a(&f.jwt, &f.cfg)
	}
	tokens, err := authn.NewTokens(f.jwt, "")
	if err != nil {
		t.Fatal(err)
	}
	f.svc = authn.NewService(authn.ServiceDeps{Store: f.st, Tokens: tokens.WithClock(f.clock.Now), JWT: f.jwt,
		Identity: f.cfg, Now: f.clock.Now})
	return f
}

// user creates an active account with goodPassword.
func (f *fixture) user(t *testing.T, email string) domain.User {
	t.Helper()
	h, err := goodHash()
	if err != nil {
		t.Fatal(err)
	}
	u, err := f.st.CreateUser(context.Background(), storage.NewUser{Email: email, PasswordHash: &h, Nom: "Test", Role: domain.RoleResponsable}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (f *fixture) login(t *testing.T, email string) authn.Pair {
	t.Helper()
	p, err := f.svc.Login(context.Background(), authn.Credentials{Login: email, Password: goodPassword}, f.cl)
	if err != nil {
		t.Fatalf("login %s: %v", email, err)
	}
	return p
}

func wantThrottled(t *testing.T, err error, lo, hi time.Duration) {
	t.Helper()
	var th *authn.ThrottledError
	if !errors.As(err, &th) {
		t.Fatalf("want *ThrottledError, got %v", err)
	}
	if th.RetryAfter < lo || th.RetryAfter > hi {
		t.Fatalf("retry after %s, want between %s and %s", th.RetryAfter, lo, hi)
	}
}

func TestServiceLoginThrottlesAndLocks(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	f.user(t, "karim@mif.ma")
	wrong := func(login string) error {
		_, err := f.svc.Login(ctx, authn.Credentials{Login: login, Password: "Wrong#Password1"}, f.cl)
		return err
	}
	// Two free failures, then a 10-minute delay — for a known and an unknown account alike, even
	// with the right password.
	for _, who := range []string{"karim@mif.ma", "personne@mif.ma"} {
		for i := range 2 {
			if err := wrong(who); !errors.Is(err, authn.ErrWrongCredentials) || !errors.Is(err, domain.ErrUnauthenticated) {
				t.Fatalf("%s failure %d: %v", who, i, err)
			}
		}
		_, err := f.svc.Login(ctx, authn.Credentials{Login: who, Password: goodPassword}, f.cl)
		wantThrottled(t, err, 9*time.Minute, 10*time.Minute)
	}
	// The delay over, the right password opens a session, and the success clears the account's
	// slate (the address keeps its own count).
	f.clock.Add(10*time.Minute + time.Second)
	f.login(t, "karim@mif.ma")
	f.clock.Add(time.Second) // failures count from after the success
	if err := wrong("karim@mif.ma"); !errors.Is(err, authn.ErrWrongCredentials) {
		t.Fatalf("after a success: %v", err)
	}
	// Five failures lock the account for the lock duration (recorded from another address, so
	// that only the account's counter moves).
	for range 4 {
		if err := f.st.RecordLoginAttempt(ctx, "karim@mif.ma", "192.0.2.99", false, f.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	f.clock.Add(time.Second)
	_, err := f.svc.Login(ctx, authn.Credentials{Login: "KARIM@mif.ma ", Password: goodPassword}, f.cl)
	wantThrottled(t, err, 29*time.Minute, 30*time.Minute)
	// The address has failed 5 times itself (2 + 2 + 1): three more and every account is held back.
	other := f.user(t, "salma@mif.ma")
	for i := range 3 {
		// Three different names, so that no account's own counter holds them back.
		if err := wrong(strconv.Itoa(i) + other.Email); !errors.Is(err, authn.ErrWrongCredentials) {
			t.Fatalf("address failure: %v", err)
		}
	}
	if _, err := f.svc.Login(ctx, authn.Credentials{Login: other.Email, Password: goodPassword}, f.cl); !isThrottled(err) {
		t.Fatalf("the address is over its limit: %v", err)
	}
	if _, err := f.svc.Login(ctx, authn.Credentials{Login: other.Email, Password: goodPassword}, authn.Client{IP: "192.0.2.11"}); err != nil {
		t.Fatalf("another address: %v", err)
	}
}

func isThrottled(err error) bool {
	var th *authn.ThrottledError
	return errors.As(err, &th)
}

func TestServiceLoginRefusesInactiveAndBadInput(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	u := f.user(t, "inactif@mif.ma")
	if _, err := f.st.SetUserActive(ctx, u.ID, false, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Login(ctx, authn.Credentials{Login: u.Email, Password: goodPassword}, f.cl); !errors.Is(err, authn.ErrWrongCredentials) {
		t.Fatalf("a deactivated account must look like a wrong password: %v", err)
	}
	_, err := f.svc.Login(ctx, authn.Credentials{Login: " ", Password: ""}, f.cl)
	var ve *domain.ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != 2 || ve.Fields[0].Field != "email" || ve.Fields[1].Field != "password" {
		t.Fatalf("empty input: %v", err)
	}
	_, err = f.svc.Login(ctx, authn.Credentials{Login: strings.Repeat("a", 255), LoginField: "username", Password: "x"}, f.cl)
	if !errors.As(err, &ve) || ve.Fields[0].Field != "username" {
		t.Fatalf("long username: %v", err)
	}
	// NUL and invalid UTF-8 would reach PostgreSQL (which refuses them in text): invalid input.
	for _, c := range []authn.Credentials{
		{Login: "admin\x00@mif.ma", Password: "x"},
		{Login: "\xffadmin", LoginField: "username", Password: "x"},
		{Login: u.Email, Password: "Atlas\x00#Presse2026"},
	} {
		_, err = f.svc.Login(ctx, c, f.cl)
		want := c.LoginField
		if want == "" {
			want = "email"
		}
		if strings.HasPrefix(c.Password, "Atlas") {
			want = "password"
		}
		if !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Field != want {
			t.Fatalf("%q/%q: %v", c.Login, c.Password, err)
		}
	}
}

func TestServiceRefreshRotationAndReuseRevokesTheFamily(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	u := f.user(t, "rotation@mif.ma")
	first := f.login(t, u.Email)
	other := f.login(t, u.Email) // another session: another family

	f.clock.Add(time.Minute)
	second, err := f.svc.Refresh(ctx, first.RefreshToken, f.cl)
	if err != nil || second.RefreshToken == first.RefreshToken || second.User.ID != u.ID || second.AccessToken == "" {
		t.Fatalf("refresh: %+v %v", second, err)
	}
	third, err := f.svc.Refresh(ctx, second.RefreshToken, f.cl)
	if err != nil {
		t.Fatal(err)
	}
	// The first token comes back: someone else holds a copy. The whole family is revoked, its
	// latest token included, and the error says which session.
	_, err = f.svc.Refresh(ctx, first.RefreshToken, f.cl)
	var reuse *authn.ReuseError
	if !errors.As(err, &reuse) || reuse.UserID != u.ID || !errors.Is(err, authn.ErrRefreshReused) || !errors.Is(err, domain.ErrUnauthenticated) {
		t.Fatalf("reuse: %v", err)
	}
	stored, err := f.st.GetRefreshToken(ctx, authn.HashRefreshToken(first.RefreshToken))
	if err != nil || stored.FamilyID != reuse.FamilyID {
		t.Fatalf("family %v vs %v (%v)", stored.FamilyID, reuse.FamilyID, err)
	}
	if _, err := f.svc.Refresh(ctx, third.RefreshToken, f.cl); !errors.Is(err, authn.ErrRefreshInvalid) {
		t.Fatalf("latest token of a revoked family: %v", err)
	}
	// The other session lives on.
	if _, err := f.svc.Refresh(ctx, other.RefreshToken, f.cl); err != nil {
		t.Fatalf("other session: %v", err)
	}
	// Unknown, expired, missing.
	if _, err := f.svc.Refresh(ctx, "rt_nope-nope-nope-nope-nope", f.cl); !errors.Is(err, authn.ErrRefreshInvalid) {
		t.Fatalf("unknown: %v", err)
	}
	var ve *domain.ValidationError
	if _, err := f.svc.Refresh(ctx, "  ", f.cl); !errors.As(err, &ve) || ve.Fields[0].Field != "refresh_token" {
		t.Fatalf("missing: %v", err)
	}
	fresh := f.login(t, u.Email)
	f.clock.Add(f.jwt.RefreshTTL + time.Second)
	if _, err := f.svc.Refresh(ctx, fresh.RefreshToken, f.cl); !errors.Is(err, authn.ErrSessionExpired) {
		t.Fatalf("expired: %v", err)
	}
}

func TestServiceLogoutOneSessionOrEverywhere(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	u := f.user(t, "logout@mif.ma")
	a, b := f.login(t, u.Email), f.login(t, u.Email)
	if _, err := f.svc.Principal(ctx, a.AccessToken); err != nil {
		t.Fatalf("fresh access token: %v", err)
	}
	// One session: its family and the access token given with it (jti denylist); the other
	// session is untouched.
	if err := f.svc.Logout(ctx, a.RefreshToken, a.AccessToken); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Principal(ctx, a.AccessToken); !errors.Is(err, authn.ErrTokenRevoked) {
		t.Fatalf("access token after its logout: %v", err)
	}
	var denied int
	if err := f.st.DB().Get(&denied, `SELECT count(*) FROM revoked_access_tokens WHERE user_id = $1`, u.ID); err != nil || denied != 1 {
		t.Fatalf("jti denylist rows %d (%v)", denied, err)
	}
	if _, err := f.svc.Refresh(ctx, a.RefreshToken, f.cl); !errors.Is(err, authn.ErrRefreshInvalid) {
		t.Fatalf("refresh after logout: %v", err)
	}
	if s, err := f.svc.Principal(ctx, b.AccessToken); err != nil || s.Principal.UserID != u.ID {
		t.Fatalf("other session's access token: %+v %v", s, err)
	}
	b2, err := f.svc.Refresh(ctx, b.RefreshToken, f.cl)
	if err != nil {
		t.Fatalf("other session's refresh: %v", err)
	}
	// Only an access token: every session ends, access tokens included.
	c := f.login(t, u.Email)
	f.clock.Add(time.Second)
	if err := f.svc.Logout(ctx, "", c.AccessToken); err != nil {
		t.Fatal(err)
	}
	for name, tok := range map[string]string{"b2": b2.AccessToken, "c": c.AccessToken} {
		if _, err := f.svc.Principal(ctx, tok); !errors.Is(err, authn.ErrTokenRevoked) {
			t.Fatalf("%s after logout everywhere: %v", name, err)
		}
	}
	for name, tok := range map[string]string{"b2": b2.RefreshToken, "c": c.RefreshToken} {
		if _, err := f.svc.Refresh(ctx, tok, f.cl); !errors.Is(err, authn.ErrRefreshInvalid) {
			t.Fatalf("%s refresh after logout everywhere: %v", name, err)
		}
	}
	// Nothing to log out: refused; an unknown refresh token or a forged access token: nothing ends,
	// nothing is told.
	var ve *domain.ValidationError
	if err := f.svc.Logout(ctx, "", ""); !errors.As(err, &ve) {
		t.Fatalf("no token: %v", err)
	}
	d := f.login(t, u.Email)
	if err := f.svc.Logout(ctx, "rt_unknown-unknown-unknown", "forged.jwt.token"); err != nil {
		t.Fatalf("unknown tokens: %v", err)
	}
	if _, err := f.svc.Principal(ctx, d.AccessToken); err != nil {
		t.Fatalf("an unrelated logout ended a session: %v", err)
	}
}

func TestServiceChangePasswordEndsEverySession(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	u := f.user(t, "karim.alaoui@mif.ma")
	a, b := f.login(t, u.Email), f.login(t, u.Email)
	change := func(oldPw, newPw string) (authn.Pair, error) {
		return f.svc.ChangePassword(ctx, u.ID, oldPw, newPw, f.cl)
	}
	if _, err := change("Wrong#Password1", "Nouveau#Secret2026"); !errors.Is(err, authn.ErrWrongCredentials) {
		t.Fatalf("wrong current password: %v", err)
	}
	var ve *domain.ValidationError
	if _, err := change(goodPassword, "court"); !errors.As(err, &ve) || len(ve.Fields) < 3 || ve.Fields[0].Field != "new_password" {
		t.Fatalf("weak password: %v", err)
	}
	if _, err := change(goodPassword, "Karim.Alaoui#2026x"); !errors.As(err, &ve) {
		t.Fatalf("password holding the e-mail's local part: %v", err)
	}
	if _, err := change(goodPassword, goodPassword); !errors.As(err, &ve) || !strings.Contains(ve.Error(), "différer") {
		t.Fatalf("same password: %v", err)
	}
	f.clock.Add(time.Second)
	fresh, err := change(goodPassword, "Nouveau#Secret2026")
	if err != nil {
		t.Fatal(err)
	}
	for name, p := range map[string]authn.Pair{"a": a, "b": b} {
		if _, err := f.svc.Principal(ctx, p.AccessToken); !errors.Is(err, authn.ErrTokenRevoked) {
			t.Fatalf("%s access token after the change: %v", name, err)
		}
		if _, err := f.svc.Refresh(ctx, p.RefreshToken, f.cl); !errors.Is(err, authn.ErrRefreshInvalid) {
			t.Fatalf("%s refresh token after the change: %v", name, err)
		}
	}
	if _, err := f.svc.Principal(ctx, fresh.AccessToken); err != nil {
		t.Fatalf("the new pair: %v", err)
	}
	if _, err := f.svc.Login(ctx, authn.Credentials{Login: u.Email, Password: goodPassword}, f.cl); !errors.Is(err, authn.ErrWrongCredentials) {
		t.Fatalf("old password: %v", err)
	}
	if _, err := f.svc.Login(ctx, authn.Credentials{Login: u.Email, Password: "Nouveau#Secret2026"}, f.cl); err != nil {
		t.Fatalf("new password: %v", err)
	}
	// A wrong current password counts as a failed login: the throttle holds the next guesses.
	for range 2 {
		if _, err := change("Wrong#Password1", "Autre#Secret2027"); !errors.Is(err, authn.ErrWrongCredentials) {
			t.Fatal(err)
		}
	}
	_, err = change("Nouveau#Secret2026", "Autre#Secret2027")
	wantThrottled(t, err, 9*time.Minute, 10*time.Minute)
}

func TestServiceDeactivationEndsSessionsForGood(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	u := f.user(t, "desactive@mif.ma")
	p := f.login(t, u.Email)
	f.clock.Add(time.Second)
	if _, err := f.st.SetUserActive(ctx, u.ID, false, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Principal(ctx, p.AccessToken); !errors.Is(err, authn.ErrInactive) {
		t.Fatalf("access token of a deactivated account: %v", err)
	}
	if _, err := f.svc.Refresh(ctx, p.RefreshToken, f.cl); !errors.Is(err, authn.ErrRefreshInvalid) {
		t.Fatalf("refresh of a deactivated account: %v", err)
	}
	// Reactivated within the token's 15 minutes: the old token stays refused; a new login works.
	if _, err := f.st.SetUserActive(ctx, u.ID, true, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Principal(ctx, p.AccessToken); !errors.Is(err, authn.ErrTokenRevoked) {
		t.Fatalf("token of before the deactivation: %v", err)
	}
	f.clock.Add(time.Second)
	if _, err := f.svc.Principal(ctx, f.login(t, u.Email).AccessToken); err != nil {
		t.Fatalf("after reactivation: %v", err)
	}
	if _, err := f.svc.Principal(ctx, "not-a-token"); !errors.Is(err, authn.ErrInvalidToken) {
		t.Fatalf("garbage: %v", err)
	}
}

func TestServiceOIDCUserLinking(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	issuer := f.cfg.OIDC.Issuer
	existing := f.user(t, "responsable.sso@mif.ma")
	verified := func(sub, email string, role domain.Role) authn.Identity {
		return authn.Identity{Subject: sub, Email: email, EmailVerified: true, Role: role}
	}

	// A verified e-mail matches the account and links it under issuer and subject together.
	u, err := f.svc.OIDCUser(ctx, verified("sub-1", existing.Email, domain.RoleAdmin))
	if err != nil || u.ID != existing.ID || u.Role != domain.RoleResponsable {
		t.Fatalf("match by verified e-mail: %+v %v", u, err)
	}
	if got, err := f.st.GetUserByOIDCSubject(ctx, issuer+"|sub-1"); err != nil || got.ID != existing.ID {
		t.Fatalf("link: %+v %v", got, err)
	}
	// Next time the link decides, whatever e-mail the provider sends now.
	if u, err := f.svc.OIDCUser(ctx, authn.Identity{Subject: "sub-1"}); err != nil || u.ID != existing.ID {
		t.Fatalf("linked identity: %+v %v", u, err)
	}
	// A second identity claiming the same e-mail does not take the account over.
	if _, err := f.svc.OIDCUser(ctx, verified("sub-2", existing.Email, "")); !errors.Is(err, authn.ErrOIDCLinkedElsewhere) {
		t.Fatalf("second identity: %v", err)
	}
	// The same subject at another issuer is another identity: it is not signed in as the account.
	f2 := *f
	f2.cfg.OIDC.Issuer = "https://autre-idp.example.com"
	tokens, err := authn.NewTokens(f.jwt, "")
	if err != nil {
		t.Fatal(err)
	}
	svc2 := authn.NewService(authn.ServiceDeps{Store: f.st, Tokens: tokens, JWT: f.jwt, Identity: f2.cfg})
	if _, err := svc2.OIDCUser(ctx, verified("sub-1", existing.Email, "")); !errors.Is(err, authn.ErrOIDCLinkedElsewhere) {
		t.Fatalf("same subject, other issuer: %v", err)
	}
	// No verified e-mail: neither matched nor provisioned.
	unverified := verified("sub-3", "personne.sso@mif.ma", domain.RoleTechnicien)
	unverified.EmailVerified = false
	if _, err := f.svc.OIDCUser(ctx, unverified); !errors.Is(err, authn.ErrOIDCUnverifiedEmail) {
		t.Fatalf("unverified e-mail: %v", err)
	}
	if _, err := f.st.GetUserByLogin(ctx, "personne.sso@mif.ma"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("an unverified identity was provisioned: %v", err)
	}
	// Provisioning gives the claimed role, never admin.
	nu, err := f.svc.OIDCUser(ctx, verified("sub-4", "nouveau.sso@cimatlas.ma", domain.RoleAdmin))
	if err != nil || nu.Role != domain.RoleClient || nu.PasswordHash != nil {
		t.Fatalf("provisioned with admin claimed: %+v %v", nu, err)
	}
	tech, err := f.svc.OIDCUser(ctx, verified("sub-5", "tech.sso@mif.ma", domain.RoleTechnicien))
	if err != nil || tech.Role != domain.RoleTechnicien {
		t.Fatalf("provisioned technicien: %+v %v", tech, err)
	}
	// A deactivated account is neither linked nor signed in, by e-mail or by its link.
	off := f.user(t, "off.sso@mif.ma")
	if _, err := f.st.SetUserActive(ctx, off.ID, false, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.OIDCUser(ctx, verified("sub-6", off.Email, "")); !errors.Is(err, authn.ErrInactive) {
		t.Fatalf("deactivated, by e-mail: %v", err)
	}
	if _, err := f.st.GetUserByOIDCSubject(ctx, issuer+"|sub-6"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("a deactivated account was linked: %v", err)
	}
	if _, err := f.st.SetUserActive(ctx, existing.ID, false, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.OIDCUser(ctx, authn.Identity{Subject: "sub-1"}); !errors.Is(err, authn.ErrInactive) {
		t.Fatalf("deactivated, by link: %v", err)
	}
	// Without OIDC configured there is nothing to link.
	noOIDC := authn.NewService(authn.ServiceDeps{Store: f.st, Tokens: tokens, JWT: f.jwt, Identity: config.Identity{BruteForce: testBruteForce()}})
	if _, err := noOIDC.OIDCUser(ctx, verified("sub-7", "x@mif.ma", "")); !errors.Is(err, authn.ErrOIDCDisabled) {
		t.Fatalf("oidc off: %v", err)
	}
}

// TestServiceSessionsEnd: a session refreshed faithfully still ends at its absolute lifetime,
// and one left unrefreshed ends at its idle timeout (before, each refresh set a fresh 7-day
// expiry, so a session never ended).
func TestServiceSessionsEnd(t *testing.T) {
	t.Parallel()
	const day = 24 * time.Hour
	f := newFixture(t, func(_ *config.JWT, id *config.Identity) {
		id.Sessions = config.Sessions{MaxLifetime: 30 * day, IdleTimeout: 7 * day}
	})
	ctx := context.Background()
	u := f.user(t, "longue.session@mif.ma")
	p := f.login(t, u.Email)
	started := f.clock.Now()
	for i := 1; i <= 4; i++ { // days 6, 12, 18, 24
		f.clock.Add(6 * day)
		next, err := f.svc.Refresh(ctx, p.RefreshToken, f.cl)
		if err != nil {
			t.Fatalf("refresh on day %d: %v", 6*i, err)
		}
		p = next
	}
	// The token issued on day 24 expires with the session, on day 30, not on day 31.
	stored, err := f.st.GetRefreshToken(ctx, authn.HashRefreshToken(p.RefreshToken))
	if err != nil || stored.ExpiresAt.Sub(started) > 30*day || stored.ExpiresAt.Sub(started) < 30*day-time.Minute {
		t.Fatalf("last token expires %s after the login (%v)", stored.ExpiresAt.Sub(started), err)
	}
	f.clock.Add(6*day - time.Minute) // day 30 less a minute: still within the session
	if p, err = f.svc.Refresh(ctx, p.RefreshToken, f.cl); err != nil {
		t.Fatalf("refresh just before the end: %v", err)
	}
	f.clock.Add(2 * time.Minute)
	_, err = f.svc.Refresh(ctx, p.RefreshToken, f.cl)
	var expired *authn.SessionExpiredError
	if !errors.As(err, &expired) || expired.Reason != authn.SessionMaxLifetime || expired.Limit != 30*day ||
		!errors.Is(err, authn.ErrSessionExpired) || !errors.Is(err, domain.ErrUnauthenticated) {
		t.Fatalf("refresh past the absolute lifetime: %v", err)
	}

	// Idle: a session not refreshed for its idle timeout is over, even if its token, issued
	// under a longer limit, has not expired yet.
	g := newFixture(t, func(_ *config.JWT, id *config.Identity) {
		id.Sessions = config.Sessions{MaxLifetime: 30 * day, IdleTimeout: 2 * day}
	})
	v := g.user(t, "inactive.session@mif.ma")
	q := g.login(t, v.Email)
	g.clock.Add(day)
	q, err = g.svc.Refresh(ctx, q.RefreshToken, g.cl)
	if err != nil {
		t.Fatalf("refresh within the idle timeout: %v", err)
	}
	if _, err := g.st.DB().Exec(`UPDATE refresh_tokens SET expires_at = expires_at + interval '10 days' WHERE token_hash = $1`,
		authn.HashRefreshToken(q.RefreshToken)); err != nil {
		t.Fatal(err)
	}
	g.clock.Add(2*day + time.Second)
	if _, err := g.svc.Refresh(ctx, q.RefreshToken, g.cl); !errors.As(err, &expired) || expired.Reason != authn.SessionIdle || expired.Limit != 2*day {
		t.Fatalf("refresh after the idle timeout: %v", err)
	}
}
