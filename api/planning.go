package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/mifmaroc/mif/domain"
)

// maxPlanningPeriod bounds a requested period, so that one request cannot scan years of slots.
const maxPlanningPeriod = 366 * 24 * time.Hour

func planningQuery(r *http.Request, defaultWeek bool) (domain.PlanningFiltre, *query) {
	q := newQuery(r)
	var f domain.PlanningFiltre
	f.Debut, f.Fin = q.period("date_debut", "date_fin")
	if defaultWeek {
		// The seed's screen shows a week: without bounds, from today for seven days.
		if f.Debut == nil {
			d := time.Now().UTC().Truncate(24 * time.Hour)
			if f.Fin != nil && !f.Fin.After(d) {
				d = f.Fin.AddDate(0, 0, -7)
			}
			f.Debut = &d
		}
		if f.Fin == nil {
			e := f.Debut.AddDate(0, 0, 7)
			f.Fin = &e
		}
	}
	if f.Debut != nil && f.Fin != nil && f.Fin.Sub(*f.Debut) > maxPlanningPeriod {
		q.v.Add("date_fin", "période de %d jours au plus", int(maxPlanningPeriod.Hours()/24))
	}
	f.Statut = enum(q, "statut", domain.StatutsPlanning)
	return f, q
}

func (s *Server) listPlannings(w http.ResponseWriter, r *http.Request) {
	f, q := planningQuery(r, false)
	f.TechnicienID = q.id("technicien_id")
	page := q.page()
	if err := q.err(); err != nil {
		s.fail(w, r, err)
		return
	}
	items, total, err := s.store.ListPlannings(r.Context(), principalFrom(r.Context()), f, page)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeList(w, items, total)
}

// technicienPlanning is a technicien's slots over a period (seed: ?date_debut&date_fin, both
// days included).
func (s *Server) technicienPlanning(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f, q := planningQuery(r, true)
	page := q.page()
	if err := q.err(); err != nil {
		s.fail(w, r, err)
		return
	}
	ok, err := s.store.TechnicienExists(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !ok {
		s.fail(w, r, fmt.Errorf("technicien %d: %w", id, domain.ErrNotFound))
		return
	}
	f.TechnicienID = &id
	items, total, err := s.store.ListPlannings(r.Context(), principalFrom(r.Context()), f, page)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeList(w, items, total)
}
