package pglisten

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jmoiron/sqlx"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/mifmaroc/mif/internal/poll"
	"github.com/mifmaroc/mif/internal/testdb"
)

// recorder keeps what a Listener reported, and fails the test when two handlers overlap or one
// runs after Close returned.
type recorder struct {
	t *testing.T

	busy   atomic.Bool
	closed atomic.Bool // set by the test once Close returned

	// probe, when set, runs inside every Live(true) handler, with the count of them so far.
	probe func(n int)

	mu    sync.Mutex
	lives []bool
	errs  []error // of the Live(false) reports
	notes []string
	ups   int
}

func (r *recorder) enter() func() {
	if r.busy.Swap(true) {
		r.t.Error("two handlers ran at once")
	}
	if r.closed.Load() {
		r.t.Error("a handler ran after Close returned")
	}
	return func() { r.busy.Store(false) }
}

func (r *recorder) handlers() Handlers {
	return Handlers{
		Live: func(live bool, err error) {
			defer r.enter()()
			r.mu.Lock()
			defer r.mu.Unlock()
			r.lives = append(r.lives, live)
			if !live {
				r.errs = append(r.errs, err)
				return
			}
			r.ups++
			if r.probe != nil {
				r.probe(r.ups)
			}
		},
		Notified: func(channel, payload string) {
			defer r.enter()()
			r.mu.Lock()
			defer r.mu.Unlock()
			r.notes = append(r.notes, channel+":"+payload)
		},
	}
}

// live is the last Live reported (false before any).
func (r *recorder) live() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.lives) > 0 && r.lives[len(r.lives)-1]
}

func (r *recorder) reports() (lives []bool, errs []error, notes []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bool(nil), r.lives...), append([]error(nil), r.errs...), append([]string(nil), r.notes...)
}

func (r *recorder) waitLive(want bool) {
	r.t.Helper()
	poll.Until(r.t, fmt.Sprintf("live %t", want), func() error {
		if r.live() != want {
			lives, _, _ := r.reports()
			return fmt.Errorf("reports %v", lives)
		}
		return nil
	})
}

func (r *recorder) waitNote(note string) {
	r.t.Helper()
	poll.Until(r.t, "announcement "+note, func() error {
		_, _, notes := r.reports()
		for _, n := range notes {
			if n == note {
				return nil
			}
		}
		return fmt.Errorf("announcements %v", notes)
	})
}

// fixture is a Listener on a fresh database, not started, whose connection goes by a name of
// its own, and a one-connection pool on that database.
type fixture struct {
	l    *Listener
	r    *recorder
	db   *sqlx.DB
	name string // application_name of the Listener's connection
}

func newFixture(t *testing.T, log *zap.Logger, channels ...string) *fixture {
	t.Helper()
	url := testdb.NewURL(t, testdb.Conns(2))
	db, err := sqlx.Connect("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = db.Close() })
	named, name := testdb.Named(t, url, "pglisten")
	r := &recorder{t: t}
	l := New(named, channels, log, r.handlers())
	t.Cleanup(func() {
		l.Close()
		r.closed.Store(true)
	})
	f := &fixture{l: l, r: r, db: db, name: name}
	if len(channels) > 0 {
		// An announcement committed by the Live(true) handler itself must be handed over:
		// LISTEN is in place before Live(true) is reported, not shortly after.
		r.probe = func(n int) {
			if _, err := db.Exec(`SELECT pg_notify($1, $2)`, channels[0], fmt.Sprintf("live %d", n)); err != nil {
				t.Errorf("announce from Live(true): %v", err)
			}
		}
	}
	return f
}

// conns counts the Listener's connections to the server.
func (f *fixture) conns(t *testing.T) int {
	t.Helper()
	var n int
	if err := f.db.Get(&n, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, f.name); err != nil {
		t.Fatal(err)
	}
	return n
}

func (f *fixture) notify(t *testing.T, channel, payload string) {
	t.Helper()
	if _, err := f.db.Exec(`SELECT pg_notify($1, $2)`, channel, payload); err != nil {
		t.Fatal(err)
	}
}

// TestLiveOnceListeningThenNotified: nothing is opened before Start; Live(true) is reported
// once, and from then on an announcement on any of the channels is handed over.
func TestLiveOnceListeningThenNotified(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, "pglisten_a", "pglisten_b")
	if n := f.conns(t); n != 0 {
		t.Fatalf("%d connections before Start", n)
	}
	f.l.Start()
	f.r.waitLive(true)
	f.r.waitNote("pglisten_a:live 1")
	f.notify(t, "pglisten_b", "deux")
	f.notify(t, "pglisten_a", "un")
	f.notify(t, "pglisten_other", "non")
	f.notify(t, "pglisten_a", "marqueur")
	f.r.waitNote("pglisten_a:marqueur")
	lives, _, notes := f.r.reports()
	if fmt.Sprint(lives) != "[true]" || fmt.Sprint(notes) != "[pglisten_a:live 1 pglisten_b:deux pglisten_a:un pglisten_a:marqueur]" {
		t.Fatalf("reports %v, announcements %v", lives, notes)
	}
	f.l.Start() // once started, a no-op
	if n := f.conns(t); n != 1 {
		t.Fatalf("%d connections after two Starts", n)
	}
}

