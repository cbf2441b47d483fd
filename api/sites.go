package api

import (
	"net/http"

	"github.com/mifmaroc/mif/domain"
)

// Client sites (issue 10): where equipment stands, with coordinates and opening hours for the
// route planning. Responsables manage them, techniciens read them, a client reads its own (the
// SQL narrows the rows: another client's site is not found).

func (s *Server) listSites(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r)
	f := domain.SiteFiltre{ClientID: q.id("client_id"), Ville: q.text("ville", domain.SiteVilleMaxLen), Recherche: q.text("q", maxSearchLen)}
	page := q.page()
	if err := q.err(); err != nil {
		s.fail(w, r, err)
		return
	}
	items, total, err := s.store.ListSites(r.Context(), principalFrom(r.Context()), f, page)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeList(w, items, total)
}
