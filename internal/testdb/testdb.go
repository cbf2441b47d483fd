// Package testdb gives tests real, migrated PostgreSQL databases — never a mock.
//
// The admin URL comes from MIF_TEST_DATABASE_URL, by default
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable. The role needs CREATEDB.
//
// The first time a test binary asks for a database, testdb makes sure a template database holding
// the fully migrated schema exists: it is named after a hash of the embedded migration files
// (mif_tpl_<12 hex of sha256>), so it is built once per schema and reused by every later run and
// by every package. Test binaries run in parallel, so the build is guarded by a PostgreSQL advisory
// lock, and it happens under a temporary name that is renamed only once the migrations succeeded:
// a template that exists is complete. The template refuses connections (datallowconn = false), so
// nothing can stop it from being cloned.
//
// New and NewURL then create a brand-new database with CREATE DATABASE ... TEMPLATE, which takes
// a few tens of milliseconds, and drop it (WITH (FORCE)) when the test ends. Use one per test or
// one per package (from a TestMain or a sync.Once) as suits.
//
// When no PostgreSQL answers at the admin URL but a Docker engine does, testdb starts one
// postgres:15 container per test binary with dockertest and uses it instead. Packages that may run
// that way should call Main from their TestMain so the container is removed at the end; without
// Main the container stops by itself after an hour. When neither is available, tests fail (they
// are never skipped).
//
// Connections are budgeted. A PostgreSQL server of our machines accepts max_connections = 100
// (a few reserved for superusers), `go test -p 2 ./...` runs two test binaries at once, and tests
// run in parallel (t.Parallel) inside each. So every database handed out reserves a number of
// connections (DefaultConns, or Conns(n)) from its test binary's budget (MIF_TEST_DB_CONNS,
// DefaultBudget) until its test ends; a test that finds the budget spent waits for others to
// finish. New caps its pool to the reservation; a caller of NewURL opens at most that many
// connections (internal/apitest sizes its platform's pool from it). The admin pool is capped
// apart (adminConns). Two binaries thus hold at most 2 × (DefaultBudget + adminConns) = 72
// connections. Every connection carries application_name "mif_t <package>", so
// pg_stat_activity tells which test binary holds it.
//
// Old templates (from earlier versions of the migrations) and databases of test binaries that were
// killed before their cleanup ran are left on the server; they are all named mif_tpl_* and
// mif_t_* and can be dropped at will when no test is running.
package testdb

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/ory/dockertest/v3"
	"github.com/ory/dockertest/v3/docker"

	"github.com/mifmaroc/mif/migrations"
)

// EnvURL is the environment variable holding the admin URL of the test PostgreSQL server.
const EnvURL = "MIF_TEST_DATABASE_URL"

// DefaultURL is the admin URL used when EnvURL is not set.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

const (
	// templateLockKey is the pg_advisory_lock key guarding template builds, shared by every test
	// binary that talks to the same server ("mif_tpl" in ASCII).
	templateLockKey int64 = 0x6d69665f74706c
	templatePrefix        = "mif_tpl_"
	databasePrefix        = "mif_t_"

	// EnvBudget names the variable holding the number of PostgreSQL connections one test binary
	// may hold at once in the databases it creates (DefaultBudget when unset).
	EnvBudget = "MIF_TEST_DB_CONNS"
	// DefaultBudget: two test binaries (go test -p 2) with their admin pools stay under 80
	// connections, on a server that accepts 100.
	DefaultBudget = 28
	// DefaultConns is what a database reserves from the budget unless told otherwise (Conns).
	DefaultConns = 4
	// adminConns caps the admin pool (CREATE and DROP DATABASE, the template build). Drops wait
	// for a server checkpoint, which concurrent drops share: too small a pool queues them.
	adminConns = 8
	// adminPoolConns is the pool Admin hands to a test.
	adminPoolConns = 2

	dockerRepository = "postgres"
	dockerTag        = "15"
	// dockerLifetime bounds the life of a container whose test binary did not call Main.
	dockerLifetime = time.Hour
)

