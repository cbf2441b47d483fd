package storage

import (
	"context"
	"strings"
	"time"

	"github.com/mifmaroc/mif/domain"
)

const userColumns = `u.id, u.email, u.username, u.password_hash, u.nom, u.prenom, u.role, u.is_active,
	u.client_id, u.date_creation, u.derniere_connexion, u.password_changed_at`

// GetUser returns a user by id.
func (s *Store) GetUser(ctx context.Context, id int64) (domain.User, error) {
	var u domain.User
	err := s.q.GetContext(ctx, &u, `SELECT `+userColumns+` FROM users u WHERE u.id = $1`, id)
	return u, wrap("get user", err)
}

// GetUserByLogin finds a user by e-mail or username (case-insensitive).
func (s *Store) GetUserByLogin(ctx context.Context, login string) (domain.User, error) {
	var u domain.User
	login = strings.ToLower(strings.TrimSpace(login))
	err := s.q.GetContext(ctx, &u, `SELECT `+userColumns+` FROM users u
		WHERE u.email = $1 OR (u.username IS NOT NULL AND lower(u.username) = $1)
		ORDER BY (u.email = $1) DESC LIMIT 1`, login)
	return u, wrap("get user by login", err)
}

// NewUser is what creating an account needs; PasswordHash is already hashed.
type NewUser struct {
	Email        string
	Username     *string
	PasswordHash *string
	Nom, Prenom  string
	Role         domain.Role
	ClientID     *int64
}

// CreateUser inserts an account (and its technicien profile when Role is technicien) and records
// the change in historique.
func (s *Store) CreateUser(ctx context.Context, n NewUser, acteurID *int64) (domain.User, error) {
	var u domain.User
	err := s.InTx(ctx, func(tx *Store) error {
		err := tx.q.GetContext(ctx, &u, `
			INSERT INTO users AS u (email, username, password_hash, nom, prenom, role, client_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			RETURNING `+userColumns,
			strings.ToLower(strings.TrimSpace(n.Email)), n.Username, n.PasswordHash, n.Nom, n.Prenom, n.Role, n.ClientID)
		if err != nil {
			return wrap("create user", err)
		}
		if n.Role == domain.RoleTechnicien {
			if _, err := tx.q.ExecContext(ctx, `INSERT INTO techniciens (user_id) VALUES ($1)`, u.ID); err != nil {
				return wrap("create technicien profile", err)
			}
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{
			Entite: "user", EntiteID: u.ID, Action: "creation", ActeurID: acteurID,
			Changements: map[string]any{"email": u.Email, "role": u.Role},
		})
	})
	return u, err
}

// TouchLogin records a successful login.
func (s *Store) TouchLogin(ctx context.Context, id int64, at time.Time) error {
	_, err := s.q.ExecContext(ctx, `UPDATE users SET derniere_connexion = $2 WHERE id = $1`, id, at)
	return wrap("touch login", err)
}

// PrincipalFor loads what authorization needs to know about a user: role, activity, and the
// client or technicien the account stands for.
func (s *Store) PrincipalFor(ctx context.Context, id int64) (domain.Principal, domain.User, error) {
	var row struct {
		domain.User
		TechnicienID *int64 `db:"technicien_id"`
	}
	err := s.q.GetContext(ctx, &row, `SELECT `+userColumns+`, t.id AS technicien_id
		FROM users u LEFT JOIN techniciens t ON t.user_id = u.id WHERE u.id = $1`, id)
	if err != nil {
		return domain.Principal{}, domain.User{}, wrap("load principal", err)
	}
	p := domain.Principal{UserID: row.ID, Email: row.Email, Role: row.Role, ClientID: row.ClientID, TechnicienID: row.TechnicienID}
	return p, row.User, nil
}
