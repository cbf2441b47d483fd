package readcache

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/mifmaroc/mif/internal/poll"
	"github.com/mifmaroc/mif/internal/testdb"
)

// fixture is a cache LISTENing on a fresh migrated database, and a pool on that database.
type fixture struct {
	c    *Cache
	db   *sqlx.DB
	name string // application_name of the cache's LISTEN connection
}

func newFixture(t *testing.T, ttl time.Duration) *fixture {
	t.Helper()
	url := testdb.NewURL(t, testdb.Conns(3))
	db, err := sqlx.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(2)
	t.Cleanup(func() { _ = db.Close() })
	named, name := testdb.Named(t, url, "readcache")
	c := New(named, ttl, 1<<20, nil)
	t.Cleanup(c.Close)
	f := &fixture{c: c, db: db, name: name}
	f.waitLive(t)
	return f
}

// waitLive starts the cache (its first Get) and waits until it serves.
func (f *fixture) waitLive(t *testing.T) {
	t.Helper()
	f.c.Get("warm-up", 0, func() (*Answer, bool) { return answer("x"), false })
	poll.Until(t, "cache live", func() error {
		if !f.c.Live() {
			return errors.New("not live")
		}
		return nil
	})
}

func answer(body string) *Answer {
	return &Answer{Status: 200, Header: map[string][]string{"X-Total-Count": {"1"}}, Body: []byte(body)}
}

// counter computes numbered answers and counts its calls.
type counter struct{ n atomic.Int64 }

func (c *counter) compute() (*Answer, bool) {
	return answer(fmt.Sprint(c.n.Add(1))), true
}

func TestFreshAnswerServedUntilTTL(t *testing.T) {
	t.Parallel()
	f := newFixture(t, time.Minute)
	clock := f.fakeClock()
	var k counter
	a, hit := f.c.Get("k", 0, k.compute)
	if hit || string(a.Body) != "1" {
		t.Fatalf("first read: hit %v body %s", hit, a.Body)
	}
	a, hit = f.c.Get("k", 0, k.compute)
	if !hit || string(a.Body) != "1" || a.Header["X-Total-Count"][0] != "1" {
		t.Fatalf("second read: hit %v body %s", hit, a.Body)
	}
	if a, _ := f.c.Get("other", 0, k.compute); string(a.Body) != "2" {
		t.Fatalf("another key shares the answer: %s", a.Body)
	}
	clock.Add(int64(time.Minute))
	if a, hit := f.c.Get("k", 0, k.compute); hit || string(a.Body) != "3" {
		t.Fatalf("past the TTL: hit %v body %s", hit, a.Body)
	}
}

func TestUnshareableAnswerIsNotKept(t *testing.T) {
	t.Parallel()
	f := newFixture(t, time.Minute)
	calls := 0
	for range 3 {
		f.c.Get("err", 0, func() (*Answer, bool) { calls++; return &Answer{Status: 500}, false })
	}
	if calls != 3 {
		t.Fatalf("an error answer was served again: %d computations for 3 reads", calls)
	}
}

func TestConcurrentMissesShareOneComputation(t *testing.T) {
	t.Parallel()
	f := newFixture(t, time.Minute)
	release := make(chan struct{})
	var calls atomic.Int64
	const readers = 20
	var wg sync.WaitGroup
	bodies := make([]string, readers)
	started := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		a, _ := f.c.Get("slow", 0, func() (*Answer, bool) {
			calls.Add(1)
			close(started)
			<-release
			return answer("shared"), true
		})
		bodies[0] = string(a.Body)
	}()
	<-started
	for i := 1; i < readers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, _ := f.c.Get("slow", 0, func() (*Answer, bool) { calls.Add(1); return answer("own"), true })
			bodies[i] = string(a.Body)
		}()
	}
	poll.Until(t, "readers waiting for the first computation", func() error {
		f.c.mu.Lock()
		defer f.c.mu.Unlock()
		if fl := f.c.flights["slow"]; fl == nil || fl.waiters != readers-1 {
			return errors.New("not all waiting yet")
		}
		return nil
	})
	close(release)
	wg.Wait()
	for i, b := range bodies {
		if b != "shared" {
			t.Fatalf("reader %d got %q", i, b)
		}
	}
	if calls.Load() != 1 {
		t.Fatalf("%d computations for %d concurrent readers of one key", calls.Load(), readers)
	}
}

