package storage_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/testdb"
	"github.com/mifmaroc/mif/storage"
)

func newUser(t *testing.T, st *storage.Store, email string) domain.User {
	t.Helper()
	u, err := st.CreateUser(context.Background(), storage.NewUser{Email: email, Nom: "Test", Role: domain.RoleResponsable}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// inAnHour is a session rule that lets every rotation through, with a one-hour token.
func inAnHour(now time.Time) func(storage.RefreshToken) (time.Time, error) {
	return func(storage.RefreshToken) (time.Time, error) { return now.Add(time.Hour), nil }
}

// TestRefreshTokenRotationKeepsTheSessionStart: a rotation copies the login's time, takes its
// expiry from the session rule, and writes nothing when the rule refuses.
func TestRefreshTokenRotationKeepsTheSessionStart(t *testing.T) {
	ctx := context.Background()
	st := storage.New(testdb.New(t))
	u := newUser(t, st, "session@mif.ma")
	login := time.Now().Add(-48 * time.Hour).Truncate(time.Microsecond)
	if err := st.CreateRefreshToken(ctx, storage.NewRefreshToken{UserID: u.ID, TokenHash: "s1", FamilyID: uuid.New(),
		ExpiresAt: time.Now().Add(time.Hour), CreatedAt: login, FamilyStartedAt: login,
		// A client-chosen user agent: NUL, invalid UTF-8, and a cut that would split "é".
		UserAgent: "curl\x00/\xff" + strings.Repeat("é", 200)}); err != nil {
		t.Fatal(err)
	}
	s1, err := st.GetRefreshToken(ctx, "s1")
	if err != nil || !s1.FamilyStartedAt.Equal(login) || !s1.CreatedAt.Equal(login) || len(s1.UserAgent) > 300 ||
		!utf8.ValidString(s1.UserAgent) || strings.ContainsRune(s1.UserAgent, 0) {
		t.Fatalf("stored %+v %v", s1, err)
	}
	now := time.Now()
	var seen storage.RefreshToken
	refused := errors.New("session over")
	if _, err := st.RotateRefreshToken(ctx, "s1", storage.NewRefreshToken{TokenHash: "s2"}, now,
		func(old storage.RefreshToken) (time.Time, error) { seen = old; return time.Time{}, refused }); !errors.Is(err, refused) {
		t.Fatalf("refused rotation: %v", err)
	}
	if seen.ID != s1.ID {
		t.Fatalf("the rule saw %+v", seen)
	}
	if again, _ := st.GetRefreshToken(ctx, "s1"); again.RotatedAt != nil {
		t.Fatal("a refused rotation rotated the token")
	}
	if _, err := st.GetRefreshToken(ctx, "s2"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatal("a refused rotation issued a token")
	}
	exp := now.Add(3 * time.Hour).Truncate(time.Microsecond)
	if _, err := st.RotateRefreshToken(ctx, "s1", storage.NewRefreshToken{TokenHash: "s2", CreatedAt: now}, now,
		func(storage.RefreshToken) (time.Time, error) { return exp, nil }); err != nil {
		t.Fatal(err)
	}
	if s2, err := st.GetRefreshToken(ctx, "s2"); err != nil || !s2.FamilyStartedAt.Equal(login) || !s2.ExpiresAt.Equal(exp) || s2.FamilyID != s1.FamilyID {
		t.Fatalf("rotated %+v %v", s2, err)
	}
}

func TestRefreshTokenRotation(t *testing.T) {
	ctx := context.Background()
	st := storage.New(testdb.New(t))
	u := newUser(t, st, "rt@mif.ma")
	now := time.Now()
	fam := uuid.New()
	if err := st.CreateRefreshToken(ctx, storage.NewRefreshToken{UserID: u.ID, TokenHash: "h1", FamilyID: fam, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	old, err := st.RotateRefreshToken(ctx, "h1", storage.NewRefreshToken{TokenHash: "h2", ExpiresAt: now.Add(time.Hour)}, now, inAnHour(now))
	if err != nil || old.UserID != u.ID || old.FamilyID != fam {
		t.Fatalf("rotate: %+v %v", old, err)
	}
	h2, err := st.GetRefreshToken(ctx, "h2")
	if err != nil || h2.FamilyID != fam || h2.UserID != u.ID {
		t.Fatalf("new token %+v %v", h2, err)
	}
	// Reuse of h1: the family (h2 too) is revoked, and stays revoked (committed despite the error).
	if _, err := st.RotateRefreshToken(ctx, "h1", storage.NewRefreshToken{TokenHash: "h3", ExpiresAt: now.Add(time.Hour)}, now, inAnHour(now)); !errors.Is(err, domain.ErrRefreshTokenReused) {
		t.Fatalf("reuse: %v", err)
	}
	if h2, _ := st.GetRefreshToken(ctx, "h2"); h2.RevokedAt == nil {
		t.Fatal("family not revoked")
	}
	if _, err := st.GetRefreshToken(ctx, "h3"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatal("a token was issued on reuse")
	}
	if _, err := st.RotateRefreshToken(ctx, "h2", storage.NewRefreshToken{TokenHash: "h4", ExpiresAt: now.Add(time.Hour)}, now, inAnHour(now)); !errors.Is(err, domain.ErrUnauthenticated) {
		t.Fatalf("revoked token: %v", err)
	}
	if _, err := st.RotateRefreshToken(ctx, "nope", storage.NewRefreshToken{TokenHash: "h5", ExpiresAt: now.Add(time.Hour)}, now, inAnHour(now)); !errors.Is(err, domain.ErrUnauthenticated) {
		t.Fatalf("unknown token: %v", err)
	}
}

// TestRefreshTokenConcurrentRotation: two requests rotating the same token at once — exactly one
// wins; the other is seen as a reuse.
func TestRefreshTokenConcurrentRotation(t *testing.T) {
	ctx := context.Background()
	st := storage.New(testdb.New(t))
	u := newUser(t, st, "race@mif.ma")
	now := time.Now()
	if err := st.CreateRefreshToken(ctx, storage.NewRefreshToken{UserID: u.ID, TokenHash: "r0", FamilyID: uuid.New(), ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		wg.Go(func() {
			_, errs[i] = st.RotateRefreshToken(ctx, "r0", storage.NewRefreshToken{TokenHash: "r" + string(rune('1'+i)), ExpiresAt: now.Add(time.Hour)}, now, inAnHour(now))
		})
	}
	wg.Wait()
	ok, reused := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, domain.ErrRefreshTokenReused):
			reused++
		default:
			t.Fatalf("unexpected: %v", err)
		}
	}
	if ok != 1 || reused != 1 {
		t.Fatalf("ok=%d reused=%d", ok, reused)
	}
}

func TestRefreshTokenExpiryRevocationAndPurge(t *testing.T) {
	ctx := context.Background()
	st := storage.New(testdb.New(t))
	u := newUser(t, st, "purge@mif.ma")
	now := time.Now()
	for i, exp := range []time.Duration{-48 * time.Hour, -time.Minute, time.Hour} {
		if err := st.CreateRefreshToken(ctx, storage.NewRefreshToken{UserID: u.ID, TokenHash: "p" + string(rune('0'+i)), FamilyID: uuid.New(), ExpiresAt: now.Add(exp)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.RotateRefreshToken(ctx, "p1", storage.NewRefreshToken{TokenHash: "x", ExpiresAt: now.Add(time.Hour)}, now, inAnHour(now)); !errors.Is(err, domain.ErrUnauthenticated) {
		t.Fatalf("expired token rotated: %v", err)
	}
	n, err := st.PurgeExpiredRefreshTokens(ctx, now)
	if err != nil || n != 2 {
		t.Fatalf("purge: %d %v", n, err)
	}
	if n, _ := st.PurgeExpiredRefreshTokens(ctx, now); n != 0 {
		t.Fatalf("second purge deleted %d", n)
	}
	if _, err := st.GetRefreshToken(ctx, "p2"); err != nil {
		t.Fatal("a live token was purged")
	}
	// Deactivation revokes the account's tokens.
	if _, err := st.SetUserActive(ctx, u.ID, false, nil); err != nil {
		t.Fatal(err)
	}
	if p2, _ := st.GetRefreshToken(ctx, "p2"); p2.RevokedAt == nil {
		t.Fatal("deactivation did not revoke")
	}
}

func TestLoginAttemptCounters(t *testing.T) {
	ctx := context.Background()
	st := storage.New(testdb.New(t))
	now := time.Now()
	rec := func(who, ip string, ok bool, ago time.Duration) {
		if err := st.RecordLoginAttempt(ctx, who, ip, ok, now.Add(-ago)); err != nil {
			t.Fatal(err)
		}
	}
	rec("a@mif.ma", "1.1.1.1", false, 30*time.Minute) // outside the window
	rec("a@mif.ma", "1.1.1.1", false, 10*time.Minute)
	rec("a@mif.ma", "1.1.1.1", true, 5*time.Minute) // clears the account, not the address
	rec("a@mif.ma", "1.1.1.1", false, 2*time.Minute)
	rec("a@mif.ma", "2.2.2.2", false, time.Minute)
	rec("b@mif.ma", "1.1.1.1", false, time.Minute)
	since := now.Add(-15 * time.Minute)
	acc, err := st.AccountLoginFailures(ctx, "a@mif.ma", since)
	if err != nil || acc.Count != 2 || acc.Last == nil || acc.Last.Sub(now.Add(-time.Minute)).Abs() > time.Millisecond {
		t.Fatalf("account: %+v %v", acc, err)
	}
	ip, err := st.IPLoginFailures(ctx, "1.1.1.1", since)
	if err != nil || ip.Count != 3 {
		t.Fatalf("ip: %+v %v", ip, err)
	}
	none, err := st.AccountLoginFailures(ctx, "nobody", since)
	if err != nil || none.Count != 0 || none.Last != nil {
		t.Fatalf("nobody: %+v %v", none, err)
	}
	if n, err := st.PurgeLoginAttempts(ctx, since); err != nil || n != 1 {
		t.Fatalf("purge: %d %v", n, err)
	}
}

func TestOIDCStateIsSingleUse(t *testing.T) {
	ctx := context.Background()
	st := storage.New(testdb.New(t))
	now := time.Now()
	s := storage.OIDCLoginState{StateHash: "s1", BrowserHash: "b", Nonce: "n", CodeVerifier: "v", ExpiresAt: now.Add(time.Minute)}
	if err := st.SaveOIDCLoginState(ctx, s); err != nil {
		t.Fatal(err)
	}
	got, err := st.ConsumeOIDCLoginState(ctx, "s1", now)
	if err != nil || got.Nonce != "n" || got.CodeVerifier != "v" || got.BrowserHash != "b" {
		t.Fatalf("consume: %+v %v", got, err)
	}
	if _, err := st.ConsumeOIDCLoginState(ctx, "s1", now); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("second use: %v", err)
	}
	s.StateHash = "s2"
	if err := st.SaveOIDCLoginState(ctx, s); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ConsumeOIDCLoginState(ctx, "s2", now.Add(2*time.Minute)); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("expired state: %v", err)
	}
}

// TestReserveLoginAttemptSerialises: parallel guesses on one account cannot all use the same free
// slot — each sees the attempts reserved before it.
func TestReserveLoginAttemptSerialises(t *testing.T) {
	ctx := context.Background()
	st := storage.New(testdb.New(t))
	now := time.Now()
	var wg sync.WaitGroup
	ids := make([]int64, 6)
	for i := range ids {
		wg.Go(func() {
			id, err := st.ReserveLoginAttempt(ctx, "victim@mif.ma", "9.9.9.9", now.Add(-time.Hour), now,
				func(acc, _ storage.LoginFailures) bool { return acc.Count < 2 })
			if err != nil {
				t.Error(err)
			}
			ids[i] = id
		})
	}
	wg.Wait()
	reserved := 0
	for _, id := range ids {
		if id != 0 {
			reserved++
		}
	}
	if reserved != 2 {
		t.Fatalf("%d attempts got through, want 2", reserved)
	}
	for _, id := range ids {
		if id != 0 {
			if err := st.MarkLoginSucceeded(ctx, id); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	acc, err := st.AccountLoginFailures(ctx, "victim@mif.ma", now.Add(-time.Hour))
	if err != nil || acc.Count > 1 {
		t.Fatalf("after a success: %+v %v", acc, err)
	}
}