// AdminURL returns the configured admin URL: MIF_TEST_DATABASE_URL, or DefaultURL when it is unset.
// When testdb had to fall back to a Docker container, the databases live on that container instead;
// use NewURL, New or Admin to reach them.
func AdminURL() string {
	if u := strings.TrimSpace(os.Getenv(EnvURL)); u != "" {
		return u
	}
	return DefaultURL
}

// server is the PostgreSQL server this test binary uses.
type server struct {
	adminURL string
	admin    *sql.DB

	// Set when the server is a dockertest container.
	pool     *dockertest.Pool
	resource *dockertest.Resource

	template    string
	templateErr error
	templateOK  bool
}

var (
	mu        sync.Mutex
	srv       *server
	srvErr    error
	srvTried  bool
	closeOnce sync.Once
)

// Main runs the tests of a package and then releases what testdb holds for the test binary: the
// admin connection pool and, when one was started, the Docker container. Call it from TestMain:
//
//	func TestMain(m *testing.M) { testdb.Main(m) }
//
// The test binary exits with the result of m.Run once TestMain returns.
func Main(m *testing.M) {
	m.Run()
	shutdown()
}

func shutdown() {
	closeOnce.Do(func() {
		mu.Lock()
		defer mu.Unlock()
		if srv == nil {
			return
		}
		if srv.admin != nil {
			_ = srv.admin.Close()
		}
		if srv.pool != nil && srv.resource != nil {
			// The container is started with AutoRemove, so it may already be on its way out.
			_ = srv.pool.Purge(srv.resource)
		}
	})
}

// getServer returns the server of this test binary, resolving it on first use; a failure is
// remembered so that every later test fails the same way, quickly.
func getServer() (*server, error) {
	mu.Lock()
	defer mu.Unlock()
	if !srvTried {
		srvTried = true
		srv, srvErr = resolveServer()
	}
	return srv, srvErr
}

// getTemplate returns the server and the name of the migrated template, building it if needed.
func getTemplate() (*server, string, error) {
	s, err := getServer()
	if err != nil {
		return nil, "", err
	}
	mu.Lock()
	defer mu.Unlock()
	if !s.templateOK && s.templateErr == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		s.template, s.templateErr = ensureTemplate(ctx, s)
		s.templateOK = s.templateErr == nil
	}
	return s, s.template, s.templateErr
}

func resolveServer() (*server, error) {
	adminURL := withParam(AdminURL(), "application_name", applicationName())
	db, pgErr := openAndPing(adminURL, 10*time.Second)
	if pgErr == nil {
		db.SetMaxOpenConns(adminConns)
		return &server{adminURL: adminURL, admin: db}, nil
	}
	var pqErr *pq.Error
	if errors.As(pgErr, &pqErr) {
		// The server answered and refused: falling back to Docker would hide the problem.
		return nil, fmt.Errorf("PostgreSQL at %s refused the connection: %w", Redact(adminURL), pgErr)
	}
	s, dockerErr := startDocker()
	if dockerErr != nil {
		return nil, fmt.Errorf("no PostgreSQL at %s: start one or set %s (or run a Docker engine for dockertest)\n\tpostgres: %v\n\tdocker: %v",
			Redact(adminURL), EnvURL, pgErr, dockerErr)
	}
	return s, nil
}

func openAndPing(dsn string, timeout time.Duration) (*sql.DB, error) {
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return db, nil
}

