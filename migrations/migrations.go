// Package migrations embeds the PostgreSQL schema of the platform (goose SQL files) and applies
// it with goose's Provider API.
//
// Every operation that changes the schema holds a PostgreSQL session-level advisory lock
// (github.com/pressly/goose/v3/lock) for its whole duration, so several replicas starting at the
// same time serialise their migrations instead of racing: the first one applies the pending files,
// the others wait for the lock and then find nothing left to do. Advisory locks are scoped to the
// current database, so migrations of different databases on one server never wait for each other.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"
	"github.com/pressly/goose/v3/lock"
)

//go:embed *.sql
var files embed.FS

// FS returns the embedded migration files (goose SQL files at the root of the file system).
func FS() fs.FS { return files }

// lockTimeout is how the session locker waits for a concurrent migrator: it probes the lock every
// lockProbeSeconds up to lockProbes times (5 minutes in all, goose's default, but with a finer
// probe than goose's 5 seconds so waiting replicas start soon after the first one is done).
const (
	lockProbeSeconds = 1
	lockProbes       = 300
)

// newProvider builds a goose provider over db with the embedded files and a Postgres session
// locker. Go migrations registered globally with goose are ignored: the schema is the SQL files.
func newProvider(db *sql.DB) (*goose.Provider, error) {
	if db == nil {
		return nil, errors.New("migrations: nil *sql.DB")
	}
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(lockProbeSeconds, lockProbes))
	if err != nil {
		return nil, fmt.Errorf("migrations: session locker: %w", err)
	}
	p, err := goose.NewProvider(database.DialectPostgres, db, files,
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true),
	)
	if err != nil {
		return nil, fmt.Errorf("migrations: provider: %w", err)
	}
	return p, nil
}

// Up applies every pending migration.
func Up(ctx context.Context, db *sql.DB) error {
	p, err := newProvider(db)
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrations: up: %w", err)
	}
	return nil
}

// Down rolls back the most recently applied migration (one migration only). It returns an error
// wrapping goose.ErrNoNextVersion when no migration is applied.
func Down(ctx context.Context, db *sql.DB) error {
	p, err := newProvider(db)
	if err != nil {
		return err
	}
	if _, err := p.Down(ctx); err != nil {
		return fmt.Errorf("migrations: down: %w", err)
	}
	return nil
}

// Reset rolls back every applied migration, down to version 0. The goose version table itself is
// kept. Resetting a database with nothing applied is not an error.
func Reset(ctx context.Context, db *sql.DB) error {
	p, err := newProvider(db)
	if err != nil {
		return err
	}
	if _, err := p.DownTo(ctx, 0); err != nil {
		return fmt.Errorf("migrations: reset: %w", err)
	}
	return nil
}

// Status writes one line per known migration, in version order: the version, the file name and
// either the time it was applied or "pending". goose records that time in a timestamp without
// time zone column filled by now(), so it is the wall-clock time of the migrating session's
// TimeZone setting (UTC on a default server); it is printed as "2006-01-02 15:04:05", with no zone.
func Status(ctx context.Context, db *sql.DB, w io.Writer) error {
	p, err := newProvider(db)
	if err != nil {
		return err
	}
	statuses, err := p.Status(ctx)
	if err != nil {
		return fmt.Errorf("migrations: status: %w", err)
	}
	for _, s := range statuses {
		state := "pending"
		if s.State == goose.StateApplied {
			state = s.AppliedAt.Format(time.DateTime)
		}
		if _, err := fmt.Fprintf(w, "%-6d %-45s %s\n", s.Source.Version, path.Base(s.Source.Path), state); err != nil {
			return fmt.Errorf("migrations: status: write: %w", err)
		}
	}
	return nil
}

// Version returns the highest migration version applied to the database (0 when none is). It
// does not wait for a concurrent migration to finish. Like every function of this package it
// creates goose's version table when the database has none.
func Version(ctx context.Context, db *sql.DB) (int64, error) {
	p, err := newProvider(db)
	if err != nil {
		return 0, err
	}
	current, _, err := p.GetVersions(ctx)
	if err != nil {
		return 0, fmt.Errorf("migrations: version: %w", err)
	}
	return current, nil
}
