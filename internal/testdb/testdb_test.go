package testdb_test

import (
	"context"
	"database/sql"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/mifmaroc/mif/internal/parallel"
	"github.com/mifmaroc/mif/internal/testdb"
	"github.com/mifmaroc/mif/migrations"
)

func TestMain(m *testing.M) { testdb.Main(m) }

func TestNewIsIsolatedAndMigrated(t *testing.T) {
	t.Parallel()
	a := testdb.New(t)
	b := testdb.New(t)

	var nameA, nameB string
	if err := a.Get(&nameA, "SELECT current_database()"); err != nil {
		t.Fatal(err)
	}
	if err := b.Get(&nameB, "SELECT current_database()"); err != nil {
		t.Fatal(err)
	}
	if nameA == nameB {
		t.Fatalf("both databases are %s", nameA)
	}
	tpl, err := testdb.TemplateName()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{nameA, nameB} {
		if !strings.HasPrefix(n, "mif_t_") || n == tpl {
			t.Errorf("database name %q: want mif_t_<package>_<random>", n)
		}
	}

	// The clone is at the newest migration: the version prefix of the last embedded file.
	files, err := fs.Glob(migrations.FS(), "*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("embedded migrations: %v", err)
	}
	sort.Strings(files)
	prefix, _, _ := strings.Cut(files[len(files)-1], "_")
	latest, err := strconv.ParseInt(prefix, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	for _, db := range []*sqlx.DB{a, b} {
		var version int64
		if err := db.Get(&version, "SELECT max(version_id) FROM goose_db_version"); err != nil {
			t.Fatalf("goose version: %v", err)
		}
		if version != latest {
			t.Errorf("version %d, want %d", version, latest)
		}
	}
	if v, err := migrations.Version(context.Background(), a.DB); err != nil || v != latest {
		t.Errorf("migrations.Version = %d, %v; want %d", v, err, latest)
	}

	if _, err := a.Exec(`INSERT INTO clients (nom) VALUES ('Isolation SA')`); err != nil {
		t.Fatal(err)
	}
	var inA, inB int
	if err := a.Get(&inA, `SELECT count(*) FROM clients`); err != nil {
		t.Fatal(err)
	}
	if err := b.Get(&inB, `SELECT count(*) FROM clients`); err != nil {
		t.Fatal(err)
	}
	if inA != 1 || inB != 0 {
		t.Errorf("clients: %d in a, %d in b; want 1 and 0", inA, inB)
	}
}

func TestCleanupDropsDatabase(t *testing.T) {
	t.Parallel()
	admin := testdb.Admin(t)
	exists := func(name string) bool {
		t.Helper()
		var ok bool
		if err := admin.Get(&ok, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name); err != nil {
			t.Fatal(err)
		}
		return ok
	}

	var viaNew, viaURL string
	t.Run("inner", func(t *testing.T) {
		db := testdb.New(t)
		if err := db.Get(&viaNew, "SELECT current_database()"); err != nil {
			t.Fatal(err)
		}
		// A connection left open by the code under test does not prevent the drop.
		dsn := testdb.NewURL(t)
		conn, err := sql.Open("postgres", dsn)
		if err != nil {
			t.Fatal(err)
		}
		if err := conn.QueryRow("SELECT current_database()").Scan(&viaURL); err != nil {
			t.Fatal(err)
		}
		// conn deliberately not closed.
		if !exists(viaNew) || !exists(viaURL) {
			t.Fatalf("databases %s / %s do not exist during the test", viaNew, viaURL)
		}
	})
	if viaNew == "" || viaURL == "" {
		t.Fatal("subtest did not record the database names")
	}
	if exists(viaNew) {
		t.Errorf("database %s (New) still exists after cleanup", viaNew)
	}
	if exists(viaURL) {
		t.Errorf("database %s (NewURL) still exists after cleanup", viaURL)
	}
}

func TestTemplateIsSealed(t *testing.T) {
	t.Parallel()
	_ = testdb.New(t) // makes sure the template exists
	tpl, err := testdb.TemplateName()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tpl, "mif_tpl_") || len(tpl) != len("mif_tpl_")+12 {
		t.Errorf("template name %q", tpl)
	}
	var allowConn bool
	if err := testdb.Admin(t).Get(&allowConn, `SELECT datallowconn FROM pg_database WHERE datname = $1`, tpl); err != nil {
		t.Fatalf("template %s: %v", tpl, err)
	}
	if allowConn {
		t.Errorf("template %s accepts connections", tpl)
	}
}

