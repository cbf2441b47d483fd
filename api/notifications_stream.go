package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/mifmaroc/mif/authn"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/notify"
)

// Real-time notifications use Server-Sent Events rather than WebSocket: the traffic is one way
// (server to browser); SSE is plain HTTP, so it passes proxies, load balancers, CORS and our
// middleware unchanged; browsers reconnect by themselves and send Last-Event-ID, which is exactly
// the replay we need; and it needs no extra dependency. Browsers' EventSource cannot set an
// Authorization header, so this route also takes the access token as ?access_token= (short-lived,
// 15 min; our access log records the path without the query string). A stream lasts no longer
// than the token that opened it: it then sends an "expiration" event and ends. It ends as soon
// as its session does (logout, password change, deactivation): the token is checked again when
// the database announces that the account's sessions changed, and at every heartbeat; the stream
// then sends a "revocation" event and ends. One account holds at most MIF_STREAMS_PER_USER
// streams on a replica: one more is refused with 429 and Retry-After (rather than closing the
// oldest: a browser's EventSource reconnects by itself, so two tabs over the limit would close
// each other in turn forever, while a refused one stays refused and says why).

const (
	streamHeartbeat = 20 * time.Second
	// streamReplayMax bounds what one reconnection replays; older notifications stay in the list
	// endpoint.
	streamReplayMax = 500
)

// tokenFromQuery lets a request without an Authorization header authenticate with
// ?access_token= (EventSource). The parameter is removed so that nothing downstream sees it.
func tokenFromQuery(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Has("access_token") {
			tok := q.Get("access_token")
			r = r.Clone(r.Context())
			if tok != "" && r.Header.Get("Authorization") == "" {
				r.Header.Set("Authorization", "Bearer "+tok)
			}
			q.Del("access_token") // even when the header wins: the token goes no further
			r.URL.RawQuery = q.Encode()
		}
		next.ServeHTTP(w, r)
	})
}

