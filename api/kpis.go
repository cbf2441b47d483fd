package api

import (
	"net/http"

	"github.com/mifmaroc/mif/domain"
)

// KPIs of issue 14 (reports:read; a client's figures cover its own equipment, a technicien's his
// own work): parts cost per intervention, equipment or client; MTBF and MTTR per asset class;
// preventive compliance per trigger type.

func (s *Server) kpiCoutPieces(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r)
	groupe := enum(q, "groupe", domain.GroupesCoutPieces)
	debut, fin := kpiPeriod(q)
	page := q.page()
	if err := q.err(); err != nil {
		s.fail(w, r, err)
		return
	}
	g := domain.GroupeIntervention
	if groupe != nil {
		g = *groupe
	}
	items, total, err := s.store.CoutPieces(r.Context(), principalFrom(r.Context()), g, debut, fin, page)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeList(w, items, total)
}

func (s *Server) kpiFiabilite(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r)
	debut, fin := kpiPeriod(q)
	if err := q.err(); err != nil {
		s.fail(w, r, err)
		return
	}
	items, err := s.store.FiabiliteParClasse(r.Context(), principalFrom(r.Context()), debut, fin)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, items)
}

func (s *Server) kpiConformitePreventive(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r)
	debut, fin := kpiPeriod(q)
	if err := q.err(); err != nil {
		s.fail(w, r, err)
		return
	}
	items, err := s.store.ConformitePreventiveParDeclencheur(r.Context(), principalFrom(r.Context()), debut, fin)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, items)
}