// startDocker runs postgres:15 in a container when a Docker engine answers.
func startDocker() (*server, error) {
	pool, err := dockertest.NewPool("")
	if err != nil {
		return nil, err
	}
	if err := pool.Client.Ping(); err != nil {
		return nil, err
	}
	// The shell wrapper bounds the container's life in case the test binary never calls Main (or
	// is killed): after dockerLifetime it asks the postmaster (PID 1) for a fast shutdown, the
	// container exits and AutoRemove deletes it.
	script := fmt.Sprintf("(sleep %d; kill -INT 1) & exec docker-entrypoint.sh postgres -c fsync=off -c full_page_writes=off",
		int(dockerLifetime.Seconds()))
	res, err := pool.RunWithOptions(&dockertest.RunOptions{
		Repository: dockerRepository,
		Tag:        dockerTag,
		Env:        []string{"POSTGRES_HOST_AUTH_METHOD=trust"},
		Entrypoint: []string{"sh", "-c", script},
		Labels:     map[string]string{"mif.testdb": "1"},
	}, func(hc *docker.HostConfig) {
		hc.AutoRemove = true
		hc.RestartPolicy = docker.RestartPolicy{Name: "no"}
	})
	if err != nil {
		return nil, fmt.Errorf("start %s:%s: %w", dockerRepository, dockerTag, err)
	}
	adminURL := fmt.Sprintf("postgres://postgres@%s/postgres?sslmode=disable", res.GetHostPort("5432/tcp"))
	adminURL = withParam(adminURL, "application_name", applicationName())
	db, err := sql.Open("postgres", adminURL)
	if err != nil {
		_ = pool.Purge(res)
		return nil, err
	}
	db.SetMaxOpenConns(adminConns)
	pool.MaxWait = 2 * time.Minute
	if err := pool.Retry(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return db.PingContext(ctx)
	}); err != nil {
		_ = db.Close()
		_ = pool.Purge(res)
		return nil, fmt.Errorf("wait for %s:%s at %s: %w", dockerRepository, dockerTag, adminURL, err)
	}
	return &server{adminURL: adminURL, admin: db, pool: pool, resource: res}, nil
}

// TemplateName returns the name of the template database for the embedded migrations:
// mif_tpl_ followed by the first 12 hex digits of a SHA-256 over the files' names and contents.
func TemplateName() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS(), p)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", p, len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("testdb: hash migrations: %w", err)
	}
	return templatePrefix + hex.EncodeToString(h.Sum(nil))[:12], nil
}

func databaseExists(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, name string) (bool, error) {
	var exists bool
	err := q.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists)
	return exists, err
}

// ensureTemplate returns the name of the migrated template, building it if it does not exist yet.
func ensureTemplate(ctx context.Context, s *server) (_ string, retErr error) {
	tpl, err := TemplateName()
	if err != nil {
		return "", err
	}
	if ok, err := databaseExists(ctx, s.admin, tpl); err != nil {
		return "", fmt.Errorf("testdb: look up template %s: %w", tpl, err)
	} else if ok {
		return tpl, nil
	}

	// The advisory lock is held by this session: keep one connection for lock and unlock.
	conn, err := s.admin.Conn(ctx)
	if err != nil {
		return "", fmt.Errorf("testdb: admin connection: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", templateLockKey); err != nil {
		return "", fmt.Errorf("testdb: lock template build: %w", err)
	}
	defer func() {
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", templateLockKey); err != nil && retErr == nil {
			retErr = fmt.Errorf("testdb: unlock template build: %w", err)
		}
	}()
	// Another test binary may have built it while this one waited for the lock.
	if ok, err := databaseExists(ctx, conn, tpl); err != nil {
		return "", fmt.Errorf("testdb: look up template %s: %w", tpl, err)
	} else if ok {
		return tpl, nil
	}

	// Build under a temporary name (left over if an earlier build died half-way) and rename at
	// the end, so that the template name only ever designates a complete schema.
	build := tpl + "_build"
	qbuild := pq.QuoteIdentifier(build)
	if _, err := conn.ExecContext(ctx, "DROP DATABASE IF EXISTS "+qbuild+" WITH (FORCE)"); err != nil {
		return "", fmt.Errorf("testdb: drop stale %s: %w", build, err)
	}
	if _, err := conn.ExecContext(ctx, "CREATE DATABASE "+qbuild+" TEMPLATE template0"); err != nil {
		return "", fmt.Errorf("testdb: create %s: %w", build, err)
	}
	if err := migrate(ctx, DatabaseURL(s.adminURL, build)); err != nil {
		return "", fmt.Errorf("testdb: migrate template %s: %w", build, err)
	}
	if _, err := conn.ExecContext(ctx, "ALTER DATABASE "+qbuild+" WITH ALLOW_CONNECTIONS false"); err != nil {
		return "", fmt.Errorf("testdb: seal %s: %w", build, err)
	}
	if _, err := conn.ExecContext(ctx, "ALTER DATABASE "+qbuild+" RENAME TO "+pq.QuoteIdentifier(tpl)); err != nil {
		return "", fmt.Errorf("testdb: rename %s to %s: %w", build, tpl, err)
	}
	return tpl, nil
}

