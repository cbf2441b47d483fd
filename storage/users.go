package storage

import (
	"context"
	"strings"
	"time"

	"github.com/lib/pq"

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

// principalQuery loads the principal of a request. The logout denylist is checked in the same
// round trip: this query runs on every request.
const principalQuery = `SELECT ` + userColumns + `, t.id AS technicien_id,
			EXISTS (SELECT 1 FROM revoked_access_tokens r WHERE r.jti = $2) AS revoked
		FROM users u LEFT JOIN techniciens t ON t.user_id = u.id WHERE u.id = $1`

// PrincipalFor loads what authorization needs to know about a user: role, activity, and the
// client or technicien the account stands for; revoked tells whether a logout ended the access
// token with this jti.
func (s *Store) PrincipalFor(ctx context.Context, id int64, jti string) (domain.Principal, domain.User, bool, error) {
	var row struct {
		domain.User
		TechnicienID *int64 `db:"technicien_id"`
		Revoked      bool   `db:"revoked"`
	}
	err := s.q.GetContext(ctx, &row, principalQuery, id, jti)
	if err != nil {
		return domain.Principal{}, domain.User{}, false, wrap("load principal", err)
	}
	p := domain.Principal{UserID: row.ID, Email: row.Email, Role: row.Role, ClientID: row.ClientID, TechnicienID: row.TechnicienID}
	return p, row.User, row.Revoked, nil
}

// UserFilter selects users for the list endpoint.
type UserFilter struct {
	Role     *domain.Role
	IsActive *bool
	Limit    int
	Offset   int
}

// ListUsers returns one page of users (newest first) with their profiles, and the total count.
func (s *Store) ListUsers(ctx context.Context, f UserFilter) ([]domain.UserProfile, int, error) {
	where := `WHERE ($1::text IS NULL OR u.role = $1) AND ($2::boolean IS NULL OR u.is_active = $2)`
	var total int
	if err := s.q.GetContext(ctx, &total, `SELECT count(*) FROM users u `+where, f.Role, f.IsActive); err != nil {
		return nil, 0, wrap("count users", err)
	}
	var users []domain.User
	err := s.q.SelectContext(ctx, &users, `SELECT `+userColumns+` FROM users u `+where+`
		ORDER BY u.id LIMIT $3 OFFSET $4`, f.Role, f.IsActive, f.Limit, f.Offset)
	if err != nil {
		return nil, 0, wrap("list users", err)
	}
	out, err := s.profiles(ctx, users)
	return out, total, err
}

// GetUserProfile returns one user with its technicien or client profile.
func (s *Store) GetUserProfile(ctx context.Context, id int64) (domain.UserProfile, error) {
	u, err := s.GetUser(ctx, id)
	if err != nil {
		return domain.UserProfile{}, err
	}
	out, err := s.profiles(ctx, []domain.User{u})
	if err != nil {
		return domain.UserProfile{}, err
	}
	return out[0], nil
}

// profiles loads the technicien and client profiles of users with three queries in all (never
// one per row).
func (s *Store) profiles(ctx context.Context, users []domain.User) ([]domain.UserProfile, error) {
	out := make([]domain.UserProfile, len(users))
	ids := make([]int64, 0, len(users))
	var clientIDs []int64
	for i, u := range users {
		out[i] = domain.UserProfile{User: u, FullName: u.FullName()}
		ids = append(ids, u.ID)
		if u.ClientID != nil {
			clientIDs = append(clientIDs, *u.ClientID)
		}
	}
	if len(users) == 0 {
		return out, nil
	}
	var techs []struct {
		UserID int64 `db:"user_id"`
		domain.TechnicienSummary
		Competences pq.StringArray `db:"competences"`
	}
	err := s.q.SelectContext(ctx, &techs, `
		SELECT t.user_id, t.id, t.specialite, t.niveau_experience, t.disponibilite, t.telephone,
			COALESCE(array_agg(c.nom ORDER BY c.nom) FILTER (WHERE c.id IS NOT NULL), '{}') AS competences
		FROM techniciens t
		LEFT JOIN technicien_competences tc ON tc.technicien_id = t.id
		LEFT JOIN competences c ON c.id = tc.competence_id
		WHERE t.user_id = ANY($1)
		GROUP BY t.id`, pq.Array(ids))
	if err != nil {
		return nil, wrap("load technicien profiles", err)
	}
	byUser := make(map[int64]*domain.TechnicienSummary, len(techs))
	for i := range techs {
		t := techs[i].TechnicienSummary
		t.Competences = []string(techs[i].Competences)
		byUser[techs[i].UserID] = &t
	}
	clients := map[int64]*domain.ClientSummary{}
	if len(clientIDs) > 0 {
		var cs []domain.ClientSummary
		if err := s.q.SelectContext(ctx, &cs, `SELECT id, nom, ville FROM clients WHERE id = ANY($1)`, pq.Array(clientIDs)); err != nil {
			return nil, wrap("load client profiles", err)
		}
		for i := range cs {
			clients[cs[i].ID] = &cs[i]
		}
	}
	for i := range out {
		out[i].Technicien = byUser[out[i].ID]
		if out[i].ClientID != nil {
			out[i].Client = clients[*out[i].ClientID]
		}
	}
	return out, nil
}

// UserChanges are the fields an update may set; nil leaves a field as it is.
type UserChanges struct {
	Email    *string
	Username *string
	Nom      *string
	Prenom   *string
	Role     *domain.Role
	ClientID *int64
	// ClearClientID detaches a client account from its company.
	ClearClientID bool
}

// UpdateUser applies changes to a user and records what changed in historique. A role change to
// technicien creates the technicien profile; leaving the client role detaches the client company.
func (s *Store) UpdateUser(ctx context.Context, id int64, c UserChanges, acteurID *int64) (domain.User, error) {
	var u domain.User
	err := s.InTx(ctx, func(tx *Store) error {
		var old domain.User
		if err := tx.q.GetContext(ctx, &old, `SELECT `+userColumns+` FROM users u WHERE u.id = $1 FOR UPDATE`, id); err != nil {
			return wrap("lock user", err)
		}
		n := old
		changes := map[string]any{}
		set := func(field string, oldV, newV any) { changes[field] = map[string]any{"old": oldV, "new": newV} }
		if c.Email != nil && strings.ToLower(*c.Email) != old.Email {
			n.Email = strings.ToLower(*c.Email)
			set("email", old.Email, n.Email)
		}
		if c.Username != nil && (old.Username == nil || *old.Username != *c.Username) {
			n.Username = c.Username
			set("username", old.Username, *c.Username)
		}
		if c.Nom != nil && *c.Nom != old.Nom {
			n.Nom = *c.Nom
			set("nom", old.Nom, n.Nom)
		}
		if c.Prenom != nil && *c.Prenom != old.Prenom {
			n.Prenom = *c.Prenom
			set("prenom", old.Prenom, n.Prenom)
		}
		if c.Role != nil && *c.Role != old.Role {
			n.Role = *c.Role
			set("role", old.Role, n.Role)
		}
		if c.ClientID != nil && (old.ClientID == nil || *old.ClientID != *c.ClientID) {
			n.ClientID = c.ClientID
			set("client_id", old.ClientID, *c.ClientID)
		}
		if (c.ClearClientID || n.Role != domain.RoleClient) && old.ClientID != nil && c.ClientID == nil {
			n.ClientID = nil
			set("client_id", old.ClientID, nil)
		}
		if len(changes) == 0 {
			u = old
			return nil
		}
		err := tx.q.GetContext(ctx, &u, `UPDATE users AS u SET email = $2, username = $3, nom = $4, prenom = $5,
			role = $6, client_id = $7, updated_at = now() WHERE u.id = $1 RETURNING `+userColumns,
			id, n.Email, n.Username, n.Nom, n.Prenom, n.Role, n.ClientID)
		if err != nil {
			return wrap("update user", err)
		}
		if u.Role == domain.RoleTechnicien {
			if _, err := tx.q.ExecContext(ctx, `INSERT INTO techniciens (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING`, u.ID); err != nil {
				return wrap("create technicien profile", err)
			}
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "user", EntiteID: id, Action: "modification", ActeurID: acteurID, Changements: changes})
	})
	return u, err
}

