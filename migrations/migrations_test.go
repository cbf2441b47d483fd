package migrations_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/pressly/goose/v3"

	"github.com/mifmaroc/mif/internal/parallel"
	"github.com/mifmaroc/mif/internal/testdb"
	"github.com/mifmaroc/mif/migrations"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// The first migrations are checked against the tables we know they create; every migration's
// own tables are read from its Up section, so that later files need no change here.
var knownTables = map[int64][]string{
	1: {"clients", "users", "techniciens", "competences", "technicien_competences"},
	2: {"equipements", "contrats", "contrat_equipements"},
	3: {"interventions", "plannings"},
	4: {"documents", "notifications", "historique"},
	5: {"refresh_tokens", "login_attempts"},
}

var createTable = regexp.MustCompile(`(?mi)^\s*CREATE TABLE (?:IF NOT EXISTS )?([a-z_]+)`)

// schema returns the migration versions in order and the tables each one creates.
func schema(t *testing.T) ([]int64, map[int64][]string) {
	t.Helper()
	names, err := fs.Glob(migrations.FS(), "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	var versions []int64
	tables := map[int64][]string{}
	for _, name := range names {
		prefix, _, _ := strings.Cut(name, "_")
		v, err := strconv.ParseInt(prefix, 10, 64)
		if err != nil {
			t.Fatalf("%s: no version prefix", name)
		}
		body, err := fs.ReadFile(migrations.FS(), name)
		if err != nil {
			t.Fatal(err)
		}
		up, _, _ := strings.Cut(string(body), "-- +goose Down")
		for _, m := range createTable.FindAllStringSubmatch(up, -1) {
			tables[v] = append(tables[v], m[1])
		}
		versions = append(versions, v)
	}
	for v, want := range knownTables {
		if strings.Join(tables[v], ",") != strings.Join(want, ",") {
			t.Fatalf("migration %d creates %v, want %v", v, tables[v], want)
		}
	}
	return versions, tables
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

func open(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// publicTables returns the tables of the public schema, goose's version table excepted.
func publicTables(t *testing.T, db *sql.DB) map[string]bool {
	t.Helper()
	rows, err := db.Query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'goose_db_version'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		got[name] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

// checkSchemaAt checks that exactly the tables of the first `applied` migrations exist and that
// goose reports the version of the last of them.
func checkSchemaAt(t *testing.T, db *sql.DB, applied int) {
	t.Helper()
	versions, tablesByVersion := schema(t)
	version := int64(0)
	if applied > 0 {
		version = versions[applied-1]
	}
	got := publicTables(t, db)
	want := map[string]bool{}
	for v, tables := range tablesByVersion {
		for _, table := range tables {
			if v <= version {
				want[table] = true
				if !got[table] {
					t.Errorf("at version %d: table %s missing", version, table)
				}
			} else if got[table] {
				t.Errorf("at version %d: table %s of migration %d still exists", version, table, v)
			}
		}
	}
	for table := range got {
		if !want[table] {
			t.Errorf("at version %d: unexpected table %s", version, table)
		}
	}
	v, err := migrations.Version(ctx(t), db)
	if err != nil {
		t.Fatal(err)
	}
	if v != version {
		t.Errorf("Version = %d, want %d", v, version)
	}
}

func TestUpDownResetUp(t *testing.T) {
	t.Parallel()
	versions, _ := schema(t)
	n := len(versions)
	db := open(t, testdb.NewEmptyURL(t))
	c := ctx(t)

	if got := publicTables(t, db); len(got) != 0 {
		t.Fatalf("empty database has tables: %v", got)
	}
	if err := migrations.Up(c, db); err != nil {
		t.Fatalf("Up: %v", err)
	}
	checkSchemaAt(t, db, n)

	var status bytes.Buffer
	if err := migrations.Status(c, db, &status); err != nil {
		t.Fatalf("Status: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(status.String()), "\n")
	if len(lines) != n {
		t.Fatalf("Status printed %d lines, want %d:\n%s", len(lines), n, status.String())
	}
	if !strings.HasPrefix(lines[0], "1 ") || !strings.Contains(lines[0], "00001_reference.sql") || strings.Contains(status.String(), "pending") {
		t.Errorf("Status after Up:\n%s", status.String())
	}
	t.Logf("status after Up:\n%s", status.String())

	// Up again is a no-op.
	if err := migrations.Up(c, db); err != nil {
		t.Fatalf("second Up: %v", err)
	}
	checkSchemaAt(t, db, n)

	if err := migrations.Down(c, db); err != nil {
		t.Fatalf("Down: %v", err)
	}
	checkSchemaAt(t, db, n-1)
	status.Reset()
	if err := migrations.Status(c, db, &status); err != nil {
		t.Fatalf("Status: %v", err)
	}
	lines = strings.Split(strings.TrimSpace(status.String()), "\n")
	if !strings.HasSuffix(lines[len(lines)-1], " pending") || strings.Count(status.String(), "pending") != 1 {
		t.Errorf("Status after Down:\n%s", status.String())
	}

	if err := migrations.Reset(c, db); err != nil {
		t.Fatalf("Reset: %v", err)
	}
	checkSchemaAt(t, db, 0)
	if got := publicTables(t, db); len(got) != 0 {
		t.Errorf("tables left after Reset: %v", got)
	}
	if err := migrations.Reset(c, db); err != nil {
		t.Errorf("Reset of an empty schema: %v", err)
	}
	if err := migrations.Down(c, db); !errors.Is(err, goose.ErrNoNextVersion) || !strings.HasPrefix(err.Error(), "migrations: ") {
		t.Errorf("Down at version 0: %v, want a migrations: error wrapping goose.ErrNoNextVersion", err)
	}

	if err := migrations.Up(c, db); err != nil {
		t.Fatalf("Up after Reset: %v", err)
	}
	checkSchemaAt(t, db, n)
}

// Two replicas starting together on an empty database: the session locker serialises them, both
// succeed and the schema is applied once.
func TestConcurrentUp(t *testing.T) {
	t.Parallel()
	versions, _ := schema(t)
	n := len(versions)
	dsn := testdb.NewEmptyURL(t)
	c := ctx(t)

	const replicas = 3
	var wg sync.WaitGroup
	errs := make([]error, replicas)
	for i := range replicas {
		db := open(t, dsn) // one pool per replica
		wg.Go(func() { errs[i] = migrations.Up(c, db) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: Up: %v", i, err)
		}
	}

	db := open(t, dsn)
	checkSchemaAt(t, db, n)
	var rows, distinct int64
	if err := db.QueryRow(`SELECT count(*), count(DISTINCT version_id) FROM goose_db_version WHERE version_id > 0`).Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	if rows != int64(n) || distinct != int64(n) {
		t.Errorf("goose_db_version has %d rows (%d distinct versions), want %d", rows, distinct, n)
	}
}

func TestConstraints(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)

	insertUser := func(email, role string) error {
		_, err := db.Exec(`INSERT INTO users (email, role) VALUES ($1, $2)`, email, role)
		return err
	}
	wantCode := func(err error, code, what string) {
		t.Helper()
		var pqErr *pq.Error
		if !errors.As(err, &pqErr) {
			t.Errorf("%s: error %v, want SQLSTATE %s", what, err, code)
			return
		}
		if pqErr.SQLState() != code {
			t.Errorf("%s: SQLSTATE %s (%v), want %s", what, pqErr.SQLState(), err, code)
		}
	}

	if err := insertUser("a@example.com", "admin"); err != nil {
		t.Fatalf("valid user: %v", err)
	}
	wantCode(insertUser("boss@example.com", "boss"), "23514", "role boss")
	wantCode(insertUser("a@example.com", "technicien"), "23505", "duplicate email")
	wantCode(insertUser("Upper@example.com", "admin"), "23514", "upper-case email")

	// A technician must be attached to an existing user; niveau_experience is an enum.
	var userID int64
	if err := db.QueryRow(`INSERT INTO users (email, role) VALUES ('t@example.com', 'technicien') RETURNING id`).Scan(&userID); err != nil {
		t.Fatal(err)
	}
	_, err := db.Exec(`INSERT INTO techniciens (user_id, niveau_experience) VALUES ($1, 'guru')`, userID)
	wantCode(err, "23514", "niveau_experience guru")

	// Enums of the later migrations.
	_, err = db.Exec(`INSERT INTO equipements (nom, type, numero_serie, statut) VALUES ('Pompe', 'pompe', 'SN-1', 'casse')`)
	wantCode(err, "23514", "equipement statut casse")
	_, err = db.Exec(`INSERT INTO notifications (titre, message, type, destinataire_id) VALUES ('t', 'm', 'spam', $1)`, userID)
	wantCode(err, "23514", "notification type spam")
}

// TestEveryTestIsParallel: the package's tests run in parallel (each has its own database, or
// none); a test that cannot says why in its doc comment.
func TestEveryTestIsParallel(t *testing.T) {
	t.Parallel()
	parallel.Check(t)
}
