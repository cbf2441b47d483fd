package testdb

import (
	"fmt"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// budget counts the connections this test binary's databases may hold at once (see the package
// documentation). It is the one piece of process-wide state that parallel tests share on
// purpose.
type budget struct {
	mu      sync.Mutex
	changed *sync.Cond
	size    int
	used    int
	queue   []*int         // waiters in arrival order: served first come, first served
	holders map[string]int // test name → connections it holds, for the message of a long wait
}

var connBudget = sync.OnceValue(func() *budget { return newBudget(budgetSize(os.Getenv(EnvBudget))) })

func newBudget(size int) *budget {
	b := &budget{size: size, holders: map[string]int{}}
	b.changed = sync.NewCond(&b.mu)
	return b
}

// budgetSize reads MIF_TEST_DB_CONNS (DefaultBudget when unset or not a positive integer).
func budgetSize(v string) int {
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n > 0 {
		return n
	}
	return DefaultBudget
}

// Reserve takes n connections of the budget until t ends, for connections a test opens to a
// database that testdb did not hand out (a command that creates its own database, as `mif dev`
// does). It waits while the budget is spent.
func Reserve(t testing.TB, n int) {
	t.Helper()
	reserve(t, n)
}

// reserve takes n connections of the budget for t's lifetime (see take).
func reserve(t testing.TB, n int) {
	t.Helper()
	t.Cleanup(take(t, n))
}

// take takes n connections of the budget for t, waiting while the budget is spent, and returns
// the function that gives them back. It fails t when n exceeds the whole budget, or when the wait
// would outlast t's deadline (tests holding connections while they wait for more would otherwise
// hang until go test's timeout with no word of why).
func take(t testing.TB, n int) (release func()) {
	t.Helper()
	wait := 10 * time.Minute
	if dt, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if d, ok := dt.Deadline(); ok {
			wait = max(time.Until(d)-30*time.Second, time.Second)
		}
	}
	release, err := connBudget().take(t.Name(), n, wait)
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	return release
}

// take reserves n connections for holder, waiting at most wait; release gives them back.
func (b *budget) take(holder string, n int, wait time.Duration) (release func(), err error) {
	if n > b.size {
		return nil, fmt.Errorf("a database reserving %d connections does not fit in the budget of %d (%s)", n, b.size, EnvBudget)
	}
	timedOut := false
	timer := time.AfterFunc(wait, func() {
		b.mu.Lock()
		timedOut = true
		b.mu.Unlock()
		b.changed.Broadcast()
	})
	defer timer.Stop()

	b.mu.Lock()
	defer b.mu.Unlock()
	// First come, first served: a large reservation is not overtaken for ever by small ones.
	ticket := &n
	b.queue = append(b.queue, ticket)
	defer func() {
		b.queue = slices.DeleteFunc(b.queue, func(p *int) bool { return p == ticket })
		b.changed.Broadcast() // the next in line may fit
	}()
	for (b.queue[0] != ticket || b.used+n > b.size) && !timedOut {
		b.changed.Wait()
	}
	if b.queue[0] != ticket || b.used+n > b.size {
		return nil, fmt.Errorf("waited %s for %d connections of the budget (%d, %s); held by %s",
			wait.Round(time.Second), n, b.size, EnvBudget, b.describe())
	}
	b.used += n
	b.holders[holder] += n
	var once sync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			b.used -= n
			if b.holders[holder] -= n; b.holders[holder] <= 0 {
				delete(b.holders, holder)
			}
			b.mu.Unlock()
			b.changed.Broadcast()
		})
	}, nil
}

// describe lists the holders (b.mu held).
func (b *budget) describe() string {
	names := make([]string, 0, len(b.holders))
	for name, n := range b.holders {
		names = append(names, fmt.Sprintf("%s (%d)", name, n))
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// withParam returns dsn (a URL or a key=value string) with the connection parameter k set to v,
// unless dsn sets k already.
func withParam(dsn, k, v string) string {
	if isURL(dsn) {
		u, err := url.Parse(dsn)
		if err != nil {
			return dsn
		}
		q := u.Query()
		if q.Has(k) {
			return dsn
		}
		q.Set(k, v)
		u.RawQuery = q.Encode()
		return u.String()
	}
	pairs, ok := parseKeyValue(dsn)
	if !ok {
		return dsn
	}
	for _, p := range pairs {
		if p[0] == k {
			return dsn
		}
	}
	return formatKeyValue(append(pairs, [2]string{k, v}))
}
