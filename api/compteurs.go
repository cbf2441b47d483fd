package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/mifmaroc/mif/domain"
)

// Usage meters (issue 14): per equipment, read one by one or in bulk. Responsables manage the
// meters, techniciens read them and post readings, a client reads those of its equipment.

func (s *Server) listCompteurs(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r)
	eq := q.id("equipement_id")
	page := q.page()
	if err := q.err(); err != nil {
		s.fail(w, r, err)
		return
	}
	items, total, err := s.store.ListCompteurs(r.Context(), principalFrom(r.Context()), eq, page)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeList(w, items, total)
}

// postReleve records one reading: 201 recorded, 200 already recorded (same releve_id), 422 with
// the reason when refused (before the last reading, lower without a declared reset, outlier).
func (s *Server) postReleve(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var in domain.ReleveInput
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	var v domain.Validator
	in.Validate(&v, "")
	if err := v.Err(); err != nil {
		s.fail(w, r, err)
		return
	}
	p := principalFrom(r.Context())
	res, err := s.store.RecordReleves(r.Context(), p, id, []domain.ReleveInput{in}, p.UserID, time.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.relevesRecorded(r.Context(), id, res)
	switch res[0].Statut {
	case domain.ReleveEnregistre:
		writeJSON(w, http.StatusCreated, res[0])
	case domain.ReleveDejaEnregistre:
		writeJSON(w, http.StatusOK, res[0])
	default:
		problem(w, r, http.StatusUnprocessableEntity, "relevé refusé: "+res[0].Raison, domain.FieldError{Field: "valeur", Message: res[0].Raison})
	}
}

// postRelevesLot records up to domain.MaxRelevesParLot readings at once, oldest first; the answer
// says for each whether it was recorded, already recorded, or refused and why.
func (s *Server) postRelevesLot(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var body struct {
		Releves []domain.ReleveInput `json:"releves"`
	}
	if err := decodeJSON(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	var v domain.Validator
	v.Check(len(body.Releves) >= 1 && len(body.Releves) <= domain.MaxRelevesParLot, "releves", "entre 1 et %d relevés", domain.MaxRelevesParLot)
	for i, in := range body.Releves {
		in.Validate(&v, "releves["+strconv.Itoa(i)+"].")
	}
	if err := v.Err(); err != nil {
		s.fail(w, r, err)
		return
	}
	p := principalFrom(r.Context())
	res, err := s.store.RecordReleves(r.Context(), p, id, body.Releves, p.UserID, time.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.relevesRecorded(r.Context(), id, res)
	writeJSON(w, http.StatusOK, map[string]any{"resultats": res})
}
