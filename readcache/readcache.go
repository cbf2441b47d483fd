// Package readcache keeps, for a short time, the answers of the API's busiest reads (the lists
// and the dashboard every user's screen polls), so that a thousand users asking for the same page
// cost one query, not a thousand.
//
// What a reader may get:
//   - never an answer older than the cache's TTL (MIF_READ_CACHE_TTL, 1 s by default), which
//     bounds what depends on the clock alone (late work, "this week");
//   - never, after a write of its own answered by this process, an answer read before that write
//     (each caller's last write is remembered for a TTL);
//   - a write by anyone else — another user, the worker's activities, another replica, psql —
//     shows within a fifth of the TTL (200 ms): every write this process answers, and every write
//     committed anywhere that PostgreSQL announces on channel mif_data (migration 00190), drops
//     the cached answers, at most once per that window. Dropping them at every write would,
//     under a steady stream of creates, drop each answer before it is even stored.
//
// While the LISTEN connection is down (and until it is back) announcements may be missed, so the
// cache is bypassed: every read goes to the database, as without it.
//
// Concurrent misses of one key share one computation (the first caller's), as long as nothing
// was dropped since it began and it began after the caller's own last write. A caller for whom
// the computation under way is too old waits for it to end and shares the next one: a key is
// never computed twice at once, so a stream of writes (each making its writer's next read a
// miss) costs at most one computation at a time per key, not one per read.
package readcache

import (
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/mifmaroc/mif/internal/pglisten"
)

// Channel is where PostgreSQL announces committed writes to the tables cached answers are read
// from (payload: the table's name).
const Channel = "mif_data"

// Answer is one cached HTTP answer: status, the headers its handler set, body.
type Answer struct {
	Status int
	Header map[string][]string
	Body   []byte
}

func (a *Answer) size() int {
	n := len(a.Body) + 64
	for k, vs := range a.Header {
		n += len(k)
		for _, v := range vs {
			n += len(v)
		}
	}
	return n
}

// Cache is the cache of one process. The zero value is not usable: see New.
type Cache struct {
	ttl      time.Duration
	maxBytes int
	log      *zap.Logger
	now      func() time.Time

	gen       atomic.Uint64 // moves when the answers are dropped
	live      atomic.Bool   // LISTEN in place: answers may be served and stored
	wasLive   bool          // live before: a later live is a reconnection (listenLive's alone)
	startOnce sync.Once

	// Dropping is coalesced: at most once per window; a write within it is applied at its end.
	window     time.Duration
	dropMu     sync.Mutex
	lastDrop   time.Time
	dropLater  bool                // a drop is scheduled at the window's end
	lastWrites map[int64]time.Time // caller → its last write answered here (kept a TTL)

	mu       sync.Mutex
	entries  map[string]entry
	bytes    int
	flights  map[string]*flight
	listener *pglisten.Listener
	closed   bool

	hits, misses, bypassed atomic.Uint64
}

type entry struct {
	gen uint64
	at  time.Time // when its computation began
	a   *Answer
}

// flight is one computation of a key that concurrent callers of the same generation wait for.
type flight struct {
	gen     uint64
	at      time.Time
	done    chan struct{}
	a       *Answer // nil when the answer may not be shared (not cacheable)
	waiters int     // callers waiting for its answer (under Cache.mu)
	queued  int     // callers waiting for it to end, to share the next computation (under Cache.mu)
}

// New builds a cache of answers younger than ttl, holding at most maxBytes of them, kept fresh by
// LISTENing on the database at dsn. A ttl of zero or less gives a cache that is always bypassed.
func New(dsn string, ttl time.Duration, maxBytes int, log *zap.Logger) *Cache {
	if log == nil {
		log = zap.NewNop()
	}
	c := &Cache{ttl: ttl, window: ttl / 5, maxBytes: maxBytes, log: log, now: time.Now,
		entries: map[string]entry{}, flights: map[string]*flight{}, lastWrites: map[int64]time.Time{}}
	c.listener = pglisten.New(dsn, []string{Channel}, log, pglisten.Handlers{
		Live:     c.listenLive,
		Notified: func(string, string) { c.drop() },
	})
	return c
}

// Enabled tells whether the cache may ever serve (a positive TTL).
func (c *Cache) Enabled() bool { return c != nil && c.ttl > 0 }

// Live tells whether the cache is serving (enabled and its LISTEN connection in place).
func (c *Cache) Live() bool { return c.Enabled() && c.live.Load() }

// Written records a write made by this process for caller (a user id; 0 for none): that caller
// is never served an answer read before it, and everyone else's answers are dropped within the
// window. Call it once the write is committed and before its answer is sent.
func (c *Cache) Written(caller int64) {
	if !c.Enabled() {
		return
	}
	if caller != 0 {
		now := c.now()
		c.dropMu.Lock()
		if len(c.lastWrites) >= maxWriters {
			for id, at := range c.lastWrites {
				if now.Sub(at) >= c.ttl {
					delete(c.lastWrites, id)
				}
			}
		}
		c.lastWrites[caller] = now
		c.dropMu.Unlock()
	}
	c.drop()
}

// maxQueuedWaits is how many computations of a key, each too old to answer a caller, the caller
// waits out before computing alone: one is the rule (writes and drops arrive all the time, the
// next computation serves everyone waiting); a second can happen when a drop lands between one
// computation's end and the next one's start.
const maxQueuedWaits = 2

// maxWriters is how many callers' last writes are kept before the older-than-TTL ones are swept.
const maxWriters = 4096