// TestLostThenLiveAgainAfterTheConnectionIsCut: a terminated connection is reported lost; while
// the database refuses connections the Listener stays not live; once pq is back and listening,
// Live(true) is reported again and announcements flow.
func TestLostThenLiveAgainAfterTheConnectionIsCut(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, "pglisten_cut")
	f.l.Start()
	f.r.waitLive(true)

	allow := testdb.RefuseConnections(t, f.db)
	testdb.Cut(t, f.db, f.name, 1)
	f.r.waitLive(false)
	// pq's reconnection attempts are refused: each is reported, none makes it live.
	poll.Until(t, "a refused reconnection reported", func() error {
		if _, errs, _ := f.r.reports(); len(errs) < 2 || errs[len(errs)-1] == nil {
			return fmt.Errorf("errors %v", errs)
		}
		return nil
	})
	if f.r.live() {
		t.Fatal("live while the database refuses connections")
	}

	allow()
	f.r.waitLive(true)
	f.r.waitNote("pglisten_cut:live 2")
	f.notify(t, "pglisten_cut", "après")
	f.r.waitNote("pglisten_cut:après")
	lives, _, _ := f.r.reports()
	for i := 1; i < len(lives); i++ {
		if lives[i] && lives[i-1] {
			t.Fatalf("Live(true) twice in a row: %v", lives)
		}
	}
	if !lives[0] || lives[1] {
		t.Fatalf("reports %v", lives)
	}
}

// TestCloseStopsEverything: Close returns with the connection closed, no handler runs after it,
// and Start opens nothing afterwards.
func TestCloseStopsEverything(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, "pglisten_close")
	f.l.Start()
	f.r.waitLive(true)
	f.l.Close()
	f.r.closed.Store(true) // from now on the recorder fails the test at any report
	f.notify(t, "pglisten_close", "trop tard")
	f.l.Start()
	f.l.Close() // twice: harmless
	poll.Until(t, "the connection closed", func() error {
		if n := f.conns(t); n != 0 {
			return fmt.Errorf("%d connections", n)
		}
		return nil
	})
	f.l.mu.Lock()
	defer f.l.mu.Unlock()
	if f.l.pl == nil || !f.l.closed || f.l.live {
		t.Fatalf("closed %t, live %t", f.l.closed, f.l.live)
	}
}

// TestCloseBeforeStartOpensNothing: a Listener closed before its first use never connects.
func TestCloseBeforeStartOpensNothing(t *testing.T) {
	t.Parallel()
	r := &recorder{t: t}
	l := New("postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=1", []string{"c"}, nil, r.handlers())
	l.Close()
	r.closed.Store(true)
	l.Start()
	if l.pl != nil {
		t.Fatal("Start after Close opened a listener")
	}
}

// TestUnreachableDatabase: failed attempts are reported as not live, with their error, and
// Close returns although the LISTEN never went through.
func TestUnreachableDatabase(t *testing.T) {
	t.Parallel()
	r := &recorder{t: t}
	l := New("postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=1", []string{"c"}, nil, r.handlers())
	l.Start()
	poll.Until(t, "a failed attempt reported", func() error {
		if _, errs, _ := r.reports(); len(errs) == 0 || errs[0] == nil {
			return errors.New("none")
		}
		return nil
	})
	l.Close()
	r.closed.Store(true)
	if lives, _, _ := r.reports(); r.live() {
		t.Fatalf("live without a database: %v", lives)
	}
}

// TestRefusedListenStaysNotLive: a LISTEN the server refuses (an empty channel name is not an
// identifier) is logged, and the Listener never claims to follow the channels.
func TestRefusedListenStaysNotLive(t *testing.T) {
	t.Parallel()
	core, logs := observer.New(zap.WarnLevel)
	f := newFixture(t, zap.New(core), "pglisten_ok", "")
	f.l.Start()
	poll.Until(t, "the refusal logged", func() error {
		if logs.FilterMessageSnippet("LISTEN refused").Len() == 0 {
			return errors.New("not logged")
		}
		return nil
	})
	f.l.mu.Lock()
	listening := f.l.listening
	f.l.mu.Unlock()
	if lives, _, _ := f.r.reports(); len(lives) != 0 || listening {
		t.Fatalf("reports %v, listening %t", lives, listening)
	}
}
