// Package notify pushes new notifications to the users' open streams, across API replicas: a
// trigger on notifications INSERT announces each row on PostgreSQL channel mif_notifications
// (migration 00040), and every replica LISTENs through lib/pq's Listener and wakes the
// subscriptions of that user. Rows are read from the database, never from the payload. What ends
// sessions (logout, password change, deactivation) is announced on channel mif_sessions
// (migration 00052), so that streams re-check their session at once.
package notify

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lib/pq"
	"go.uber.org/zap"
)

// Channel is the PostgreSQL channel the trigger notifies.
const Channel = "mif_notifications"

// SessionChannel carries the id of an account whose sessions may have ended.
const SessionChannel = "mif_sessions"

// Hub fans announcements out to subscriptions. It holds a LISTEN connection only while someone
// is subscribed, so an idle replica (or a test that never streams) costs no connection.
type Hub struct {
	dsn string
	log *zap.Logger

	mu       sync.Mutex
	subs     map[int64]map[*Subscription]struct{}
	listener *pq.Listener
	ready    *readiness
	closed   bool
}

// NewHub builds a hub for the database at dsn.
func NewHub(dsn string, log *zap.Logger) *Hub {
	return &Hub{dsn: dsn, log: log, subs: map[int64]map[*Subscription]struct{}{}}
}

// Subscription receives the ids of a user's new notifications. Resync is signalled (an id of 0)
// after the LISTEN connection was re-established: announcements may have been missed, so the
// subscriber should re-read from its last id. Session receives a signal when the account's
// sessions may have ended (and after a resync too): the subscriber re-checks its credentials.
type Subscription struct {
	UserID  int64
	C       chan int64
	Session chan struct{}
	hub     *Hub
	once    sync.Once
}

// ErrClosed is returned by Subscribe after Close.
var ErrClosed = errors.New("notify: hub closed")

// ErrTooMany is returned by SubscribeAtMost when the user already holds the maximum.
var ErrTooMany = errors.New("notify: too many subscriptions for this user")

// Subscribe registers a subscription for userID, without limit (see SubscribeAtMost).
func (h *Hub) Subscribe(ctx context.Context, userID int64) (*Subscription, error) {
	return h.SubscribeAtMost(ctx, userID, 0)
}

// SubscribeAtMost registers a subscription for userID unless the user already holds max of them
// on this hub (ErrTooMany; max ≤ 0: no limit). When it returns without error, LISTEN is active:
// every notification committed from now on is announced on the subscription. It waits for the
// LISTEN connection at most until ctx ends (PostgreSQL may be unreachable).
func (h *Hub) SubscribeAtMost(ctx context.Context, userID int64, max int) (*Subscription, error) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, ErrClosed
	}
	if max > 0 && len(h.subs[userID]) >= max {
		h.mu.Unlock()
		return nil, ErrTooMany
	}
	if h.listener == nil {
		l := pq.NewListener(h.dsn, 100*time.Millisecond, 10*time.Second, func(ev pq.ListenerEventType, err error) {
			if err != nil {
				h.log.Warn("notification listener", zap.String("event", ev.String()), zap.Error(err))
			}
		})
		ready := &readiness{done: make(chan struct{})}
		h.listener, h.ready = l, ready
		go h.loop(l)
		go func() {
			// Listen returns once the connection is up and LISTEN was issued.
			ready.err = l.Listen(Channel)
			if ready.err == nil {
				ready.err = l.Listen(SessionChannel)
			}
			close(ready.done)
		}()
	}
	ready := h.ready
	s := &Subscription{UserID: userID, C: make(chan int64, 64), Session: make(chan struct{}, 1), hub: h}
	if h.subs[userID] == nil {
		h.subs[userID] = map[*Subscription]struct{}{}
	}
	h.subs[userID][s] = struct{}{}
	h.mu.Unlock()

	select {
	case <-ready.done:
		if ready.err != nil {
			s.Close()
			return nil, fmt.Errorf("notify: listen: %w", ready.err)
		}
		return s, nil
	case <-ctx.Done():
		s.Close()
		return nil, ctx.Err()
	}
}

// readiness is closed when a listener's LISTEN is in place (or failed).
type readiness struct {
	done chan struct{}
	err  error
}

// Close ends the subscription; the last one to leave releases the LISTEN connection.
func (s *Subscription) Close() {
	s.once.Do(func() {
		h := s.hub
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.subs[s.UserID], s)
		if len(h.subs[s.UserID]) == 0 {
			delete(h.subs, s.UserID)
		}
		if len(h.subs) == 0 && h.listener != nil {
			// Closed outside the lock: the listener may be waiting to hand loop an announcement
			// while loop waits for this lock.
			go closeListener(h.listener)
			h.listener = nil
		}
	})
}

// Close releases the LISTEN connection; subscriptions stop receiving.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	if h.listener != nil {
		go closeListener(h.listener)
		h.listener = nil
	}
}

func closeListener(l *pq.Listener) { _ = l.Close() }

// loop reads one listener's announcements until it is closed.
func (h *Hub) loop(l *pq.Listener) {
	for n := range l.NotificationChannel() {
		if n == nil {
			// The connection was lost and re-established: announcements may be missing, of
			// notifications and of ended sessions alike.
			h.broadcast(0, 0)
			h.sessionChanged(0)
			continue
		}
		if n.Channel == SessionChannel {
			if user, err := strconv.ParseInt(n.Extra, 10, 64); err == nil && user > 0 {
				h.sessionChanged(user)
			} else {
				h.log.Warn("malformed session announcement", zap.String("payload", n.Extra))
			}
			continue
		}
		user, id, ok := parsePayload(n.Extra)
		if !ok {
			h.log.Warn("malformed notification announcement", zap.String("payload", n.Extra))
			continue
		}
		h.broadcast(user, id)
	}
}

// broadcast hands id to user's subscriptions (user 0: a resync signal to everyone). A full
// subscription buffer gets a resync signal instead: the stream re-reads from its last id, so
// nothing is lost, only coalesced.
func (h *Hub) broadcast(user, id int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	deliver := func(s *Subscription, v int64) {
		select {
		case s.C <- v:
		default:
			select {
			case s.C <- 0:
			default: // a resync is surely queued already
			}
		}
	}
	if user == 0 {
		for _, set := range h.subs {
			for s := range set {
				deliver(s, 0)
			}
		}
		return
	}
	for s := range h.subs[user] {
		deliver(s, id)
	}
}

// sessionChanged signals user's subscriptions (user 0: everyone's) to re-check their session. A
// signal already pending is enough.
func (h *Hub) sessionChanged(user int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	signal := func(s *Subscription) {
		select {
		case s.Session <- struct{}{}:
		default:
		}
	}
	for u, set := range h.subs {
		if user != 0 && u != user {
			continue
		}
		for s := range set {
			signal(s)
		}
	}
}

func parsePayload(p string) (user, id int64, ok bool) {
	a, b, found := strings.Cut(p, ":")
	if !found {
		return 0, 0, false
	}
	u, err1 := strconv.ParseInt(a, 10, 64)
	i, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || u <= 0 || i <= 0 {
		return 0, 0, false
	}
	return u, i, true
}
