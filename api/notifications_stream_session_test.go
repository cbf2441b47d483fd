package api_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mifmaroc/mif/demo"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/apitest"
)

// waitEnd reads the stream until an event named name (notifications before it are skipped),
// then checks that the stream ends.
func (s *sseStream) waitEnd(t *testing.T, name string) sseEvent {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				t.Fatalf("stream closed without a %q event", name)
			}
			if ev.Event != name {
				continue
			}
			select {
			case _, open := <-s.events:
				if open {
					t.Fatalf("the stream goes on after its %q event", name)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("the stream did not end after its %q event", name)
			}
			return ev
		case <-deadline:
			t.Fatalf("no %q event within 30 s: the stream outlives its session", name)
		}
	}
}

// TestNotificationStreamEndsWithItsSession: a stream stops delivering as soon as its session
// ends — a logout of its session, a logout everywhere, a password change, a deactivation — with a
// "revocation" event; a stream of another session of the same account goes on.
func TestNotificationStreamEndsWithItsSession(t *testing.T) {
	e := apitest.New(t)
	ctx := context.Background()
	stream := func(token string) *sseStream {
		t.Helper()
		s := openStream(t, e.URL+"/api/v1/notifications/stream?access_token="+token, nil)
		if s.status != http.StatusOK {
			t.Fatalf("stream: %d", s.status)
		}
		return s
	}
	notify := func(user int64, titre string) {
		t.Helper()
		if _, err := e.Store.CreateNotifications(ctx, []int64{user}, domain.NewNotification{Titre: titre, Message: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	revoked := func(token string) {
		t.Helper()
		if r := e.Do(t, apitest.Request{Method: http.MethodGet, Path: "/api/v1/notifications/stream", Token: token}); r.Status != http.StatusUnauthorized {
			t.Fatalf("reconnecting with the ended session's token: %d", r.Status)
		}
	}

	// Logout of one session: its stream ends; the stream of another session of the account
	// still receives.
	tech := e.User(apitest.Technicien)
	pair := authPair(t, e, apitest.Technicien, demo.Password)
	other := e.Token(apitest.Technicien)
	mine, theirs := stream(pair.AccessToken), stream(other)
	if r := e.Do(t, apitest.Request{Method: http.MethodPost, Path: "/api/v1/auth/logout", Token: pair.AccessToken,
		Body: map[string]string{"refresh_token": pair.RefreshToken}}); r.Status != http.StatusNoContent {
		t.Fatalf("logout: %d %s", r.Status, r.Body)
	}
	if ev := mine.waitEnd(t, "revocation"); !strings.Contains(ev.Data, "session terminée") {
		t.Fatalf("revocation event %+v", ev)
	}
	revoked(pair.AccessToken)
	notify(tech.ID, "Après la déconnexion d'une autre session")
	if n := theirs.next(t); n.Titre != "Après la déconnexion d'une autre session" {
		t.Fatalf("the other session's stream got %+v", n)
	}

	// Logout everywhere (only an access token): every stream of the account ends.
	again := stream(e.Token(apitest.Technicien))
	if r := e.Do(t, apitest.Request{Method: http.MethodPost, Path: "/api/v1/auth/logout", Token: other}); r.Status != http.StatusNoContent {
		t.Fatalf("logout everywhere: %d", r.Status)
	}
	theirs.waitEnd(t, "revocation")
	again.waitEnd(t, "revocation")
	revoked(other)

	// Password change, made from another device: the stream ends.
	respTok := e.Token(apitest.Responsable)
	resp := stream(respTok)
	if r := e.Do(t, apitest.Request{Method: http.MethodPost, Path: "/api/v1/auth/change-password", Token: e.Token(apitest.Responsable),
		Body: map[string]string{"old_password": demo.Password, "new_password": "Nouveau#Secret2026"}}); r.Status != http.StatusOK {
		t.Fatalf("change password: %d %s", r.Status, r.Body)
	}
	resp.waitEnd(t, "revocation")
	revoked(respTok)

	// Deactivation by an administrator: the stream ends.
	cli := e.User(apitest.Client)
	cliTok := e.Token(apitest.Client)
	cs := stream(cliTok)
	if r := e.Do(t, apitest.Request{Method: http.MethodDelete, Path: "/api/v1/users/" + strconv.FormatInt(cli.ID, 10), Token: e.Token(apitest.Admin)}); r.Status >= 300 {
		t.Fatalf("deactivate: %d %s", r.Status, r.Body)
	}
	cs.waitEnd(t, "revocation")
	revoked(cliTok)
}

// TestNotificationStreamsPerUser: one account holds at most MIF_STREAMS_PER_USER streams; one
// more is a 429 with Retry-After, until one of them closes. Other accounts are not affected.
func TestNotificationStreamsPerUser(t *testing.T) {
	e := apitest.New(t, apitest.WithEnv("MIF_STREAMS_PER_USER", "2"))
	tok := e.Token(apitest.Technicien)
	url := e.URL + "/api/v1/notifications/stream?access_token=" + tok
	first, second := openStream(t, url, nil), openStream(t, url, nil)
	if first.status != http.StatusOK || second.status != http.StatusOK {
		t.Fatalf("streams within the limit: %d %d", first.status, second.status)
	}
	// Checked on the headers first, so that a stream wrongly accepted fails here instead of
	// hanging the full read below (which validates the refusal against the OpenAPI document).
	if third := openStream(t, url, nil); third.status != http.StatusTooManyRequests {
		t.Fatalf("third stream: %d", third.status)
	}
	res := e.Do(t, apitest.Request{Method: http.MethodGet, Path: "/api/v1/notifications/stream", Token: tok})
	if n := retryAfter(t, res); n <= 0 || !strings.Contains(res.Problem(t).Detail, "2 au plus") {
		t.Fatalf("third stream: Retry-After %d, %s", n, res.Body)
	}
	if other := openStream(t, e.URL+"/api/v1/notifications/stream?access_token="+e.Token(apitest.Technicien2), nil); other.status != http.StatusOK {
		t.Fatalf("another account: %d", other.status)
	}
	// Once a stream is closed, a new one is accepted (the server notices the closed connection
	// shortly after: poll).
	first.close()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := openStream(t, url, nil)
		if s.status == http.StatusOK {
			break
		}
		s.close()
		if s.status != http.StatusTooManyRequests || time.Now().After(deadline) {
			t.Fatalf("after closing a stream: %d", s.status)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestNotificationStreamEndsWithItsSessionDespiteALostListenConnection: the session's
// announcement may be lost while the replica's LISTEN connection is down; the reconnection makes
// every stream re-check its session, so the stream still ends.
func TestNotificationStreamEndsWithItsSessionDespiteALostListenConnection(t *testing.T) {
	e := apitest.New(t)
	ctx := context.Background()
	s := openStream(t, e.URL+"/api/v1/notifications/stream?access_token="+e.Token(apitest.Technicien2), nil)
	if s.status != http.StatusOK {
		t.Fatalf("stream: %d", s.status)
	}
	var killed int
	if err := e.Store.Q().GetContext(ctx, &killed, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND query ILIKE 'LISTEN%'`); err != nil || killed != 1 {
		t.Fatalf("terminated %d LISTEN connections: %v", killed, err)
	}
	if err := e.Store.EndAllSessions(ctx, e.User(apitest.Technicien2).ID); err != nil {
		t.Fatal(err)
	}
	s.waitEnd(t, "revocation")
}
