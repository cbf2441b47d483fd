package testdb

import (
	"context"
	"fmt"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Tests of what survives a lost connection (the LISTEN connections of the caches, say) name the
// connections of the component under test, cut them, and keep them from coming back until they
// have seen the component notice.

var named atomic.Uint64

// Named returns dsn (a URL, as NewURL gives) with an application_name unique to this process that
// starts with prefix, and that name: pg_stat_activity finds the connections opened with it.
// PostgreSQL keeps 63 bytes of a name: keep prefix short.
func Named(t testing.TB, dsn, prefix string) (namedDSN, name string) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("testdb: %s: %v", Redact(dsn), err)
	}
	name = fmt.Sprintf("%s_%d_%d", prefix, time.Now().UnixNano()%1e9, named.Add(1))
	q := u.Query()
	q.Set("application_name", name)
	u.RawQuery = q.Encode()
	return u.String(), name
}

// Cut terminates the connections to db's database opened under name (Named), and fails the test
// unless there were want of them.
func Cut(t testing.TB, db sqlx.QueryerContext, name string, want int) {
	t.Helper()
	var cut int
	if err := sqlx.GetContext(context.Background(), db, &cut, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = $1`, name); err != nil || cut != want {
		t.Fatalf("testdb: cut the connections named %s: %d of %d (%v)", name, cut, want, err)
	}
}

// RefuseConnections makes db's database refuse new connections until allow is called or the test
// ends (connections already open stay): what is cut then cannot come back before the test lets it.
func RefuseConnections(t testing.TB, db sqlx.QueryerContext) (allow func()) {
	t.Helper()
	var dbName string
	if err := sqlx.GetContext(context.Background(), db, &dbName, `SELECT current_database()`); err != nil {
		t.Fatal(err)
	}
	admin := Admin(t) // a database may not refuse connections from its own sessions
	set := func(yes bool) error {
		_, err := admin.ExecContext(context.Background(), fmt.Sprintf(`ALTER DATABASE %s WITH ALLOW_CONNECTIONS %t`, pq.QuoteIdentifier(dbName), yes))
		return err
	}
	if err := set(false); err != nil {
		t.Fatalf("testdb: refuse connections: %v", err)
	}
	t.Cleanup(func() { _ = set(true) })
	return func() {
		t.Helper()
		if err := set(true); err != nil {
			t.Fatalf("testdb: allow connections: %v", err)
		}
	}
}