// notificationStream pushes the caller's new notifications as SSE events (event "notification",
// id = notification id, data = the notification JSON). With Last-Event-ID (header, or
// ?last_event_id=) it first replays what was created after that id, so a reconnecting client
// misses nothing. Every replica LISTENs on PostgreSQL, so a notification created anywhere reaches
// the stream wherever it is connected.
func (s *Server) notificationStream(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := principalFrom(ctx)
	lastID, replay, err := lastEventID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		problem(w, r, http.StatusInternalServerError, "flux non pris en charge par ce serveur")
		return
	}
	// Subscribe before replaying: a notification committed in between is then both replayed and
	// announced, and the set of sent ids drops the duplicate.
	sub, err := s.dl.hub.SubscribeAtMost(ctx, p.UserID, s.cfg.StreamsPerUser)
	if errors.Is(err, notify.ErrTooMany) {
		secs := int(streamHeartbeat.Seconds())
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		problem(w, r, http.StatusTooManyRequests, fmt.Sprintf(
			"trop de flux de notifications ouverts pour ce compte (%d au plus); fermez-en un ou réessayez dans %d s", s.cfg.StreamsPerUser, secs))
		return
	} else if err != nil {
		s.fail(w, r, err)
		return
	}
	defer sub.Close()
	// The session may have ended between the authentication and the subscription, whose
	// announcement would then be missed.
	raw, _ := bearer(r)
	if !s.streamSessionAlive(ctx, raw, p.UserID) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="mif", error="invalid_token"`)
		problemCode(w, r, http.StatusUnauthorized, CodeTokenRevoked, "jeton d'accès révoqué")
		return
	}
	if !replay {
		// Without Last-Event-ID the stream starts now: from the newest notification, read after
		// subscribing and before answering, so that nothing created once the client sees the
		// answer can fall in between.
		if lastID, err = s.store.LatestNotificationID(ctx, p.UserID); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	// The server's read and write timeouts would cut a long-lived stream (the connection's
	// background read fails at the read deadline and cancels the request): lift them here.
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{})
	_ = rc.SetReadDeadline(time.Time{})

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 3000\n\n")
	flusher.Flush()

	sent := map[int64]bool{}
	send := func(n domain.Notification) bool {
		if sent[n.ID] {
			return true
		}
		raw, err := json.Marshal(n)
		if err != nil {
			return false
		}
		if _, err := fmt.Fprintf(w, "id: %d\nevent: notification\ndata: %s\n\n", n.ID, raw); err != nil {
			return false
		}
		sent[n.ID] = true
		if n.ID > lastID {
			lastID = n.ID
		}
		return true
	}
	catchUp := func() bool {
		items, err := s.store.NotificationsAfter(ctx, p.UserID, lastID, streamReplayMax)
		if err != nil {
			s.log.Warn("notification stream replay", zap.Int64("user_id", p.UserID), zap.Error(err))
			return ctx.Err() == nil
		}
		for _, n := range items {
			if !send(n) {
				return false
			}
		}
		flusher.Flush()
		return true
	}
	if replay && !catchUp() {
		return
	}
	endRevoked := func() {
		// The client's EventSource reconnects with the same token and gets 401: it stops there.
		fmt.Fprint(w, "event: revocation\ndata: {\"detail\":\"session terminée (déconnexion, changement de mot de passe ou compte désactivé) : reconnectez-vous\"}\n\n")
		flusher.Flush()
	}
	tick := time.NewTicker(streamHeartbeat)
	defer tick.Stop()
	expiry := time.NewTimer(time.Until(s.streamExpiry(r)))
	defer expiry.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-expiry.C:
			// The token that opened the stream is no longer valid: a deactivated account or a
			// revoked session must stop receiving. The client reconnects with a fresh token and
			// Last-Event-ID, so nothing is missed.
			fmt.Fprint(w, "event: expiration\ndata: {\"detail\":\"jeton d'accès expiré : reconnectez-vous avec un nouveau jeton\"}\n\n")
			flusher.Flush()
			return
		case <-tick.C:
			// The heartbeat also re-checks the session, should an announcement have been lost.
			if !s.streamSessionAlive(ctx, raw, p.UserID) {
				endRevoked()
				return
			}
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil {
				return
			}
			flusher.Flush()
		case <-sub.Session:
			if !s.streamSessionAlive(ctx, raw, p.UserID) {
				endRevoked()
				return
			}
		case id := <-sub.C:
			if id == 0 { // announcements may have been lost: re-read
				if !catchUp() {
					return
				}
				continue
			}
			if sent[id] {
				continue
			}
			n, err := s.store.GetNotificationFor(ctx, p.UserID, id)
			if err != nil {
				continue // deleted meanwhile, or not this user's
			}
			if !send(n) {
				return
			}
			flusher.Flush()
		}
	}
}

// streamSessionAlive checks the stream's token again, as authenticate does. A database that does
// not answer keeps the stream open (it is checked again at the next heartbeat): an outage must
// not drop every stream, and no notification can be read meanwhile anyway.
func (s *Server) streamSessionAlive(ctx context.Context, raw string, userID int64) bool {
	sess, err := s.ident.auth.Principal(ctx, raw)
	switch {
	case err == nil:
		return sess.Principal.UserID == userID
	case errors.Is(err, authn.ErrInvalidToken), errors.Is(err, domain.ErrUnauthenticated):
		return false
	}
	if ctx.Err() == nil {
		s.log.Warn("notification stream: session not re-checked", zap.Int64("user_id", userID), zap.Error(err))
	}
	return true
}

// streamExpiry is when the stream must end: the expiry of our access token that opened it, or
// one access-token lifetime from now for a token whose expiry we do not read (an OIDC provider's).
func (s *Server) streamExpiry(r *http.Request) time.Time {
	if raw, ok := bearer(r); ok {
		if c, err := s.tokens.Verify(raw); err == nil && c.ExpiresAt != nil {
			return c.ExpiresAt.Time
		}
	}
	return time.Now().Add(s.cfg.JWT.AccessTTL)
}

// lastEventID reads Last-Event-ID (or ?last_event_id=, for clients that reconnect by hand).
func lastEventID(r *http.Request) (int64, bool, error) {
	v := strings.TrimSpace(r.Header.Get("Last-Event-ID"))
	if v == "" {
		v = strings.TrimSpace(r.URL.Query().Get("last_event_id"))
	}
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, false, &domain.ValidationError{Fields: []domain.FieldError{{Field: "Last-Event-ID", Message: "identifiant de notification attendu"}}}
	}
	return n, true, nil
}