// SetUserActive activates or deactivates an account. Deactivation revokes every token of the
// account for good: its refresh tokens are revoked, and password_changed_at (the epoch that
// access tokens carry in their pwd_at claim) moves, so that an access token issued before the
// deactivation stays refused after a reactivation within its 15 minutes.
func (s *Store) SetUserActive(ctx context.Context, id int64, active bool, acteurID *int64) (domain.User, error) {
	var u domain.User
	err := s.InTx(ctx, func(tx *Store) error {
		var was bool
		if err := tx.q.GetContext(ctx, &was, `SELECT is_active FROM users WHERE id = $1 FOR UPDATE`, id); err != nil {
			return wrap("lock user", err)
		}
		err := tx.q.GetContext(ctx, &u, `UPDATE users AS u SET is_active = $2, updated_at = now(),
			password_changed_at = CASE WHEN $2 THEN u.password_changed_at ELSE clock_timestamp() END
			WHERE u.id = $1 RETURNING `+userColumns, id, active)
		if err != nil {
			return wrap("set user active", err)
		}
		if !active {
			if _, err := tx.RevokeUserRefreshTokens(ctx, id); err != nil {
				return err
			}
		}
		if was == active {
			return nil
		}
		action := "activation"
		if !active {
			action = "desactivation"
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "user", EntiteID: id, Action: action, ActeurID: acteurID,
			Changements: map[string]any{"is_active": map[string]any{"old": was, "new": active}}})
	})
	return u, err
}

