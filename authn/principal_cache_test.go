package authn_test

import (
	"context"
	"errors"
	"fmt"
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

// replica is one API instance's session service with its own principal cache and pool, on a
// database shared with the others.
type replica struct {
	svc   *authn.Service
	cache *authn.PrincipalCache
	st    *storage.Store
	name  string
}

// newReplicas builds n replicas on one fresh database, each cache LISTENing under its own
// application_name (so that a test can cut one's connection).
func newReplicas(t *testing.T, n int) []*replica {
	t.Helper()
	ctx := context.Background()
	url := testdb.NewURL(t, testdb.Conns(3*n)) // pools and listeners
	jwt := config.JWT{Algorithm: "HS256", Secret: strings.Repeat("k", 32), Issuer: "mif", Audience: "mif-api",
		AccessTTL: 15 * time.Minute, RefreshTTL: 7 * 24 * time.Hour}
	tokens, err := authn.NewTokens(jwt, "")
	if err != nil {
		t.Fatal(err)
	}
	var out []*replica
	for i := range n {
		db, err := storage.Open(ctx, url, 2)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		named, name := testdb.Named(t, url, fmt.Sprintf("principal_cache_replica_%d", i))
		cache := authn.NewPrincipalCache(named, nil)
		t.Cleanup(cache.Close)
		st := storage.New(db)
		svc := authn.NewService(authn.ServiceDeps{Store: st, Tokens: tokens, JWT: jwt,
			Identity: config.Identity{BruteForce: testBruteForce()}, Passwords: cheapPasswords(), PrincipalCache: cache})
		out = append(out, &replica{svc: svc, cache: cache, st: st, name: name})
	}
	return out
}

// live makes the first lookup (which opens the LISTEN connection) and waits until it is in place.
func (r *replica) live(t *testing.T, token string) {
	t.Helper()
	_, _ = r.svc.Principal(context.Background(), token)
	poll.Until(t, r.name+" listening", func() error {
		if !r.cache.Live() {
			return errors.New("not live")
		}
		return nil
	})
}

// cachedHit checks that two lookups of token on r give want and that the second is answered
// from the cache. A lookup that overlaps an announcement is rightly not stored (a change may
// have raced it), and one change can be announced more than once (the account's row, then its
// sessions): the pair is tried again until the announcements are over.
func (r *replica) cachedHit(t *testing.T, what, token string, want func(domain.Principal) bool) {
	t.Helper()
	ctx := context.Background()
	poll.Until(t, what+", "+r.name+": the second lookup answered from the cache", func() error {
		if s, err := r.svc.Principal(ctx, token); err != nil || !want(s.Principal) {
			t.Fatalf("%s, %s: %+v %v", what, r.name, s.Principal, err)
		}
		hits, _ := r.cache.Stats()
		if s, err := r.svc.Principal(ctx, token); err != nil || !want(s.Principal) {
			t.Fatalf("%s, %s again: %+v %v", what, r.name, s.Principal, err)
		}
		if h, _ := r.cache.Stats(); h != hits+1 {
			return fmt.Errorf("hits %d → %d", hits, h)
		}
		return nil
	})
}

// forgotten waits until r's cache let go of the account: the announcement arrived. Nothing else
// empties it (no expiry), so a change that is not announced fails here.
func (r *replica) forgotten(t *testing.T, what string, userID int64) {
	t.Helper()
	poll.Until(t, what+" announced to "+r.name, func() error {
		if r.cache.Cached(userID) {
			return errors.New("still cached")
		}
		return nil
	})
}

// TestPrincipalCacheForgetsAtOnceAcrossReplicas: each replica answers repeated requests from its
// cache; a change made through another replica or straight in the database — role, client link,
// technicien profile, logout of the token, password change, deactivation — is announced, and the
// next request on every replica sees it.
func TestPrincipalCacheForgetsAtOnceAcrossReplicas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rs := newReplicas(t, 2)
	a, b := rs[0], rs[1]
	h, err := goodHash()
	if err != nil {
		t.Fatal(err)
	}
	u, err := a.st.CreateUser(ctx, storage.NewUser{Email: "cache@mif.ma", PasswordHash: &h, Nom: "Cache", Role: domain.RoleResponsable}, nil)
	if err != nil {
		t.Fatal(err)
	}
	login := func() authn.Pair {
		p, err := a.svc.Login(ctx, authn.Credentials{Login: u.Email, Password: goodPassword}, authn.Client{IP: "192.0.2.1"})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	tok := login().AccessToken
	a.live(t, tok)
	b.live(t, tok)
	for _, r := range rs {
		r.cachedHit(t, "fresh login", tok, func(p domain.Principal) bool { return p.Role == domain.RoleResponsable })
	}

	// Role change straight in the database (another replica's transaction, a script).
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := a.st.Q().ExecContext(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`UPDATE users SET role = 'admin' WHERE id = $1`, u.ID)
	for _, r := range rs {
		r.forgotten(t, "role change", u.ID)
		r.cachedHit(t, "after the role change", tok, func(p domain.Principal) bool { return p.Role == domain.RoleAdmin })
	}

	// A technicien profile appears for the account.
	// (one transaction: one announcement, so that none arrives between the two lookups below)
	exec(fmt.Sprintf(`UPDATE users SET role = 'technicien' WHERE id = %d; INSERT INTO techniciens (user_id) VALUES (%[1]d)`, u.ID))
	for _, r := range rs {
		r.forgotten(t, "technicien profile", u.ID)
		r.cachedHit(t, "with its technicien profile", tok, func(p domain.Principal) bool {
			return p.Role == domain.RoleTechnicien && p.TechnicienID != nil
		})
	}

	// Logout of this access token on replica a: refused on a at once (a forgets it itself) and
	// on b once announced.
	pair := login()
	for _, r := range rs {
		r.cachedHit(t, "second session", pair.AccessToken, func(p domain.Principal) bool { return p.UserID == u.ID })
	}
	if err := a.svc.Logout(ctx, pair.RefreshToken, pair.AccessToken); err != nil {
		t.Fatal(err)
	}
	if _, err := a.svc.Principal(ctx, pair.AccessToken); !errors.Is(err, authn.ErrTokenRevoked) {
		t.Fatalf("token on the replica that logged it out: %v", err)
	}
	b.forgotten(t, "logout", u.ID)
	if _, err := b.svc.Principal(ctx, pair.AccessToken); !errors.Is(err, authn.ErrTokenRevoked) {
		t.Fatalf("logged-out token on the other replica: %v", err)
	}

	// Password change through replica a.
	for _, r := range rs {
		r.cachedHit(t, "before the password change", tok, func(p domain.Principal) bool { return p.UserID == u.ID })
	}
	fresh, err := a.svc.ChangePassword(ctx, u.ID, goodPassword, "Nouveau#Secret2026", authn.Client{IP: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.svc.Principal(ctx, tok); !errors.Is(err, authn.ErrTokenRevoked) {
		t.Fatalf("old token on the replica that changed the password: %v", err)
	}
	b.forgotten(t, "password change", u.ID)
	if _, err := b.svc.Principal(ctx, tok); !errors.Is(err, authn.ErrTokenRevoked) {
		t.Fatalf("old token on the other replica after the password change: %v", err)
	}

	// Deactivation straight in the database.
	for _, r := range rs {
		r.cachedHit(t, "new password's session", fresh.AccessToken, func(p domain.Principal) bool { return p.UserID == u.ID })
	}
	exec(`UPDATE users SET is_active = false WHERE id = $1`, u.ID)
	for _, r := range rs {
		r.forgotten(t, "deactivation", u.ID)
		if _, err := r.svc.Principal(ctx, fresh.AccessToken); !errors.Is(err, authn.ErrInactive) {
			t.Fatalf("deactivated account on %s: %v", r.name, err)
		}
	}
}

// TestPrincipalCacheBypassedWhileItsListenConnectionIsDown: when the LISTEN connection drops,
// announcements may be missed, so every lookup reads the database until the connection is back
// and listening; then the cache is used again.
func TestPrincipalCacheBypassedWhileItsListenConnectionIsDown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newReplicas(t, 1)[0]
	h, err := goodHash()
	if err != nil {
		t.Fatal(err)
	}
	u, err := r.st.CreateUser(ctx, storage.NewUser{Email: "coupure@mif.ma", PasswordHash: &h, Nom: "Coupure", Role: domain.RoleResponsable}, nil)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := r.svc.Login(ctx, authn.Credentials{Login: u.Email, Password: goodPassword}, authn.Client{IP: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	tok := pair.AccessToken
	r.live(t, tok)
	r.cachedHit(t, "before the cut", tok, func(p domain.Principal) bool { return p.Role == domain.RoleResponsable })

	// The database refuses new connections (so the listener cannot come back until the test
	// says so), then the LISTEN connection is cut.
	allow := testdb.RefuseConnections(t, r.st.Q())
	testdb.Cut(t, r.st.Q(), r.name, 1)
	poll.Until(t, "the cut noticed", func() error {
		if r.cache.Live() {
			return errors.New("still live")
		}
		return nil
	})
	// Changed while nobody listens: the announcement is lost, the lookup must read the database.
	if _, err := r.st.Q().ExecContext(ctx, `UPDATE users SET role = 'admin' WHERE id = $1`, u.ID); err != nil {
		t.Fatal(err)
	}
	hits, misses := r.cache.Stats()
	s, err := r.svc.Principal(ctx, tok)
	if err != nil || s.Principal.Role != domain.RoleAdmin {
		t.Fatalf("role change while the LISTEN connection is down: %+v %v", s.Principal, err)
	}
	if _, err := r.svc.Principal(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if h, m := r.cache.Stats(); r.cache.Live() || h != hits || m != misses {
		t.Fatalf("the cache was used while down (live %t, hits %d → %d, misses %d → %d)", r.cache.Live(), hits, h, misses, m)
	}
	// Back and listening: cached again, and announcements work again.
	allow()
	r.live(t, tok)
	r.cachedHit(t, "after the reconnection", tok, func(p domain.Principal) bool { return p.Role == domain.RoleAdmin })
	if _, err := r.st.Q().ExecContext(ctx, `UPDATE users SET role = 'responsable' WHERE id = $1`, u.ID); err != nil {
		t.Fatal(err)
	}
	r.forgotten(t, "role change after the reconnection", u.ID)
	r.cachedHit(t, "after the second role change", tok, func(p domain.Principal) bool { return p.Role == domain.RoleResponsable })
}
