package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mifmaroc/mif/authn"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/storage"
)

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r)
	page := q.page()
	f := storage.UserFilter{Role: enum(q, "role", domain.Roles), IsActive: q.boolean("is_active"), Limit: page.Limit, Offset: page.Offset}
	if err := q.err(); err != nil {
		s.fail(w, r, err)
		return
	}
	users, total, err := s.store.ListUsers(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeList(w, users, total)
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	u, err := s.store.GetUserProfile(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

type createUserRequest struct {
	Email    string      `json:"email"`
	Username *string     `json:"username"`
	Password string      `json:"password"`
	Nom      string      `json:"nom"`
	Prenom   string      `json:"prenom"`
	Role     domain.Role `json:"role"`
	ClientID *int64      `json:"client_id"`
}

// checkName validates a nom/prenom already trimmed.
func checkName(v *domain.Validator, field, s string, required bool) {
	v.Check(!required || s != "", field, "obligatoire")
	v.Check(utf8.RuneCountInString(s) <= 100, field, "100 caractères au maximum")
}

func checkUsername(v *domain.Validator, u *string) *string {
	if u == nil {
		return nil
	}
	t := strings.TrimSpace(*u)
	if t == "" {
		return nil
	}
	v.Check(domain.ValidUsername(t), "username", "3 à 50 caractères: lettres, chiffres, . _ -")
	return &t
}

// createUser creates an account (admin and responsable; only an admin creates an admin). A
// technicien account gets its technicien profile; a client account is linked to its client.
func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	var req createUserRequest
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	email := strings.ToLower(strings.TrimSpace(req.Email))
	nom, prenom := strings.TrimSpace(req.Nom), strings.TrimSpace(req.Prenom)
	var v domain.Validator
	v.Check(domain.ValidEmail(email), "email", "adresse e-mail valide attendue")
	username := checkUsername(&v, req.Username)
	checkName(&v, "nom", nom, true)
	checkName(&v, "prenom", prenom, true)
	v.Check(req.Role.Valid(), "role", "admin, responsable, technicien ou client attendu")
	if req.Role == domain.RoleClient {
		v.Check(req.ClientID != nil, "client_id", "obligatoire pour un compte client")
	} else {
		v.Check(req.ClientID == nil, "client_id", "réservé aux comptes client")
	}
	if err := authn.ValidatePassword(req.Password, email); err != nil {
		var ve *domain.ValidationError
		if errors.As(err, &ve) {
			for _, f := range ve.Fields {
				v.Add(f.Field, "%s", f.Message)
			}
		}
	}
	if err := v.Err(); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.Role == domain.RoleAdmin && p.Role != domain.RoleAdmin {
		problem(w, r, http.StatusForbidden, "seul un administrateur peut créer un compte administrateur")
		return
	}
	hash, err := s.pw.Hash(req.Password)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	u, err := s.store.CreateUser(r.Context(), storage.NewUser{
		Email: email, Username: username, PasswordHash: &hash, Nom: nom, Prenom: prenom, Role: req.Role, ClientID: req.ClientID,
	}, &p.UserID)
	if err != nil {
		s.fail(w, r, clientRefError(err))
		return
	}
	prof, err := s.store.GetUserProfile(r.Context(), u.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/users/"+itoa(u.ID))
	writeJSON(w, http.StatusCreated, prof)
}

// clientRefError words the foreign-key error of a client_id that does not exist.
func clientRefError(err error) error {
	var ve *domain.ValidationError
	if errors.As(err, &ve) && len(ve.Fields) == 1 && ve.Fields[0].Field == "client_id" {
		return &domain.ValidationError{Fields: []domain.FieldError{{Field: "client_id", Message: "client introuvable"}}}
	}
	return err
}

type updateProfileRequest struct {
	Username *string `json:"username"`
	Nom      *string `json:"nom"`
	Prenom   *string `json:"prenom"`
}

// updateOwnProfile lets every account change its names and username (not its e-mail, role or
// client: those are an administrator's decisions).
func (s *Server) updateOwnProfile(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	var req updateProfileRequest
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	var v domain.Validator
	c := storage.UserChanges{Username: checkUsername(&v, req.Username), Nom: trimmed(req.Nom), Prenom: trimmed(req.Prenom)}
	if c.Nom != nil {
		checkName(&v, "nom", *c.Nom, true)
	}
	if c.Prenom != nil {
		checkName(&v, "prenom", *c.Prenom, true)
	}
	if err := v.Err(); err != nil {
		s.fail(w, r, err)
		return
	}
	s.applyUserChanges(w, r, p.UserID, c)
}

type updateUserRequest struct {
	Email    *string      `json:"email"`
	Username *string      `json:"username"`
	Nom      *string      `json:"nom"`
	Prenom   *string      `json:"prenom"`
	Role     *domain.Role `json:"role"`
	ClientID *int64       `json:"client_id"`
}

// updateUser is the administrator's edit of any account.
func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req updateUserRequest
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	var v domain.Validator
	c := storage.UserChanges{Username: checkUsername(&v, req.Username), Nom: trimmed(req.Nom), Prenom: trimmed(req.Prenom), Role: req.Role, ClientID: req.ClientID}
	if req.Email != nil {
		e := strings.ToLower(strings.TrimSpace(*req.Email))
		v.Check(domain.ValidEmail(e), "email", "adresse e-mail valide attendue")
		c.Email = &e
	}
	if c.Nom != nil {
		checkName(&v, "nom", *c.Nom, true)
	}
	if c.Prenom != nil {
		checkName(&v, "prenom", *c.Prenom, true)
	}
	if req.Role != nil {
		v.Check(req.Role.Valid(), "role", "admin, responsable, technicien ou client attendu")
	}
	if err := v.Err(); err != nil {
		s.fail(w, r, err)
		return
	}
	cur, err := s.store.GetUser(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	role := cur.Role
	if req.Role != nil {
		role = *req.Role
	}
	switch {
	case id == p.UserID && role != cur.Role:
		s.fail(w, r, domain.Conflictf("un administrateur ne peut pas changer son propre rôle"))
		return
	case role == domain.RoleClient && req.ClientID == nil && cur.ClientID == nil:
		s.fail(w, r, &domain.ValidationError{Fields: []domain.FieldError{{Field: "client_id", Message: "obligatoire pour un compte client"}}})
		return
	case role != domain.RoleClient && req.ClientID != nil:
		s.fail(w, r, &domain.ValidationError{Fields: []domain.FieldError{{Field: "client_id", Message: "réservé aux comptes client"}}})
		return
	}
	s.applyUserChanges(w, r, id, c)
}

func (s *Server) applyUserChanges(w http.ResponseWriter, r *http.Request, id int64, c storage.UserChanges) {
	p := principalFrom(r.Context())
	_, err := s.store.UpdateUser(r.Context(), id, c, &p.UserID)
	s.ident.auth.ForgetPrincipal(id) // committed or not: this replica reads the account afresh
	if err != nil {
		s.fail(w, r, clientRefError(err))
		return
	}
	prof, err := s.store.GetUserProfile(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, prof)
}

// deactivateUser is the soft delete: the account stays (its history refers to it) but can no
// longer sign in, and its tokens stop working at once.
func (s *Server) deactivateUser(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if id == p.UserID {
		s.fail(w, r, domain.Conflictf("un administrateur ne peut pas désactiver son propre compte"))
		return
	}
	_, err = s.store.SetUserActive(r.Context(), id, false, &p.UserID)
	s.ident.auth.ForgetPrincipal(id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) activateUser(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	_, err = s.store.SetUserActive(r.Context(), id, true, &p.UserID)
	s.ident.auth.ForgetPrincipal(id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	prof, err := s.store.GetUserProfile(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, prof)
}

func trimmed(s *string) *string {
	if s == nil {
		return nil
	}
	t := strings.TrimSpace(*s)
	return &t
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