// ChangePassword stores a new password hash, moves password_changed_at (so that every access
// token issued before is refused) and revokes every refresh token of the account.
func (s *Store) ChangePassword(ctx context.Context, id int64, hash string, acteurID *int64) (domain.User, error) {
	var u domain.User
	err := s.InTx(ctx, func(tx *Store) error {
		// clock_timestamp, not now(): two changes in one transaction still move the value.
		err := tx.q.GetContext(ctx, &u, `UPDATE users AS u SET password_hash = $2, password_changed_at = clock_timestamp(),
			updated_at = now() WHERE u.id = $1 RETURNING `+userColumns, id, hash)
		if err != nil {
			return wrap("change password", err)
		}
		if _, err := tx.RevokeUserRefreshTokens(ctx, id); err != nil {
			return err
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "user", EntiteID: id, Action: "changement_mot_de_passe", ActeurID: acteurID})
	})
	return u, err
}

// GetUserByOIDCSubject returns the account linked to an OIDC subject.
func (s *Store) GetUserByOIDCSubject(ctx context.Context, subject string) (domain.User, error) {
	var u domain.User
	err := s.q.GetContext(ctx, &u, `SELECT `+userColumns+` FROM users u WHERE u.oidc_subject = $1`, subject)
	return u, wrap("get user by oidc subject", err)
}

// LinkOIDCSubject links an account to an OIDC subject (first single sign-on of an existing user).
// An account already linked to another subject is a conflict.
func (s *Store) LinkOIDCSubject(ctx context.Context, id int64, subject string) error {
	return s.InTx(ctx, func(tx *Store) error {
		res, err := tx.q.ExecContext(ctx, `UPDATE users SET oidc_subject = $2, updated_at = now()
			WHERE id = $1 AND (oidc_subject IS NULL OR oidc_subject = $2)`, id, subject)
		if err != nil {
			return wrap("link oidc subject", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domain.Conflictf("ce compte est déjà lié à une autre identité OIDC")
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "user", EntiteID: id, Action: "liaison_oidc", ActeurID: &id,
			Changements: map[string]any{"oidc_subject": subject}})
	})
}

// CreateOIDCUser provisions an account for a new single sign-on user (no password).
func (s *Store) CreateOIDCUser(ctx context.Context, n NewUser, subject string) (domain.User, error) {
	var u domain.User
	err := s.InTx(ctx, func(tx *Store) error {
		var err error
		u, err = tx.CreateUser(ctx, n, nil)
		if err != nil {
			return err
		}
		_, err = tx.q.ExecContext(ctx, `UPDATE users SET oidc_subject = $2 WHERE id = $1`, u.ID, subject)
		return wrap("link oidc subject", err)
	})
	return u, err
}

// UserNames maps user ids to "Prénom Nom" (the e-mail when both are empty).
func (s *Store) UserNames(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		ID  int64  `db:"id"`
		Nom string `db:"nom"`
	}
	err := s.q.SelectContext(ctx, &rows, `SELECT id, COALESCE(NULLIF(trim(prenom || ' ' || nom), ''), email) AS nom
		FROM users WHERE id = ANY($1)`, pq.Array(ids))
	for _, r := range rows {
		out[r.ID] = r.Nom
	}
	return out, wrap("user names", err)
}
