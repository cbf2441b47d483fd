// Package pglisten owns the life cycle of one PostgreSQL LISTEN connection (lib/pq's Listener)
// for a user that keeps state derived from the announcements — a cache that forgets what a
// NOTIFY says changed — and so must know when announcements may have been missed.
//
// What a Listener guarantees to its Handlers:
//   - Live(true) is reported only once LISTEN is in place on every channel: the LISTENs were
//     answered, then a round trip (Ping) succeeded with no loss or reconnection of the connection
//     in between. From then on every announcement committed is handed to Notified, until a
//     Live(false).
//   - While not live — before the first Live(true), and from a Live(false) to the next Live(true)
//     — announcements may have been missed. Whatever was derived from them may be stale at every
//     Live call, so a cache drops everything at each.
//   - Live(false) is reported as soon as the connection is seen lost, and again at every failed
//     attempt to open it (with the attempt's error); lib/pq reconnects on its own, with LISTEN
//     on every channel again, and Live(true) follows once it has. Live(true) is never reported
//     twice in a row.
//   - A LISTEN that PostgreSQL refuses is logged and leaves the Listener not live until Close: a
//     reconnection would not listen to that channel either.
//   - Handlers never run concurrently with one another, and none runs once Close has returned.
//
// The connection is opened by Start, not by New, so that a process that never needs it holds
// none.
package pglisten

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/lib/pq"
	"go.uber.org/zap"
)

// Reconnection intervals: the first retry after a loss comes quickly, later ones back off (lib/pq
// doubles the interval up to the maximum).
const (
	minReconnect = 100 * time.Millisecond
	maxReconnect = 5 * time.Second
)

// Handlers are how a Listener reports to its user. They run one at a time, on the Listener's
// goroutines; they must not call the Listener's Start or Close (Close waits for them).
type Handlers struct {
	// Live reports whether LISTEN is in place (see the package comment); err tells why not,
	// when known.
	Live func(live bool, err error)
	// Notified hands over one announcement. Announcements still queued from a lost connection
	// may come after the Live(false); they are genuine.
	Notified func(channel, payload string)
}

// Listener is one LISTEN connection on a set of channels. The zero value is not usable: see New.
type Listener struct {
	dsn      string
	channels []string
	log      *zap.Logger
	h        Handlers

	started atomic.Bool // Start's fast path: set once Start or Close ran

	mu        sync.Mutex // held while a handler runs, so that handlers never overlap
	pl        *pq.Listener
	closed    bool
	listening bool   // every channel was listened to: a reconnection listens to them all again
	live      bool   // the last Live reported
	events    uint64 // losses, failed attempts and reconnections seen
	wg        sync.WaitGroup
}

// New builds a Listener on channels of the database at dsn, reporting to h (a nil handler is
// not called). It opens nothing: see Start.
func New(dsn string, channels []string, log *zap.Logger, h Handlers) *Listener {
	if log == nil {
		log = zap.NewNop()
	}
	if h.Live == nil {
		h.Live = func(bool, error) {}
	}
	if h.Notified == nil {
		h.Notified = func(string, string) {}
	}
	return &Listener{dsn: dsn, channels: append([]string(nil), channels...), log: log, h: h}
}

// Start opens the connection and LISTENs, in the background, unless it was done already or the
// Listener is closed. It is cheap once started, so a user may call it at every use.
func (l *Listener) Start() {
	if l.started.Load() {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.started.Load() {
		return
	}
	l.started.Store(true)
	// pq may report its first events before Start returns: event waits for mu.
	l.pl = pq.NewListener(l.dsn, minReconnect, maxReconnect, l.event)
	l.wg.Add(2)
	go l.loop(l.pl)
	go l.listen(l.pl)
}

// event turns lib/pq's connection events into Live reports.
func (l *Listener) event(ev pq.ListenerEventType, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	switch ev {
	case pq.ListenerEventDisconnected, pq.ListenerEventConnectionAttemptFailed:
		l.events++
		l.live = false
		l.h.Live(false, err)
	case pq.ListenerEventReconnected:
		l.events++
		// pq listens to every channel it knows again before it reports a reconnection; until
		// listen has issued them all, it does not know them all.
		if l.listening && !l.live {
			l.live = true
			l.h.Live(true, nil)
		}
	}
	// ListenerEventConnected, the first connection, is no loss and is not counted: counted, it
	// could land between listen's LISTENs and its check (pq reports it after Listen may have
	// returned), and nothing would report Live(true) until a reconnection. Nor does it report
	// Live(true) itself: a LISTEN issued on the connection before pq reported it may not have
	// reached the server, which only listen's check proves.
}

// listen issues the LISTENs, then reports Live(true) once they are surely in place.
func (l *Listener) listen(pl *pq.Listener) {
	defer l.wg.Done()
	for _, ch := range l.channels {
		// Listen waits for the connection; it returns an error when the server refused the
		// LISTEN or the Listener was closed.
		if err := pl.Listen(ch); err != nil {
			l.mu.Lock()
			if !l.closed {
				l.log.Warn("LISTEN refused: announcements are not followed", zap.String("channel", ch), zap.Error(err))
			}
			l.mu.Unlock()
			return
		}
	}
	l.mu.Lock()
	l.listening = true
	events := l.events
	l.mu.Unlock()
	// Listen also returns without error when its connection failed before the server answered
	// (pq listens again once reconnected). A round trip on a connection that saw no loss and no
	// reconnection since then proves the LISTENs in place.
	if err := pl.Ping(); err != nil {
		return // lost meanwhile: the reconnection reports Live(true)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.events == events && !l.closed && !l.live {
		l.live = true
		l.h.Live(true, nil)
	}
}

// loop hands the announcements over until the connection is closed.
func (l *Listener) loop(pl *pq.Listener) {
	defer l.wg.Done()
	for n := range pl.Notify {
		if n == nil {
			// pq's mark of a reconnection, sent after it reported the reconnection: event has
			// already told the user, with Live(true), that announcements may have been missed.
			continue
		}
		l.mu.Lock()
		if !l.closed {
			l.h.Notified(n.Channel, n.Extra)
		}
		l.mu.Unlock()
	}
}

// Close closes the connection (Start opens none afterwards) and returns once the Listener's
// goroutines are done: no handler runs from then on. It reports nothing: the user knows.
func (l *Listener) Close() {
	l.mu.Lock()
	l.closed = true
	l.started.Store(true)
	l.live = false
	pl := l.pl
	l.mu.Unlock()
	if pl != nil {
		_ = pl.Close()
		l.wg.Wait()
	}
}
