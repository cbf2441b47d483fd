package notify

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"go.uber.org/zap"

	"github.com/mifmaroc/mif/internal/testdb"
)

// With PostgreSQL unreachable, Subscribe gives up when the caller's context ends instead of
// hanging the request, and leaves no subscription behind.
func TestSubscribeHonoursContextWhenDatabaseIsDown(t *testing.T) {
	h := NewHub("postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=1", zap.NewNop())
	defer h.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := h.Subscribe(ctx, 7); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.subs) != 0 || h.listener != nil {
		t.Fatalf("left behind: %d subscriptions, listener %v", len(h.subs), h.listener)
	}
}

func TestClosedHubRefuses(t *testing.T) {
	h := NewHub("postgres://127.0.0.1:1/none", zap.NewNop())
	h.Close()
	if _, err := h.Subscribe(context.Background(), 1); !errors.Is(err, ErrClosed) {
		t.Fatalf("err = %v", err)
	}
}

func TestParsePayload(t *testing.T) {
	for in, want := range map[string][2]int64{"12:345": {12, 345}, "0:1": {0, 0}, "a:1": {0, 0}, "12": {0, 0}, "1:-4": {0, 0}} {
		u, id, ok := parsePayload(in)
		if ok != (want[0] != 0) || u != want[0] || id != want[1] {
			t.Errorf("parsePayload(%q) = %d, %d, %v", in, u, id, ok)
		}
	}
}

// TestSubscribeAtMostAndSessionAnnouncements, against a real PostgreSQL: the per-user limit
// counts open subscriptions only, and what ends an account's sessions (migration 00052's
// triggers) reaches that account's subscriptions, and only them.
func TestSubscribeAtMostAndSessionAnnouncements(t *testing.T) {
	url := testdb.NewURL(t)
	db, err := sqlx.Connect("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	h := NewHub(url, zap.NewNop())
	defer h.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var a, b int64
	for _, p := range []struct {
		email string
		id    *int64
	}{{"a@mif.ma", &a}, {"b@mif.ma", &b}} {
		if err := db.Get(p.id, `INSERT INTO users (email, nom, prenom, role) VALUES ($1, 'N', 'P', 'client') RETURNING id`, p.email); err != nil {
			t.Fatal(err)
		}
	}
	a1, err := h.SubscribeAtMost(ctx, a, 2)
	if err != nil {
		t.Fatal(err)
	}
	a2, err := h.SubscribeAtMost(ctx, a, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.SubscribeAtMost(ctx, a, 2); !errors.Is(err, ErrTooMany) {
		t.Fatalf("third subscription: %v", err)
	}
	sb, err := h.SubscribeAtMost(ctx, b, 2) // another user has his own count
	if err != nil {
		t.Fatal(err)
	}
	a2.Close()
	a3, err := h.SubscribeAtMost(ctx, a, 2)
	if err != nil {
		t.Fatalf("after a close: %v", err)
	}
	defer a1.Close()
	defer a3.Close()
	defer sb.Close()

	wait := func(s *Subscription, what string) {
		t.Helper()
		select {
		case <-s.Session:
		case <-ctx.Done():
			t.Fatalf("no session signal: %s", what)
		}
	}
	for _, c := range []struct{ what, q string }{
		{"deactivation", `UPDATE users SET is_active = false WHERE id = $1`},
		{"reactivation", `UPDATE users SET is_active = true WHERE id = $1`},
		{"password change", `UPDATE users SET password_changed_at = clock_timestamp() WHERE id = $1`},
		{"logout (jti)", `INSERT INTO revoked_access_tokens (jti, user_id, expires_at) VALUES (gen_random_uuid()::text, $1, now() + interval '1 hour')`},
	} {
		what, q := c.what, c.q
		if _, err := db.Exec(q, a); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		wait(a1, what)
		wait(a3, what)
		// The same announcement would have reached b's subscription in the same pass.
		select {
		case <-sb.Session:
			t.Fatalf("%s of another account reached b", what)
		default:
		}
	}
	// A change that ends no session announces nothing: b's rename, then b's deactivation, whose
	// signal is the only one b's subscription holds.
	if _, err := db.Exec(`UPDATE users SET nom = 'Autre' WHERE id = $1`, b); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE users SET is_active = false WHERE id = $1`, b); err != nil {
		t.Fatal(err)
	}
	wait(sb, "b deactivated")
	select {
	case <-a1.Session:
		t.Fatal("b's deactivation reached a")
	default:
	}
}
