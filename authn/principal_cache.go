package authn

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"

	"go.uber.org/zap"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/pglisten"
)

// Channels that announce, with the account's id, a change to what a request's principal is made
// of: mif_sessions (migration 00052: logout of a token, password change, logout everywhere,
// deactivation) and mif_principals (migration 00103: role, client, e-mail, technicien profile,
// deletion).
const (
	sessionChannel   = "mif_sessions"
	principalChannel = "mif_principals"
)

// maxCachedPrincipals bounds the cache: past it, it starts afresh (tokens rotate every access-token
// lifetime, so entries of old tokens would otherwise pile up).
const maxCachedPrincipals = 50_000

// PrincipalCache keeps, per account and access token, what the per-request principal lookup
// read, so that a request whose account did not change pays no database round trip. Every
// replica LISTENs on the channels above and forgets an account the moment a change to it is
// announced; while its LISTEN connection is down (and until it is back and listening) the cache
// is bypassed and every request reads the database, since announcements may be missed then.
//
// The LISTEN connection is opened at the first lookup (a server that authenticates nobody holds
// none) and closed by Close.
type PrincipalCache struct {
	log      *zap.Logger
	listener *pglisten.Listener

	live    atomic.Bool // LISTEN in place: entries may be used and stored
	wasLive bool        // live before: a later live is a reconnection (listenLive's alone)

	mu      sync.Mutex
	entries map[int64]map[string]principalEntry // account → token jti → lookup
	size    int
	gen     uint64 // moves at every invalidation: a lookup begun before it must not be stored

	hits, misses atomic.Uint64
}

type principalEntry struct {
	p       domain.Principal
	u       domain.User
	revoked bool
}

// NewPrincipalCache builds a cache for the database at dsn.
func NewPrincipalCache(dsn string, log *zap.Logger) *PrincipalCache {
	if log == nil {
		log = zap.NewNop()
	}
	c := &PrincipalCache{log: log, entries: map[int64]map[string]principalEntry{}}
	c.listener = pglisten.New(dsn, []string{sessionChannel, principalChannel}, log,
		pglisten.Handlers{Live: c.listenLive, Notified: c.notified})
	return c
}

// Live tells whether the cache is in use (its LISTEN connection is up and listening).
func (c *PrincipalCache) Live() bool { return c.live.Load() }

// lookup answers from the cache, or from load (stored when nothing was announced meanwhile).
func (c *PrincipalCache) lookup(ctx context.Context, userID int64, jti string,
	load func(context.Context, int64, string) (domain.Principal, domain.User, bool, error),
) (domain.Principal, domain.User, bool, error) {
	c.listener.Start()
	if !c.live.Load() {
		return load(ctx, userID, jti)
	}
	c.mu.Lock()
	e, ok := c.entries[userID][jti]
	gen := c.gen
	c.mu.Unlock()
	if ok {
		c.hits.Add(1)
		return e.p, e.u, e.revoked, nil
	}
	c.misses.Add(1)
	p, u, revoked, err := load(ctx, userID, jti)
	if err != nil {
		return p, u, revoked, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// Stored only if no announcement arrived since the read began (it might concern this
	// account, and the read might predate the change) and LISTEN is still in place (Close
	// leaves it never in place again).
	if c.gen == gen && c.live.Load() {
		if c.size >= maxCachedPrincipals {
			c.entries, c.size = map[int64]map[string]principalEntry{}, 0
		}
		if c.entries[userID] == nil {
			c.entries[userID] = map[string]principalEntry{}
		}
		if _, dup := c.entries[userID][jti]; !dup {
			c.size++
		}
		c.entries[userID][jti] = principalEntry{p: p, u: u, revoked: revoked}
	}
	return p, u, revoked, nil
}

// Stats are the lookups answered from the cache and those that read the database while it was
// live (bypassed lookups are neither).
func (c *PrincipalCache) Stats() (hits, misses uint64) { return c.hits.Load(), c.misses.Load() }

// Cached tells whether the cache holds a lookup of the account.
func (c *PrincipalCache) Cached(userID int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries[userID]) > 0
}

// Forget drops what the cache holds about an account: the replica that makes a change calls it
// as soon as the change is committed, so that its own next request never waits for the
// announcement to come back.
func (c *PrincipalCache) Forget(userID int64) {
	if c != nil && userID > 0 {
		c.forget(userID)
	}
}

// forget drops one account (userID > 0) or everything (0), and moves the generation.
func (c *PrincipalCache) forget(userID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if userID > 0 {
		c.size -= len(c.entries[userID])
		delete(c.entries, userID)
		return
	}
	c.entries, c.size = map[int64]map[string]principalEntry{}, 0
}

// listenLive follows the LISTEN connection: announcements may have been missed before a change
// either way, so everything is forgotten at each (before going live, after going bypassed).
func (c *PrincipalCache) listenLive(live bool, err error) {
	if !live {
		c.live.Store(false)
		c.forget(0)
		c.log.Warn("principal cache: LISTEN connection lost, cache bypassed", zap.Error(err))
		return
	}
	c.forget(0)
	c.live.Store(true)
	if c.wasLive {
		c.log.Info("principal cache: LISTEN connection back")
	}
	c.wasLive = true
}

// notified forgets the account announced (everything, should the payload not be an id).
func (c *PrincipalCache) notified(_, payload string) {
	id, err := strconv.ParseInt(payload, 10, 64)
	if err != nil {
		c.forget(0)
		return
	}
	c.forget(id)
}

// Close stops listening; lookups go to the database from then on.
func (c *PrincipalCache) Close() {
	c.listener.Close()
	c.live.Store(false)
}
