package api

import (
	"net/http"
	"strconv"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/storage"
)

func (s *Server) listClients(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r)
	recherche := q.text("q", maxSearchLen)
	actif := q.boolean("is_active")
	page := q.page()
	if err := q.err(); err != nil {
		s.fail(w, r, err)
		return
	}
	items, total, err := s.store.ListClients(r.Context(), principalFrom(r.Context()), recherche, actif, page)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeList(w, items, total)
}

// contratRequest reads dates as text so that a malformed one is reported on its own field.
type contratRequest struct {
	Numero              *string               `json:"numero"`
	ClientID            *int64                `json:"client_id"`
	DateDebut           *string               `json:"date_debut"`
	DateFin             *string               `json:"date_fin"`
	SLAReponseHeures    *int                  `json:"sla_reponse_heures"`
	SLAResolutionHeures *int                  `json:"sla_resolution_heures"`
	Statut              *domain.StatutContrat `json:"statut"`
	Description         *string               `json:"description"`
	EquipementIDs       []int64               `json:"equipement_ids"`
}

func decodeContrat(r *http.Request, create bool) (domain.ContratInput, error) {
	var req contratRequest
	if err := decodeJSON(r, &req); err != nil {
		return domain.ContratInput{}, err
	}
	in := domain.ContratInput{
		Numero: req.Numero, ClientID: req.ClientID, SLAReponseHeures: req.SLAReponseHeures,
		SLAResolutionHeures: req.SLAResolutionHeures, Statut: req.Statut, Description: req.Description,
		EquipementIDs: req.EquipementIDs,
	}
	var v domain.Validator
	for _, d := range []struct {
		field string
		raw   *string
		dst   **domain.Date
	}{{"date_debut", req.DateDebut, &in.DateDebut}, {"date_fin", req.DateFin, &in.DateFin}} {
		if d.raw == nil {
			continue
		}
		day, err := domain.ParseDate(*d.raw)
		if err != nil {
			v.Add(d.field, "date attendue au format AAAA-MM-JJ")
			continue
		}
		*d.dst = &day
	}
	if err := v.Err(); err != nil {
		return in, err
	}
	in.Normalize()
	return in, in.Validate(create)
}

func (s *Server) listContrats(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r)
	f := domain.ContratFiltre{
		ClientID:     q.id("client_id"),
		Statut:       enum(q, "statut", domain.StatutsContrat),
		EquipementID: q.id("equipement_id"),
		EnVigueur:    q.boolean("en_vigueur"),
	}
	page := q.page()
	if err := q.err(); err != nil {
		s.fail(w, r, err)
		return
	}
	items, total, err := s.store.ListContrats(r.Context(), principalFrom(r.Context()), f, page)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeList(w, items, total)
}

func (s *Server) createContrat(w http.ResponseWriter, r *http.Request) {
	in, err := decodeContrat(r, true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	k, err := s.store.CreateContrat(r.Context(), in, principalFrom(r.Context()).UserID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/contrats/"+strconv.FormatInt(k.ID, 10))
	writeJSON(w, http.StatusCreated, k)
}

type contratEquipementRequest struct {
	EquipementID int64 `json:"equipement_id"`
}

func (s *Server) addContratEquipement(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req contratEquipementRequest
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.EquipementID <= 0 {
		s.fail(w, r, &domain.ValidationError{Fields: []domain.FieldError{{Field: "equipement_id", Message: "obligatoire (identifiant positif)"}}})
		return
	}
	p := principalFrom(r.Context())
	if err := s.store.AddContratEquipement(r.Context(), id, req.EquipementID, p.UserID); err != nil {
		s.fail(w, r, err)
		return
	}
	// The answer is the first page of the covered equipment, as GET …/equipements gives it.
	items, total, err := s.store.ListContratEquipements(r.Context(), p, id, storage.Page{Limit: defaultLimit})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeList(w, items, total)
}

func (s *Server) removeContratEquipement(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	eid, err := pathID(r, "equipement_id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.store.RemoveContratEquipement(r.Context(), id, eid, principalFrom(r.Context()).UserID); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
