package api

import (
	"net/http"
	"strconv"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/storage"
)

type technicienRequest struct {
	UserID           *int64                   `json:"user_id"`
	Specialite       *string                  `json:"specialite"`
	NiveauExperience *domain.NiveauExperience `json:"niveau_experience"`
	Disponibilite    *bool                    `json:"disponibilite"`
	Telephone        *string                  `json:"telephone"`
	LocalisationBase *string                  `json:"localisation_base"`
	HeureDebut       *string                  `json:"heure_debut"`
	HeureFin         *string                  `json:"heure_fin"`
	BaseLatitude     *float64                 `json:"base_latitude"`
	BaseLongitude    *float64                 `json:"base_longitude"`
	Horaires         *[]domain.Creneau        `json:"horaires"`
	Outils           *[]string                `json:"outils"`
}

func (s *Server) listTechniciens(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r)
	f := domain.TechnicienFiltre{
		Competence:    q.text("competence", 100),
		NiveauMin:     q.intRange("niveau_min", 1, 5),
		Disponibilite: q.boolean("disponibilite"),
		Localisation:  q.text("localisation", domain.TechnicienTexteMaxLen),
		Recherche:     q.text("q", maxSearchLen),
	}
	if f.NiveauMin != nil && f.Competence == "" {
		// Alone it would be silently ignored and answer every technicien.
		q.v.Add("niveau_min", "s'utilise avec competence")
	}
	sort := q.sort(storage.TechnicienSortFields(), storage.Sort{Field: "id"})
	page := q.page()
	if err := q.err(); err != nil {
		s.fail(w, r, err)
		return
	}
	items, total, err := s.store.ListTechniciens(r.Context(), principalFrom(r.Context()), f, sort, page)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeList(w, items, total)
}

func (s *Server) decodeTechnicien(r *http.Request, create bool) (domain.TechnicienInput, error) {
	var req technicienRequest
	if err := decodeJSON(r, &req); err != nil {
		return domain.TechnicienInput{}, err
	}
	in := domain.TechnicienInput{UserID: req.UserID, Specialite: req.Specialite, NiveauExperience: req.NiveauExperience,
		Disponibilite: req.Disponibilite, Telephone: req.Telephone, LocalisationBase: req.LocalisationBase,
		HeureDebut: req.HeureDebut, HeureFin: req.HeureFin,
		Tournee: domain.TechnicienTournee{BaseLatitude: req.BaseLatitude, BaseLongitude: req.BaseLongitude,
			Horaires: req.Horaires, Outils: req.Outils}}
	if !create && in.UserID != nil {
		return in, &domain.ValidationError{Fields: []domain.FieldError{{Field: "user_id", Message: "ne se modifie pas"}}}
	}
	in.Normalize()
	return in, in.Validate(create)
}

func (s *Server) createTechnicien(w http.ResponseWriter, r *http.Request) {
	in, err := s.decodeTechnicien(r, true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	t, err := s.store.CreateTechnicien(r.Context(), in, principalFrom(r.Context()).UserID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/techniciens/"+strconv.FormatInt(t.ID, 10))
	writeJSON(w, http.StatusCreated, t)
}

func (s *Server) listCompetences(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r)
	page := q.page()
	if err := q.err(); err != nil {
		s.fail(w, r, err)
		return
	}
	items, total, err := s.store.ListCompetences(r.Context(), page)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeList(w, items, total)
}

func (s *Server) createCompetence(w http.ResponseWriter, r *http.Request) {
	applyBody(s, w, r, http.StatusCreated, s.store.CreateCompetence)
}

func (s *Server) technicienCompetences(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := newQuery(r)
	page := q.page()
	if err := q.err(); err != nil {
		s.fail(w, r, err)
		return
	}
	t, err := s.store.GetTechnicienFor(r.Context(), principalFrom(r.Context()), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// A technicien holds a few skills of the catalogue: they are loaded with the profile and
	// the page is cut here.
	n := len(t.Competences)
	start := min(page.Offset, n)
	items := t.Competences[start : start+min(page.Limit, n-start)]
	writeList(w, items, len(t.Competences))
}

type competenceNiveauRequest struct {
	CompetenceID int64 `json:"competence_id"`
	Niveau       int   `json:"niveau"`
}

func (s *Server) setTechnicienCompetence(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req competenceNiveauRequest
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	var v domain.Validator
	v.Check(req.CompetenceID > 0, "competence_id", "obligatoire (identifiant positif)")
	v.Check(req.Niveau >= 1 && req.Niveau <= 5, "niveau", "entier entre 1 et 5")
	if err := v.Err(); err != nil {
		s.fail(w, r, err)
		return
	}
	t, err := s.store.SetTechnicienCompetence(r.Context(), id, req.CompetenceID, req.Niveau, principalFrom(r.Context()).UserID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func (s *Server) removeTechnicienCompetence(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cid, err := pathID(r, "competence_id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.store.RemoveTechnicienCompetence(r.Context(), id, cid, principalFrom(r.Context()).UserID); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