// TestPoolsAreCappedAndNamed: New caps its pool to the connections it reserved, and every
// connection says which test binary holds it (application_name), for pg_stat_activity.
func TestPoolsAreCappedAndNamed(t *testing.T) {
	t.Parallel()
	db := testdb.New(t, testdb.Conns(2))
	if n := db.Stats().MaxOpenConnections; n != 2 {
		t.Fatalf("pool of %d connections, want the 2 reserved", n)
	}
	if n := testdb.New(t).Stats().MaxOpenConnections; n != testdb.DefaultConns {
		t.Fatalf("default pool of %d connections, want %d", n, testdb.DefaultConns)
	}
	var app string
	if err := db.Get(&app, `SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	if app != "mif_t testdb" {
		t.Fatalf("application_name %q, want %q", app, "mif_t testdb")
	}
}

func TestEmptyURL(t *testing.T) {
	t.Parallel()
	dsn := testdb.NewEmptyURL(t)
	conn, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var n int
	if err := conn.QueryRow(`SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("empty database has %d tables", n)
	}
}

func TestDatabaseURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ base, want string }{
		{"postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "postgres://postgres@127.0.0.1:5432/mif_x?sslmode=disable"},
		{"postgresql://u:p%40ss@h/db", "postgresql://u:p%40ss@h/mif_x"},
		{"postgres://h:5432?sslmode=disable", "postgres://h:5432/mif_x?sslmode=disable"},
		{"host=/tmp dbname=postgres sslmode=disable", "host=/tmp dbname=mif_x sslmode=disable"},
		{"host=localhost password='a b\\'c'", "host=localhost password='a b\\'c' dbname=mif_x"},
	} {
		if got := testdb.DatabaseURL(tc.base, "mif_x"); got != tc.want {
			t.Errorf("DatabaseURL(%q) = %q, want %q", tc.base, got, tc.want)
		}
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"postgres://u:secret@h:5432/db?sslmode=disable", "postgres://u@h:5432/db?sslmode=disable"},
		{"postgres://postgres@127.0.0.1:5432/postgres", "postgres://postgres@127.0.0.1:5432/postgres"},
		{"host=h user=u password=secret dbname=d", "host=h user=u dbname=d"},
	} {
		if got := testdb.Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestEveryTestIsParallel: the package's tests run in parallel (each has its own database, or
// none); a test that cannot says why in its doc comment.
func TestEveryTestIsParallel(t *testing.T) {
	t.Parallel()
	parallel.Check(t)
}

// A named connection is found and cut; while the database refuses connections none can be
// opened, and once allowed again they can.
func TestNamedConnectionsCutAndRefused(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t, testdb.Conns(2))
	named, name := testdb.Named(t, url, "cut")
	victim, err := sqlx.Connect("postgres", named)
	if err != nil {
		t.Fatal(err)
	}
	defer victim.Close()
	victim.SetMaxOpenConns(1)
	db, err := sqlx.Connect("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var got string
	if err := victim.Get(&got, `SELECT current_setting('application_name')`); err != nil || got != name {
		t.Fatalf("application_name %q, want %q (%v)", got, name, err)
	}
	allow := testdb.RefuseConnections(t, db)
	testdb.Cut(t, db, name, 1)
	if err := victim.Ping(); err == nil {
		t.Fatal("a cut connection came back while the database refuses connections")
	}
	allow()
	if err := victim.Ping(); err != nil {
		t.Fatalf("allowed again: %v", err)
	}
}
