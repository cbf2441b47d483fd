// Package storage is the PostgreSQL data layer: sqlx over lib/pq, one file per aggregate.
// It returns domain errors (domain.ErrNotFound, domain.ErrConflict, *domain.ValidationError),
// never driver errors, so callers need not know PostgreSQL's error codes.
package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/mifmaroc/mif/domain"
)

// Queryer is what both *sqlx.DB and *sqlx.Tx offer, so every method works in or out of a
// transaction.
type Queryer interface {
	sqlx.ExtContext
	GetContext(ctx context.Context, dest any, query string, args ...any) error
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
}

// Store gives access to every aggregate. Its zero value is not usable: build it with New.
type Store struct {
	db *sqlx.DB
	q  Queryer
	// counters paces the folding of the dashboard counters (dashboard.go); shared by the Stores
	// of one pool (transactions included).
	counters *counterFolds
}

// counterFolds is when this process last folded the dashboard counters, and who is folding.
type counterFolds struct {
	mu   sync.Mutex
	last atomic.Int64 // unix nanoseconds
}

// Open connects to PostgreSQL and checks the connection.
func Open(ctx context.Context, url string, maxOpen int, opts ...OpenOption) (*sqlx.DB, error) {
	var o openOptions
	for _, opt := range opts {
		opt(&o)
	}
	sdb, err := openDB(url, o) // tracing.go
	if err != nil {
		return nil, fmt.Errorf("storage: open: %w", err)
	}
	db := sqlx.NewDb(sdb, "postgres")
	db.SetMaxOpenConns(maxOpen)
	db.SetMaxIdleConns(maxOpen)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("storage: connect to PostgreSQL: %w", err)
	}
	return db, nil
}

// New wraps an open database.
func New(db *sqlx.DB) *Store { return &Store{db: db, q: db, counters: &counterFolds{}} }

// Q is the connection or transaction this Store runs on, for packages (demo data, benchmarks)
// that issue their own SQL.
func (s *Store) Q() Queryer { return s.q }

// DB is the underlying pool, for health checks and migrations.
func (s *Store) DB() *sqlx.DB { return s.db }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// InTx runs fn in one transaction: committed when fn returns nil, rolled back otherwise (and on
// panic). The Store handed to fn runs every method inside that transaction. Nested calls reuse
// the outer transaction.
func (s *Store) InTx(ctx context.Context, fn func(tx *Store) error) (err error) {
	if _, inTx := s.q.(*sqlx.Tx); inTx {
		return fn(s)
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("storage: begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err = fn(&Store{db: s.db, q: tx, counters: s.counters}); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("storage: commit: %w", mapErr(err))
	}
	return nil
}

// wrap turns a driver error into a domain error and adds the operation for the logs.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("storage: %s: %w", op, mapErr(err))
}

// constraintMessages gives the user-facing reason of each unique or foreign-key constraint.
var constraintMessages = map[string]string{
	"users_email_key":              "un utilisateur avec cet e-mail existe déjà",
	"users_username_key":           "un utilisateur avec ce nom d'utilisateur existe déjà",
	"users_oidc_subject_key":       "ce compte OIDC est déjà lié à un utilisateur",
	"equipements_numero_serie_key": "un équipement avec ce numéro de série existe déjà",
	"clients_nom_key":              "un client avec ce nom existe déjà",
	"contrats_numero_key":          "un contrat avec ce numéro existe déjà",
	"competences_nom_key":          "une compétence avec ce nom existe déjà",
	"plannings_intervention_key":   "cette intervention est déjà planifiée",
	"techniciens_user_id_key":      "cet utilisateur a déjà un profil technicien",
	"sites_client_nom_key":         "ce client a déjà un site de ce nom",
}

// IsInvalidText reports whether err is PostgreSQL refusing text it cannot store (NUL or invalid
// UTF-8, SQLSTATE 22021 or 22P05): invalid input, whichever query met it.
func IsInvalidText(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && (pqErr.Code == "22021" || pqErr.Code == "22P05")
}

func mapErr(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return domain.ErrNotFound
	}
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) {
		return err
	}
	switch pqErr.Code {
	case "23505": // unique_violation
		reason, ok := constraintMessages[pqErr.Constraint]
		if !ok {
			reason = "cet enregistrement existe déjà"
		}
		return &domain.ConflictError{Reason: reason, Err: fmt.Errorf("%w: %s", domain.ErrConflict, pqErr.Constraint)}
	case "23503": // foreign_key_violation
		// A delete that other rows still point to is a conflict; an insert that points to a
		// missing row is invalid input.
		if strings.HasPrefix(pqErr.Message, "update or delete") {
			return &domain.ConflictError{Reason: "cet enregistrement est encore utilisé ailleurs", Err: domain.ErrConflict}
		}
		return &domain.ValidationError{Fields: []domain.FieldError{{Field: fkField(pqErr.Constraint), Message: "référence inexistante"}}}
	case "22021", "22P05": // NUL or invalid UTF-8 in text (the API refuses them first; never 500)
		return &domain.ValidationError{Fields: []domain.FieldError{{Field: checkField(pqErr), Message: "caractères invalides (octet NUL ou UTF-8 invalide)"}}}
	case "23514", "22001", "22003", "22007", "22P02": // check, too long, out of range, bad datetime, bad text
		return &domain.ValidationError{Fields: []domain.FieldError{{Field: checkField(pqErr), Message: "valeur refusée"}}}
	}
	return err
}

// fkField guesses the column behind a foreign-key constraint (PostgreSQL names them
// table_column_fkey).
func fkField(constraint string) string {
	c := strings.TrimSuffix(constraint, "_fkey")
	if i := strings.Index(c, "_"); i >= 0 {
		return c[i+1:]
	}
	return c
}

func checkField(e *pq.Error) string {
	if e.Column != "" {
		return e.Column
	}
	if e.Constraint != "" {
		c := strings.TrimSuffix(e.Constraint, "_check")
		if i := strings.Index(c, "_"); i >= 0 {
			return c[i+1:]
		}
		return c
	}
	return "body"
}