func migrate(ctx context.Context, dsn string) error {
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	return migrations.Up(ctx, db)
}

// uniqueName returns a fresh database name: mif_t_, the test binary's name (the package) and
// random hex digits.
func uniqueName() string {
	return databasePrefix + packageName() + "_" + rand.Text()[:10]
}

// applicationName is the application_name of this binary's connections: "mif_t <package>".
func applicationName() string { return "mif_t " + packageName() }

// packageName is the test binary's name (the package's), reduced to [a-z0-9_], at most 20 bytes.
func packageName() string {
	pkg := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(os.Args[0]), ".exe"), ".test")
	var b strings.Builder
	for _, r := range strings.ToLower(pkg) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_':
			b.WriteRune(r)
		case r == '-' || r == '.':
			b.WriteByte('_')
		}
		if b.Len() >= 20 {
			break
		}
	}
	if b.Len() == 0 {
		b.WriteString("x")
	}
	return b.String()
}

// create reserves conns connections of the budget, makes a new database from template and
// schedules its drop. It returns its URL.
//
// The reservation ends before the drop: by then the test's pools are closed (they were opened
// after the database was made, so their cleanups run first), and DROP ... WITH (FORCE) ends any
// connection left. A drop waits for a checkpoint of the whole server, often seconds on a busy
// one, and the next test need not wait for it.
func create(t testing.TB, s *server, template string, conns int) string {
	t.Helper()
	release := take(t, conns)
	name := strings.ToLower(uniqueName())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	stmt := "CREATE DATABASE " + pq.QuoteIdentifier(name) + " TEMPLATE " + pq.QuoteIdentifier(template)
	if _, err := s.admin.ExecContext(ctx, stmt); err != nil {
		release()
		t.Fatalf("testdb: create database %s from %s: %v", name, template, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := s.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(name)+" WITH (FORCE)"); err != nil {
			t.Errorf("testdb: drop database %s: %v", name, err)
		}
	})
	t.Cleanup(release) // runs before the drop
	return DatabaseURL(s.adminURL, name)
}

// Option adjusts a database handed out by New, NewURL or NewEmptyURL.
type Option func(*options)

type options struct{ conns int }

// Conns sets how many connections the database reserves from the budget (DefaultConns
// otherwise): New caps its pool to n; a caller of NewURL must open at most n.
func Conns(n int) Option { return func(o *options) { o.conns = n } }

func buildOptions(opts []Option) options {
	o := options{conns: DefaultConns}
	for _, opt := range opts {
		opt(&o)
	}
	if o.conns < 1 {
		o.conns = 1
	}
	return o
}

// NewURL creates a brand-new database cloned from the migrated template and returns its URL. The
// database is dropped when the test and its subtests end, closing any connection still open to it
// (so an application started on the URL need not be stopped first, though it should be).
//
// The database reserves DefaultConns connections of the binary's budget (Conns(n) to change it)
// until the test ends: whatever opens the URL must hold at most that many at once.
func NewURL(t testing.TB, opts ...Option) string {
	t.Helper()
	o := buildOptions(opts)
	s, tpl, err := getTemplate()
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	return create(t, s, tpl, o.conns)
}