// A stream of writes makes each writer's next read a miss: the readers for whom the computation
// under way is too old wait for it and share one next computation instead of running one each.
func TestReadersAfterAWriteShareTheNextComputation(t *testing.T) {
	t.Parallel()
	f := newFixture(t, time.Minute)
	const writer = 42
	release := make(chan struct{})
	started := make(chan struct{})
	var calls, running, most atomic.Int64
	compute := func(body string, wait bool) func() (*Answer, bool) {
		return func() (*Answer, bool) {
			n := running.Add(1)
			defer running.Add(-1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			calls.Add(1)
			if wait {
				close(started)
				<-release
			}
			return answer(body), true
		}
	}
	var first string
	done := make(chan struct{})
	go func() {
		defer close(done)
		a, _ := f.c.Get("k", 0, compute("before the write", true))
		first = string(a.Body)
	}()
	<-started
	f.c.Written(writer) // after the first computation began: its answer is not for the writer
	const readers = 10
	bodies := make([]string, readers)
	var wg sync.WaitGroup
	for i := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, _ := f.c.Get("k", writer, compute("after the write", false))
			bodies[i] = string(a.Body)
		}()
	}
	poll.Until(t, "the writer's reads queued behind the computation under way", func() error {
		f.c.mu.Lock()
		defer f.c.mu.Unlock()
		if fl := f.c.flights["k"]; fl == nil || fl.queued != readers {
			return errors.New("not all queued yet")
		}
		return nil
	})
	close(release)
	wg.Wait()
	<-done
	if first != "before the write" {
		t.Fatalf("the first caller got %q", first)
	}
	for i, b := range bodies {
		if b != "after the write" {
			t.Fatalf("reader %d after its write got %q", i, b)
		}
	}
	if calls.Load() != 2 || most.Load() != 1 {
		t.Fatalf("%d computations, %d at once, for one read before the write and %d after it (want 2, one at a time)",
			calls.Load(), most.Load(), readers)
	}
}

// fakeClock pins the cache's clock (TTL, windows) to what the test sets.
func (f *fixture) fakeClock() *atomic.Int64 {
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	f.c.now = func() time.Time { return time.Unix(0, clock.Load()) }
	return &clock
}

func TestOwnWriteShowsAtOnceOthersWithinTheWindow(t *testing.T) {
	t.Parallel()
	f := newFixture(t, time.Minute) // window: 12 s
	clock := f.fakeClock()
	var k counter
	const writer, other = 42, 7
	f.c.Get("k", other, k.compute)
	f.c.Written(writer) // the first drop of a quiet cache is immediate
	if a, hit := f.c.Get("k", other, k.compute); hit || string(a.Body) != "2" {
		t.Fatalf("after a quiet write: hit %v body %s", hit, a.Body)
	}
	clock.Add(int64(time.Second))
	// A second write within the window: its writer reads past it at once…
	f.c.Written(writer)
	if a, hit := f.c.Get("k", writer, k.compute); hit || string(a.Body) != "3" {
		t.Fatalf("writer after its own write: hit %v body %s", hit, a.Body)
	}
	// …the others may still get the answer read after it (3) — or the older one (2) until the
	// window ends — but the drop comes by itself at the window's end.
	clock.Add(int64(12 * time.Second))
	poll.Until(t, "the coalesced drop", func() error {
		if a, _ := f.c.Get("k", other, k.compute); string(a.Body) == "2" || string(a.Body) == "3" {
			return fmt.Errorf("still %s", a.Body)
		}
		return nil
	})
	// A computation that began before a drop is not kept.
	clock.Add(int64(12 * time.Second))
	a, _ := f.c.Get("late", other, func() (*Answer, bool) {
		f.c.Written(0)
		return answer("before the write"), true
	})
	if string(a.Body) != "before the write" {
		t.Fatalf("its own caller gets it: %s", a.Body)
	}
	if a, hit := f.c.Get("late", other, k.compute); hit || string(a.Body) == "before the write" {
		t.Fatalf("an answer read before a drop was kept: %s", a.Body)
	}
}

