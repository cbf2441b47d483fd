package domain

import "time"

// User is an account. PasswordHash is never serialised.
type User struct {
	ID                int64      `db:"id" json:"id"`
	Email             string     `db:"email" json:"email"`
	Username          *string    `db:"username" json:"username"`
	PasswordHash      *string    `db:"password_hash" json:"-"`
	Nom               string     `db:"nom" json:"nom"`
	Prenom            string     `db:"prenom" json:"prenom"`
	Role              Role       `db:"role" json:"role"`
	IsActive          bool       `db:"is_active" json:"is_active"`
	ClientID          *int64     `db:"client_id" json:"client_id"`
	DateCreation      time.Time  `db:"date_creation" json:"date_creation"`
	DerniereConnexion *time.Time `db:"derniere_connexion" json:"derniere_connexion"`
	PasswordChangedAt time.Time  `db:"password_changed_at" json:"-"`
}

// FullName is "Prénom Nom", or the e-mail when both are empty.
func (u User) FullName() string {
	switch {
	case u.Prenom != "" && u.Nom != "":
		return u.Prenom + " " + u.Nom
	case u.Prenom != "" || u.Nom != "":
		return u.Prenom + u.Nom
	default:
		return u.Email
	}
}

// Principal is the authenticated caller of a request, as the access token describes it.
type Principal struct {
	UserID int64
	Email  string
	Role   Role
	// ClientID is set for client accounts: they see only what is under their contracts.
	ClientID *int64
	// TechnicienID is set for technicien accounts: they change only their own assignments.
	TechnicienID *int64
}