// lastWrite is caller's last write answered here (zero for none). One older than the TTL may
// still be remembered: harmless, no answer that old is served anyway.
func (c *Cache) lastWrite(caller int64) time.Time {
	if caller == 0 {
		return time.Time{}
	}
	c.dropMu.Lock()
	defer c.dropMu.Unlock()
	return c.lastWrites[caller]
}

// drop drops the cached answers now, or at the end of the current window when the last drop is
// more recent than it (one drop scheduled at a time).
func (c *Cache) drop() {
	c.dropMu.Lock()
	now := c.now()
	if wait := c.lastDrop.Add(c.window).Sub(now); wait > 0 {
		if !c.dropLater {
			c.dropLater = true
			time.AfterFunc(wait, func() {
				c.dropMu.Lock()
				c.dropLater = false
				c.lastDrop = c.now()
				c.dropMu.Unlock()
				c.invalidate()
			})
		}
		c.dropMu.Unlock()
		return
	}
	c.lastDrop = now
	c.dropMu.Unlock()
	c.invalidate()
}

// invalidate drops the cached answers at once (connection events: announcements may be lost).
func (c *Cache) invalidate() {
	c.gen.Add(1)
	c.mu.Lock()
	c.entries, c.bytes = map[string]entry{}, 0
	c.mu.Unlock()
}

// Stats are the reads answered from the cache (or from another caller's computation), those
// that computed their answer while it was live, and those that went around it (not live).
func (c *Cache) Stats() (hits, misses, bypassed uint64) {
	return c.hits.Load(), c.misses.Load(), c.bypassed.Load()
}

// Get answers key for caller from the cache when a fresh answer is there (see the package
// comment), else computes it with compute — once for all the callers that ask for the same key
// meanwhile. compute returns the answer and whether it may be shared and kept (a 200, say; an
// error answer is its caller's alone). hit tells whether the answer came from the cache or from
// another caller's computation.
func (c *Cache) Get(key string, caller int64, compute func() (a *Answer, shareable bool)) (a *Answer, hit bool) {
	if !c.Enabled() {
		a, _ = compute()
		return a, false
	}
	c.startOnce.Do(c.start)
	if !c.live.Load() {
		c.bypassed.Add(1)
		a, _ = compute()
		return a, false
	}
	own := c.lastWrite(caller)
	var gen uint64
	var at time.Time
	for waited := 0; ; waited++ {
		gen = c.gen.Load()
		at = c.now()
		c.mu.Lock()
		if e, ok := c.entries[key]; ok && e.gen == gen && at.Sub(e.at) < c.ttl && e.at.After(own) {
			c.mu.Unlock()
			c.hits.Add(1)
			return e.a, true
		}
		f, ok := c.flights[key]
		if !ok {
			break // c.mu held: this caller computes
		}
		if f.gen == gen && f.at.After(own) {
			f.waiters++
			c.mu.Unlock()
			<-f.done
			if f.a != nil {
				c.hits.Add(1)
				return f.a, true
			}
			return c.alone(compute), false
		}
		if waited == maxQueuedWaits {
			c.mu.Unlock()
			return c.alone(compute), false
		}
		// The computation under way began before this caller's write or a drop: its answer is
		// not for this caller. Rather than compute beside it (under a stream of writes every
		// read would, and the database would run one computation per read), wait for it to end
		// and share the next one, which begins after both.
		f.queued++
		c.mu.Unlock()
		<-f.done
	}
	f := &flight{gen: gen, at: at, done: make(chan struct{})}
	c.flights[key] = f
	c.mu.Unlock()
	c.misses.Add(1)

	var shareable bool
	defer func() {
		c.mu.Lock()
		if c.flights[key] == f {
			delete(c.flights, key)
		}
		// The callers that joined the computation asked after it began, with nothing dropped in
		// between: its answer is theirs too. It is kept only if nothing was dropped since it
		// began (it may predate the write) and announcements were not missed meanwhile.
		if shareable && a != nil {
			f.a = a
		}
		if shareable && a != nil && c.gen.Load() == gen && c.live.Load() && !c.closed {
			if old, ok := c.entries[key]; ok {
				c.bytes -= old.a.size()
			}
			if c.bytes+a.size() > c.maxBytes {
				c.entries, c.bytes = map[string]entry{}, 0
			}
			if a.size() <= c.maxBytes {
				c.entries[key] = entry{gen: gen, at: at, a: a}
				c.bytes += a.size()
			}
		}
		c.mu.Unlock()
		close(f.done)
	}()
	a, shareable = compute()
	return a, false
}

// alone computes an answer for its caller only (not shared, not kept).
func (c *Cache) alone(compute func() (*Answer, bool)) *Answer {
	c.misses.Add(1)
	a, _ := compute()
	return a
}

// start opens the LISTEN connection; the cache goes live once the channel is listened to.
func (c *Cache) start() { c.listener.Start() }

// listenLive follows the LISTEN connection: announcements may have been missed before a change
// either way, so the answers are dropped at each (before going live, after going bypassed).
func (c *Cache) listenLive(live bool, err error) {
	if !live {
		if c.live.Swap(false) {
			c.log.Warn("read cache: LISTEN connection lost, cache bypassed", zap.Error(err))
		}
		c.invalidate()
		return
	}
	c.invalidate()
	c.live.Store(true)
	if c.wasLive {
		c.log.Info("read cache: LISTEN connection back")
	}
	c.wasLive = true
}

// Close stops listening; reads go around the cache from then on.
func (c *Cache) Close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.listener.Close()
	c.live.Store(false)
}