// New returns a connection pool to a brand-new database cloned from the migrated template, capped
// to the connections it reserved (DefaultConns, or Conns(n)). When the test ends the pool is
// closed and the database dropped.
func New(t testing.TB, opts ...Option) *sqlx.DB {
	t.Helper()
	o := buildOptions(opts)
	dsn := NewURL(t, Conns(o.conns))
	db, err := sqlx.Open("postgres", dsn)
	if err != nil {
		t.Fatalf("testdb: open %s: %v", Redact(dsn), err)
	}
	db.SetMaxOpenConns(o.conns)
	// Registered after the drop, so it runs before it.
	t.Cleanup(func() { _ = db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		t.Fatalf("testdb: connect to %s: %v", Redact(dsn), err)
	}
	return db
}

// NewEmptyURL creates a brand-new database with no schema at all (a copy of template0, not of
// the migrated template) and returns its URL; it is dropped when the test ends. It is meant for
// tests of the migrations themselves.
func NewEmptyURL(t testing.TB, opts ...Option) string {
	t.Helper()
	o := buildOptions(opts)
	s, err := getServer()
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	return create(t, s, "template0", o.conns)
}

// Admin returns a connection pool to the admin database of the server the tests use (the Docker
// container when testdb fell back to one), capped to adminPoolConns reserved from the budget. It
// is closed when the test ends.
func Admin(t testing.TB) *sqlx.DB {
	t.Helper()
	s, err := getServer()
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	reserve(t, adminPoolConns)
	db, err := sqlx.Open("postgres", s.adminURL)
	if err != nil {
		t.Fatalf("testdb: open admin database: %v", err)
	}
	db.SetMaxOpenConns(adminPoolConns)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// DatabaseURL returns base with its database name replaced by dbname. base may be a URL
// (postgres://user@host:port/db?params, the form documented for MIF_TEST_DATABASE_URL) or a
// libpq key=value string (host=... dbname=...), whose dbname is replaced or added; values are
// re-quoted as needed. A base that is neither is returned unchanged.
func DatabaseURL(base, dbname string) string {
	if isURL(base) {
		u, err := url.Parse(base)
		if err != nil {
			return base
		}
		u.Path = "/" + dbname
		u.RawPath = ""
		return u.String()
	}
	pairs, ok := parseKeyValue(base)
	if !ok {
		return base
	}
	replaced := false
	for i := range pairs {
		if pairs[i][0] == "dbname" {
			pairs[i][1] = dbname
			replaced = true
		}
	}
	if !replaced {
		pairs = append(pairs, [2]string{"dbname", dbname})
	}
	return formatKeyValue(pairs)
}

// Redact returns a postgres URL or key=value string without its password, for messages.
func Redact(dsn string) string {
	if isURL(dsn) {
		u, err := url.Parse(dsn)
		if err != nil {
			return "<unparsable URL>"
		}
		if u.User != nil {
			if _, has := u.User.Password(); has {
				u.User = url.User(u.User.Username())
			}
		}
		return u.String()
	}
	pairs, ok := parseKeyValue(dsn)
	if !ok {
		return "<unparsable DSN>"
	}
	kept := pairs[:0]
	for _, p := range pairs {
		if p[0] != "password" {
			kept = append(kept, p)
		}
	}
	return formatKeyValue(kept)
}

func isURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// parseKeyValue splits a libpq key=value connection string. Values may be single-quoted, with
// backslash escapes.
func parseKeyValue(s string) ([][2]string, bool) {
	var pairs [][2]string
	r := []rune(s)
	i := 0
	skipSpace := func() {
		for i < len(r) && (r[i] == ' ' || r[i] == '\t' || r[i] == '\n' || r[i] == '\r') {
			i++
		}
	}
	for {
		skipSpace()
		if i >= len(r) {
			return pairs, true
		}
		start := i
		for i < len(r) && r[i] != '=' && r[i] != ' ' && r[i] != '\t' {
			i++
		}
		key := string(r[start:i])
		skipSpace()
		if key == "" || i >= len(r) || r[i] != '=' {
			return nil, false
		}
		i++
		skipSpace()
		var val strings.Builder
		if i < len(r) && r[i] == '\'' {
			i++
			closed := false
			for i < len(r) {
				c := r[i]
				i++
				if c == '\\' && i < len(r) {
					val.WriteRune(r[i])
					i++
					continue
				}
				if c == '\'' {
					closed = true
					break
				}
				val.WriteRune(c)
			}
			if !closed {
				return nil, false
			}
		} else {
			for i < len(r) && r[i] != ' ' && r[i] != '\t' && r[i] != '\n' && r[i] != '\r' {
				if r[i] == '\\' && i+1 < len(r) {
					i++
				}
				val.WriteRune(r[i])
				i++
			}
		}
		pairs = append(pairs, [2]string{key, val.String()})
	}
}

func formatKeyValue(pairs [][2]string) string {
	parts := make([]string, 0, len(pairs))
	for _, p := range pairs {
		v := p[1]
		if v == "" || strings.ContainsAny(v, " \t\n\r'\\") {
			v = "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
		}
		parts = append(parts, p[0]+"="+v)
	}
	return strings.Join(parts, " ")
}
