package api

import (
	"net/http"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/storage"
)

// searchHistorique is the audit trail for administrators: filter by entity, id, actor, period.
func (s *Server) searchHistorique(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r)
	f := storage.HistoriqueFiltre{
		EntiteID: q.id("entite_id"),
		ActeurID: q.id("acteur_id"),
	}
	if e := enum(q, "entite", domain.EntitesHistorique); e != nil {
		f.Entite = *e
	}
	f.Debut, f.Fin = q.period("date_debut", "date_fin")
	servePage(s, w, r, q, f, s.store.SearchHistorique)
}
