package api

import (
	"net/http"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/storage"
)

// interventionQuery reads the filters, sort and page shared by the intervention lists.
func interventionQuery(r *http.Request) (domain.InterventionFiltre, storage.Sort, storage.Page, error) {
	q := newQuery(r)
	f := domain.InterventionFiltre{
		Statut:           enum(q, "statut", domain.StatutsIntervention),
		Priorite:         enum(q, "priorite", domain.Priorites),
		TypeIntervention: enum(q, "type_intervention", domain.TypesIntervention),
		EquipementID:     q.id("equipement_id"),
		TechnicienID:     q.id("technicien_id"),
		Urgence:          q.boolean("urgence"),
		EnRetard:         q.boolean("en_retard"),
		Recherche:        q.text("q", maxSearchLen),
	}
	f.CreeApres, f.CreeAvant = q.period("date_creation_debut", "date_creation_fin")
	f.LimiteApres, f.LimiteAvant = q.period("date_limite_debut", "date_limite_fin")
	sort := q.sort(storage.InterventionSortFields(), storage.DefaultInterventionSort)
	page := q.page()
	return f, sort, page, q.err()
}

func (s *Server) listInterventions(w http.ResponseWriter, r *http.Request) {
	f, sort, page, err := interventionQuery(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeInterventions(w, r, f, sort, page)
}

// overdueInterventions lists the interventions late against their deadline, most overdue first.
func (s *Server) overdueInterventions(w http.ResponseWriter, r *http.Request) {
	f, sort, page, err := interventionQuery(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f.Overdue = true
	if r.URL.Query().Get("sort") == "" {
		sort = storage.Sort{Field: "date_limite"}
	}
	s.writeInterventions(w, r, f, sort, page)
}

// myInterventions is a technicien's assignments, a client's own interventions (those on its
// equipment), and for managers the interventions they opened.
func (s *Server) myInterventions(w http.ResponseWriter, r *http.Request) {
	f, sort, page, err := interventionQuery(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := principalFrom(r.Context())
	switch p.Role {
	case domain.RoleTechnicien:
		if p.TechnicienID == nil {
			writeList(w, []domain.InterventionDetail{}, 0)
			return
		}
		f.TechnicienID = p.TechnicienID
	case domain.RoleClient:
		// Visibility in storage already limits a client to its own.
	default:
		f.CreateurID = &p.UserID
	}
	s.writeInterventions(w, r, f, sort, page)
}

func (s *Server) writeInterventions(w http.ResponseWriter, r *http.Request, f domain.InterventionFiltre, sort storage.Sort, page storage.Page) {
	items, total, err := s.store.ListInterventions(r.Context(), principalFrom(r.Context()), f, sort, page)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeList(w, items, total)
}