// Every table the cached reads come from announces its writes (migration 00190), whoever writes.
func TestWritesCommittedElsewhereDropAnswers(t *testing.T) {
	t.Parallel()
	f := newFixture(t, time.Minute)
	clock := f.fakeClock()
	ctx := context.Background()
	var k counter
	writes := map[string]string{
		"equipements":   `INSERT INTO equipements (nom, type, numero_serie) VALUES ('Presse', 'Presse', 'RC-1')`,
		"clients":       `INSERT INTO clients (nom, email) VALUES ('Client RC', 'rc@example.ma')`,
		"interventions": `UPDATE interventions SET titre = titre WHERE false`,
	}
	for table, stmt := range writes {
		clock.Add(int64(time.Minute / 5)) // past the window: the announcement drops at once
		before, _ := f.c.Get("k", 0, k.compute)
		if _, hit := f.c.Get("k", 0, k.compute); !hit {
			t.Fatalf("%s: not kept before the write", table)
		}
		if _, err := f.db.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		poll.Until(t, "announcement of "+table, func() error {
			a, _ := f.c.Get("k", 0, k.compute)
			if string(a.Body) == string(before.Body) {
				return errors.New("still the answer from before the write")
			}
			return nil
		})
	}
	// A rolled-back write announces nothing.
	clock.Add(int64(time.Minute / 5))
	a, _ := f.c.Get("k", 0, k.compute)
	tx, err := f.db.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO equipements (nom, type, numero_serie) VALUES ('X', 'X', 'RC-2')`); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	// Then a committed announcement on the channel: everything before it has been delivered.
	if _, err := f.db.ExecContext(ctx, `SELECT pg_notify($1, 'marker')`, Channel); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, "marker", func() error {
		b, _ := f.c.Get("k", 0, k.compute)
		if string(b.Body) == string(a.Body) {
			return errors.New("marker not seen")
		}
		return nil
	})
	if k.n.Load() != int64(len(writes))+2 {
		t.Fatalf("%d computations: the rolled-back write moved the cache too", k.n.Load())
	}
}

func TestBypassedWhileListenIsDown(t *testing.T) {
	t.Parallel()
	f := newFixture(t, time.Minute)
	var k counter
	f.c.Get("k", 0, k.compute)
	testdb.Cut(t, f.db, f.name, 1)
	poll.Until(t, "cache bypassed", func() error {
		if f.c.Live() {
			return errors.New("still live")
		}
		return nil
	})
	// pq reconnects on its own: the cache serves again, starting empty.
	poll.Until(t, "cache live again", func() error {
		if !f.c.Live() {
			return errors.New("not live")
		}
		return nil
	})
	n := k.n.Load()
	if a, hit := f.c.Get("k", 0, k.compute); hit || a == nil || k.n.Load() != n+1 {
		t.Fatal("an answer from before the lost connection was served")
	}
}

// Without its LISTEN connection (never established here) the cache serves nothing.
func TestBypassedWithoutListen(t *testing.T) {
	t.Parallel()
	c := New("postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=1", time.Minute, 1<<20, nil)
	defer c.Close()
	var k counter
	for range 3 {
		if _, hit := c.Get("k", 0, k.compute); hit {
			t.Fatal("hit without LISTEN")
		}
	}
	if _, _, bypassed := c.Stats(); bypassed != 3 || k.n.Load() != 3 || c.Live() {
		t.Fatalf("bypassed %d, computations %d, live %v", bypassed, k.n.Load(), c.Live())
	}
}

func TestDisabledCacheComputesEveryTime(t *testing.T) {
	t.Parallel()
	c := New("postgres://unused", 0, 1<<20, nil)
	defer c.Close()
	var k counter
	for range 3 {
		if _, hit := c.Get("k", 0, k.compute); hit {
			t.Fatal("hit with the cache off")
		}
	}
	if k.n.Load() != 3 || c.Live() {
		t.Fatalf("%d computations, live %v", k.n.Load(), c.Live())
	}
}
