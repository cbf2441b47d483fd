package domain

import (
	"errors"
	"strings"
	"time"
)

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

// TechnicienSummary is the technicien profile embedded in a user (seed shape).
type TechnicienSummary struct {
	ID               int64    `db:"id" json:"id"`
	Specialite       string   `db:"specialite" json:"specialite"`
	Competences      []string `db:"-" json:"competences"`
	NiveauExperience string   `db:"niveau_experience" json:"niveau_experience"`
	Disponibilite    bool     `db:"disponibilite" json:"disponibilite"`
	Telephone        *string  `db:"telephone" json:"telephone"`
}

// ClientSummary is the client company embedded in a client user.
type ClientSummary struct {
	ID    int64   `db:"id" json:"id"`
	Nom   string  `db:"nom" json:"nom"`
	Ville *string `db:"ville" json:"ville"`
}

// UserProfile is a user with the profile its role gives it (seed shape of /users and /auth/me).
type UserProfile struct {
	User
	FullName   string             `json:"full_name"`
	Technicien *TechnicienSummary `json:"technicien,omitempty"`
	Client     *ClientSummary     `json:"client,omitempty"`
}

// ErrRefreshTokenReused is returned when a refresh token that was already rotated is presented
// again: someone holds a copy, so the whole family has been revoked.
var ErrRefreshTokenReused = errors.New("refresh token reused")

// UsernameMinLen and UsernameMaxLen bound usernames (letters, digits and . _ -).
const UsernameMinLen, UsernameMaxLen = 3, 50

// ValidUsername reports whether s is an acceptable username.
func ValidUsername(s string) bool {
	if n := len(s); n < UsernameMinLen || n > UsernameMaxLen {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return !strings.Contains(s, "@")
}

// ValidEmail is a deliberately loose check (one @, a dot in the domain, no spaces): the real
// proof of an address is a message reaching it.
func ValidEmail(s string) bool {
	local, dom, ok := strings.Cut(s, "@")
	return ok && local != "" && len(s) <= 254 && strings.Contains(dom, ".") && !strings.HasPrefix(dom, ".") &&
		!strings.HasSuffix(dom, ".") && !strings.ContainsAny(s, " \t\r\n<>\"'") && !strings.Contains(dom, "@")
}
