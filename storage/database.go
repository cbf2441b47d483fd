package storage

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"

	"github.com/lib/pq"
)

// EnsureDatabase creates the database named in dbURL when it does not exist yet, by connecting to
// the server's "postgres" database. It returns true when it created it.
func EnsureDatabase(ctx context.Context, dbURL string) (bool, error) {
	u, err := url.Parse(dbURL)
	if err != nil {
		return false, fmt.Errorf("storage: DATABASE_URL: %w", err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" || name == "postgres" {
		return false, nil
	}
	admin := *u
	admin.Path = "/postgres"
	db, err := sql.Open("postgres", admin.String())
	if err != nil {
		return false, fmt.Errorf("storage: open: %w", err)
	}
	defer db.Close()
	var exists bool
	if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return false, fmt.Errorf("storage: connect to PostgreSQL at %s: %w", u.Host, err)
	}
	if exists {
		return false, nil
	}
	if _, err := db.ExecContext(ctx, `CREATE DATABASE `+pq.QuoteIdentifier(name)); err != nil {
		if e, ok := err.(*pq.Error); ok && e.Code == "42P04" { // created meanwhile by another process
			return false, nil
		}
		return false, fmt.Errorf("storage: create database %s: %w", name, err)
	}
	return true, nil
}
